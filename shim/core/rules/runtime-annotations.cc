// Rule "runtime-annotations": some annotations are not labels but commands to the runtime, and
// the runtime obeys them on the host, as root, before or outside the container's namespaces.
// A spec carrying one is refused, naming annotations["key"] and what the runtime would do.
//
// Judged, from crun 1.8.1's source (src/libcrun: find_annotation) and crun(1) "Extensions to
// OCI", and runc 1.1.5's source:
//   - every key starting with "run.oci." (crun's namespace) that is not on the short safe list
//     below. Fail closed: crun adds such keys release by release (1.8.1 reads fifteen), each one
//     an instruction to a root process, so an unknown one is refused, not waved through. Among
//     those refused: run.oci.hooks.stdout / .stderr (crun opens the host file O_CREAT|O_APPEND
//     as root and writes the hooks' output into it), run.oci.seccomp.receiver and
//     run.oci.pidfd_receiver (send the container's seccomp-notify fd / pidfd to a host socket),
//     run.oci.seccomp.plugins (dlopen()s .so files as root), run.oci.seccomp_bpf_data (crun
//     ignores linux.seccomp and loads this raw filter instead: the seccomp rule never sees it),
//     run.oci.handler (krun / wasm handlers), run.oci.keep_original_groups (skips setgroups: the
//     caller's supplementary groups, root's, stay), run.oci.systemd.force_cgroup_v1 (mounts a
//     host cgroup v1 hierarchy over a container path), run.oci.systemd.subgroup and
//     run.oci.delegate-cgroup (move the process to another cgroup than the limited one);
//   - "org.criu.config" (runc and crun: a CRIU configuration file read on checkpoint/restore;
//     its action-script runs as root on the host);
//   - every key starting with "org.systemd.property." (runc and crun, systemd cgroup driver:
//     properties of the container's transient unit, e.g. MemoryMax, TasksMax, DeviceAllow,
//     which set the limits the policy's rules have set) except the stop and ordering
//     properties the engines write: Podman KillSignal and TimeoutStopUSec (for an image with
//     a stop signal), CRI-O TimeoutStopUSec, CollectMode, DefaultDependencies and After
//     (none changes a limit, a device or what runs; TimeoutStopSec is runc's spelling of the
//     same timeout);
//   - "module.wasm.image/variant" (crun: selects the wasm handler like run.oci.handler).
// Safe list (each affects only the container, within what the rest of the spec allows):
// run.oci.seccomp_fail_unknown_syscall (makes crun stricter), run.oci.mount_context_type (the
// SELinux context mount option used for volume labels), run.oci.timens_offset (written into the
// container's own time namespace).
//
// Keys are compared exactly: annotations are a map (Go map in runc, crun's string map, both
// exact), and parse_spec refuses a spec with the same key twice. The rule runs whatever the
// runtime: a spec written for runc today can be run by crun tomorrow (--runtime), and the three
// engines put none of these keys in what they produce by default (tests/golden/*-captured).

#include <string>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

struct Known {
  const char* key;
  const char* effect;
};

// What the runtime does with each key it reads; a refused key not listed here is described by
// the generic text of its prefix.
const Known kRefused[] = {
    {"run.oci.hooks.stdout",
     "crun opens that host file as root (created or appended) for the hooks' stdout"},
    {"run.oci.hooks.stderr",
     "crun opens that host file as root (created or appended) for the hooks' stderr"},
    {"run.oci.seccomp.receiver",
     "crun sends the container's seccomp notification fd to that host UNIX socket"},
    {"run.oci.pidfd_receiver", "crun sends the container process's pidfd to that host UNIX socket"},
    {"run.oci.seccomp.plugins", "crun loads those shared objects (dlopen) as root on the host"},
    {"run.oci.seccomp_bpf_data",
     "crun ignores linux.seccomp and loads this raw BPF filter instead"},
    {"run.oci.handler", "crun runs the container through another handler (krun, wasm)"},
    {"module.wasm.image/variant", "crun runs the container through its wasm handler"},
    {"run.oci.keep_original_groups",
     "crun skips setgroups: the caller's (root's) supplementary groups stay"},
    {"run.oci.systemd.force_cgroup_v1",
     "crun mounts the host's cgroup v1 name=systemd hierarchy over that container path"},
    {"run.oci.systemd.subgroup",
     "crun places the container in that sub-cgroup of its scope instead of the limited one"},
    {"run.oci.delegate-cgroup",
     "crun moves the container process to that delegated cgroup, managed by the container"},
    {"org.criu.config",
     "runc and crun pass that configuration file to CRIU (its action-script runs as root)"},
};

const char* const kSafeRunOci[] = {"run.oci.seccomp_fail_unknown_syscall",
                                   "run.oci.mount_context_type", "run.oci.timens_offset"};

// org.systemd.property.<name> the engines write, with no effect on limits, devices or programs.
const char* const kSafeSystemdProperties[] = {"KillSignal",  "TimeoutStopUSec",    "TimeoutStopSec",
                                              "CollectMode", "DefaultDependencies", "After"};

const std::string kRunOci = "run.oci.";
const std::string kSystemdProperty = "org.systemd.property.";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool safe(const std::string& key) {
  for (const char* k : kSafeRunOci) {
    if (key == k) return true;
  }
  return false;
}

bool safe_systemd_property(const std::string& key) {
  for (const char* name : kSafeSystemdProperties) {
    if (key == kSystemdProperty + name) return true;
  }
  return false;
}

// What the runtime would do with `key`, or "" when the key is not a command to the runtime.
std::string effect(const std::string& key) {
  for (const Known& k : kRefused) {
    if (key == k.key) return k.effect;
  }
  if (starts_with(key, kSystemdProperty) && !safe_systemd_property(key)) {
    return "runc and crun set that property on the container's systemd unit (its limits, "
           "devices), around the policy's";
  }
  if (starts_with(key, kRunOci) && !safe(key)) {
    return "an instruction to crun that oci-harden does not know (crun reads run.oci.* keys as "
           "root on the host)";
  }
  return "";
}

}  // namespace

void rule_runtime_annotations(RuleContext& ctx) {
  const Json* annotations = field(&ctx.spec(), "annotations");
  if (annotations == nullptr || !annotations->is_object()) return;
  for (const auto& member : annotations->members()) {
    std::string what = effect(member.first);
    if (what.empty()) continue;
    Json key = Json::string(member.first);
    ctx.refuse("annotations[" + to_json(key) + "] = " + to_json(member.second) +
               " is an instruction to the runtime, not a label: " + what);
  }
}

}  // namespace oci_harden
