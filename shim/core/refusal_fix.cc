// What would make a refusal pass: one table keyed by rule id (and, where a rule refuses several
// kinds of thing, by the refusal's kind), each row naming the engine's flag and the policy key.

#include "shim/core/refusal_fix.hh"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

// One way out of a refusal: what the engine was asked for (`run`: docker/podman/nerdctl run's
// flag; `pod`: the Kubernetes pod spec's field; "" where there is none) and the policy's side.
struct FixRow {
  const char* rule;
  const char* kind;  // "" = any kind of that rule (rows with a kind come first)
  const char* run;
  const char* pod;
  const char* policy;          // the policy key to change ("policy: ..."), or what to change in the spec
  const char* verb = "remove";  // what to do with the engine's flag: remove, lower, ...
  bool policy_key = true;       // `policy` names a policy key (printed after "policy: ")
  const char* command = "run";  // the engine's command that took the flag: run, exec, update
};

const FixRow kRows[] = {
    {"privileged", "", "--privileged", "securityContext.privileged: true",
     "add \"privileged\" to disabled_rules (turns the rule off for every container)"},
    {"runtime-annotations", "", "--annotation naming it", "the annotation (pod_annotations)",
     "add \"runtime-annotations\" to disabled_rules"},
    {"host-namespaces", "host-pid-namespace", "--pid=host", "hostPID: true", "add \"host-namespaces\" to disabled_rules"},
    {"host-namespaces", "host-ipc-namespace", "--ipc=host", "hostIPC: true", "add \"host-namespaces\" to disabled_rules"},
    {"host-namespaces", "host-uts-namespace", "--uts=host", "hostNetwork: true", "add \"host-namespaces\" to disabled_rules"},
    {"host-namespaces", "host-network-namespace", "--network=host", "hostNetwork: true",
     "add \"host-namespaces\" to disabled_rules"},
    {"host-namespaces", "host-user-namespace", "--userns=host", "hostUsers: true", "add \"host-namespaces\" to disabled_rules"},
    {"host-namespaces", "duplicate-namespace", "", "", "list each namespace type once in linux.namespaces", "remove", false},
    {"host-namespaces", "", "--pid/--ipc/--uts/--network/--userns=host", "hostPID/hostIPC/hostNetwork: true",
     "add \"host-namespaces\" to disabled_rules"},
    {"sensitive-mounts", "sensitive-source", "-v {src}:{dst}", "the hostPath volume {src}",
     "add the source to allowed_paths (allowed_readonly_paths for a read-only bind)"},
    {"sensitive-mounts", "engine-socket-destination", "-v {src}:{dst}", "the volume mounted at {dst}",
     "remove {dst} from engine_sockets"},
    {"sensitive-mounts", "mount-type", "--mount type=... at {dst}", "the volume mounted at {dst}",
     "add its type to allowed_mount_types"},
    {"sensitive-mounts", "host-root", "", "", "give the container an image's root filesystem (root.path)", "remove", false},
    {"sensitive-mounts", "mount-option", "the remount/idmap option of the mount at {dst}", "",
     "add \"sensitive-mounts\" to disabled_rules"},
    {"sensitive-mounts", "", "-v/--mount of that host path", "the hostPath volume",
     "add the source to allowed_paths (allowed_readonly_paths for a read-only bind)"},
    {"devices", "", "--device/--device-cgroup-rule", "the device request (a device plugin's, or privileged: true)",
     "add the device to allowed_devices, or its numbers to allowed_device_numbers (a GPU node: profiles/policy-gpu.json)"},
    {"sysctls", "", "--sysctl", "securityContext.sysctls", "add the name to allowed_sysctls"},
    {"pids-limit", "", "--pids-limit (or --cgroup-conf pids.max)", "the kubelet's podPidsLimit",
     "raise limits.pids.max, or set limits.above_max to \"clamp\"", "lower"},
    {"memory-limit", "", "--memory (or --cgroup-conf memory.max)", "resources.limits.memory",
     "raise limits.memory.max, or set limits.above_max to \"clamp\"", "lower"},
    {"cpu-limit", "", "--cpus (or --cgroup-conf cpu.max)", "resources.limits.cpu",
     "raise limits.cpu.max, or set limits.above_max to \"clamp\"", "lower"},
    {"cgroups-path", "", "--cgroup-parent (or --cgroup-conf)", "", "add \"cgroups-path\" to disabled_rules"},
    {"seccomp", "notify-listener", "--security-opt seccomp=<profile> (its SCMP_ACT_NOTIFY rules)", "",
     "add the listener's socket to seccomp.allowed_listeners"},
    {"apparmor", "profile-not-loaded", "--security-opt apparmor=unconfined", "securityContext.appArmorProfile: Unconfined",
     "load the policy's AppArmor profile on the host (apparmor_parser), or set apparmor.profile to a loaded "
     "one"},
    {"seccomp", "", "--security-opt seccomp=<profile>", "securityContext.seccompProfile",
     "set seccomp.weaker to \"replace\" (or list the profile's listener in seccomp.allowed_listeners)"},
    {"apparmor", "", "--security-opt apparmor=unconfined", "securityContext.appArmorProfile: Unconfined",
     "set apparmor.unconfined to \"replace\""},
    {"user-namespace", "stdio-file", "", "",
     "give the container a terminal or pipes, not files, as standard streams (or the policy's runtime: runc)",
     "remove", false},
    {"user-namespace", "", "--userns (a mapping of host root)", "hostUsers: true",
     "set user_namespace.unavailable to \"record\"; check user_namespace.uid/gid/size"},
    {"pseudo-filesystems", "", "--mount of that filesystem", "the volume", "add \"pseudo-filesystems\" to disabled_rules"},
    {"hooks", "", "the OCI hook (a hooks.d file, --hooks-dir)", "", "add the hook's binary to allowed_hooks, its arguments to allowed_hook_args (NVIDIA's: profiles/policy-gpu.json)"},
    {"trusted-registries", "", "an image from a registry in allowed_registries", "",
     "add the registry to allowed_registries (unknown_image: \"record\" for a spec that names none)", "use"},
    {"exec", "", "{field}", "", "set exec.escalation to \"clamp\"", "remove", true, "exec"},
    {"update", "", "{field}", "", "raise the limits.*.max it exceeds, or set limits.above_max to \"clamp\"", "lower", true,
     "update"},
    {"opt-out", "", "", "",
     "name only rules of opt_out_allowed in the opt-out annotation, with the details opt_out_requires asks "
     "for; or policy: add the rule to opt_out_allowed", "remove", false},
    {"runtime-flags", "", "--config", "", "run the bundle's own config.json"},
    {"spec", "", "", "", "give the runtime a config.json that parses", "remove", false},
    {"host-action", "", "", "", "make the host able to do what the reason says, then start again", "remove", false},
    {"verify", "", "", "", "check that the runtime (the policy's runtime) applies the hardened spec; or policy: "
     "verify \"record\" only records", "remove", false},
};

const FixRow* find_row(const Refusal& r) {
  const FixRow* any = nullptr;
  for (const FixRow& row : kRows) {
    if (r.rule != row.rule) continue;
    if (*row.kind != '\0' && r.kind == row.kind) return &row;
    if (*row.kind == '\0' && any == nullptr) any = &row;
  }
  return any;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The mount a field such as "mounts[3].source" names, nullptr when it names none.
const Json* mount_of(const std::string& field_path, const Json* spec) {
  if (spec == nullptr || field_path.rfind("mounts[", 0) != 0) return nullptr;
  size_t end = field_path.find(']');
  if (end == std::string::npos || end == 7) return nullptr;
  size_t index = 0;
  for (size_t i = 7; i < end; ++i) {
    if (field_path[i] < '0' || field_path[i] > '9') return nullptr;
    index = index * 10 + static_cast<size_t>(field_path[i] - '0');
    if (index > 1000000) return nullptr;
  }
  const Json* mounts = field(spec, "mounts");
  if (mounts == nullptr || !mounts->is_array() || index >= mounts->items().size()) return nullptr;
  return &mounts->items()[index];
}

std::string fill(const char* pattern, const Refusal& r, const Json* spec) {
  std::string text = pattern;
  const Json* mount = mount_of(r.field, spec);
  replace_all(text, "{src}", mount ? string_field(mount, "source").value_or("SOURCE") : "SOURCE");
  replace_all(text, "{dst}", mount ? string_field(mount, "destination").value_or("DEST") : "DEST");
  replace_all(text, "{field}", r.field.empty() ? "what it asks beyond the container" : r.field);
  return text;
}

// What the engine was asked for, in the engine's own words.
std::string engine_part(const FixRow& row, const Refusal& r, const std::string& engine, const Json* spec) {
  std::string run = fill(row.run, r, spec);
  std::string pod = fill(row.pod, r, spec);
  const std::string verb = row.verb;
  const std::string cmd = row.command;
  if (run.empty() && pod.empty()) return "";
  if (engine == "kubernetes") return pod.empty() ? "" : verb + " " + pod + " (pod spec)";
  if (engine == "docker") return run.empty() ? "" : verb + " " + run + " (docker " + cmd + ")";
  if (engine == "podman") return run.empty() ? "" : verb + " " + run + " (podman " + cmd + ")";
  if (engine == "containerd") return run.empty() ? "" : verb + " " + run + " (nerdctl " + cmd + "; ctr's own flag)";
  std::string out = verb + " ";
  if (!run.empty()) out += run + " (docker/podman " + cmd + ")";
  if (!run.empty() && !pod.empty()) out += " / ";
  if (!pod.empty()) out += pod + " (pod spec)";
  return out;
}

// The opt-out that would skip the rule, when the policy allows one for it.
std::string opt_out_part(const std::string& rule, const Policy* policy) {
  if (policy == nullptr || policy->opt_out_annotation.empty()) return "";
  const auto& allowed = policy->opt_out_allowed;
  if (std::find(allowed.begin(), allowed.end(), rule) == allowed.end()) return "";
  std::string out = "annotate " + policy->opt_out_annotation + "=" + rule;
  for (const std::string& detail : policy->opt_out_requires) {
    out += " " + opt_out_detail_key(*policy, detail.c_str()) + "=<" + (detail == "until" ? "RFC 3339 date" : detail) + ">";
  }
  return out;
}

}  // namespace

std::string refusal_fix(const Refusal& r, const Policy* policy, const std::string& engine, const Json* spec) {
  const FixRow* row = find_row(r);
  std::vector<std::string> parts;
  if (row != nullptr) {
    std::string from_engine = engine_part(*row, r, engine, spec);
    if (!from_engine.empty()) parts.push_back(from_engine);
    std::string in_policy = fill(row->policy, r, spec);
    parts.push_back(row->policy_key ? "policy: " + in_policy : in_policy);
  } else {
    parts.push_back("policy: add \"" + r.rule + "\" to disabled_rules");
  }
  std::string opt_out = opt_out_part(r.rule, policy);
  if (!opt_out.empty()) parts.push_back(opt_out);
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; or " : "") + parts[i];
  return out;
}

std::string refusal_message_with_fixes(const std::vector<Refusal>& refusals) {
  std::string out = refusal_message(refusals);
  std::vector<std::string> seen;
  for (const Refusal& r : refusals) {
    std::string fix = r.fix.empty() ? refusal_fix(r, nullptr, "", nullptr) : r.fix;
    if (std::find(seen.begin(), seen.end(), fix) != seen.end()) continue;
    out += "\n  fix: " + fix;
    seen.push_back(std::move(fix));
  }
  return out;
}

std::string root_on_host_reason(const std::vector<Note>& notes, const OptOuts* opt_outs, const Policy* policy) {
  // The rule's last word: its conclusion ("no user namespace added ...") follows its findings.
  for (auto n = notes.rbegin(); n != notes.rend(); ++n) {
    if (n->rule == "user-namespace") return n->text;
  }
  if (opt_outs != nullptr &&
      std::find(opt_outs->granted.begin(), opt_outs->granted.end(), "user-namespace") != opt_outs->granted.end()) {
    return "the container opted out of user-namespace";
  }
  if (policy != nullptr && !policy->rule_enabled("user-namespace")) {
    return "user-namespace is in the policy's disabled_rules";
  }
  return "";
}

std::string root_on_host_fix(const std::string& engine) {
  if (engine == "docker") return R"(set "userns-remap": "default" in /etc/docker/daemon.json)";
  if (engine == "kubernetes") return "set hostUsers: false in the pod spec (a containerd that passes it: 2.0 or later)";
  if (engine == "podman") return "run with --userns=auto";
  if (engine == "containerd") return "give the container a user namespace (ctr run --uidmap/--gidmap)";
  return "Docker: \"userns-remap\" in daemon.json; Kubernetes: hostUsers: false (containerd 2.0 or later); "
         "Podman: --userns=auto; a runc bundle: a root filesystem the mapped root can read, or one that can be "
         "idmapped (under a directory no unprivileged user can search)";
}

}  // namespace oci_harden
