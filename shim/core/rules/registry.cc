// The table of rules, in the order they run, and the RuleContext bookkeeping they share.

#include "shim/core/rule.hh"
#include "shim/core/rule_ids.hh"

namespace oci_harden {

void RuleContext::set(Json& parent, const std::string& key, Json value, const std::string& path) {
  const Json* old = parent.is_object() ? parent.get(key) : nullptr;
  Json before = old != nullptr ? *old : Json();
  if (old != nullptr && *old == value) return;
  record(path, std::move(before), value);
  parent.set(key, std::move(value));
}

void RuleContext::erase(Json& parent, const std::string& key, const std::string& path) {
  const Json* old = parent.get(key);
  if (old == nullptr) return;
  record(path, *old, Json());
  parent.erase(key);
}

void RuleContext::record(const std::string& path, Json before, Json after) {
  changes_.push_back(Change{rule_, path, std::move(before), std::move(after)});
}

void RuleContext::refuse(const std::string& reason) { refusals_.push_back(Refusal{rule_, reason}); }

const std::vector<RuleInfo>& all_rules() {
  // Judging rules first: they must see what the engine asked for, before any rewrite.
  static const std::vector<RuleInfo> kRules = {
      {"privileged", "5.4", "15", "refuse what --privileged produces", rule_privileged},
      {"runtime-annotations", "-", "",
       "refuse annotations the runtime obeys on the host (crun's run.oci.* outside a safe list, "
       "org.criu.config, org.systemd.property.*)",
       rule_runtime_annotations},
      {"host-namespaces", "5.9, 5.15, 5.16, 5.20", "19",
       "refuse missing or host pid, ipc, uts, mount, network (and user) namespaces",
       rule_host_namespaces},
      {"sensitive-mounts", "5.5, 5.31", "16, 26",
       "refuse binds of engine sockets, sensitive host paths and runtime state, by what the source is",
       rule_sensitive_mounts},
      {"devices", "5.17", "",
       "refuse device rules that allow all devices, character-device rules outside the defaults "
       "and allowed_devices, block-device rules without an allowed node, and unlisted device nodes",
       rule_devices},
      {"sysctls", "-", "", "refuse sysctls outside the safe list", rule_sysctls},
      {"cgroups-path", "5.10, 5.11, 5.28", "20, 22",
       "refuse a cgroupsPath that is the root cgroup, where no limit can be written",
       rule_cgroups_path},
      {"hooks", "-", "",
       "refuse hooks whose binary (device, inode) is not on allowed_hooks or whose env sets "
       "loader variables; pin passing ones to the allowed path",
       rule_hooks},
      {"capabilities", "5.3", "14", "keep only the allow-list in all capability sets",
       rule_capabilities},
      {"no-new-privileges", "5.25", "7", "set process.noNewPrivileges", rule_no_new_privileges},
      {"masked-paths", "-", "", "restore the default masked and read-only /proc and /sys paths",
       rule_masked_paths},
      {"readonly-engine-files", "-", "21",
       "make the engine's /etc/hosts, /etc/hostname, /etc/resolv.conf binds read-only",
       rule_readonly_engine_files},
      {"pids-limit", "5.28", "22", "set or clamp the pids limit", rule_pids_limit},
      {"memory-limit", "5.10", "20", "set or clamp the memory limit (no swap)", rule_memory_limit},
      {"cpu-limit", "5.11", "20", "set or clamp the CPU quota", rule_cpu_limit},
      {"oom-score-adj", "-", "", "raise process.oomScoreAdj to the policy's minimum",
       rule_oom_score_adj},
      {"seccomp", "5.21", "", "install the policy's seccomp profile; one the spec carries is judged by what its filter returns", rule_seccomp},
      {"apparmor", "5.1", "",
       "set the policy's AppArmor profile where the host has AppArmor; replace an unconfined one",
       rule_apparmor},
      {"readonly-rootfs", "5.12", "21", "read-only root with tmpfs on /tmp, /run, /var/tmp",
       rule_readonly_rootfs},
      {"mount-propagation", "5.19", "23", "private mount propagation", rule_mount_propagation},
      {"user-namespace", "5.30", "6", "container root is never host root", rule_user_namespace},
      {"pseudo-filesystems", "5.4, 5.5", "",
       "proc, sysfs, cgroup, mqueue, devpts only at their home, once; nothing else in /proc or "
       "/sys; sysfs and cgroup read-only without own user and cgroup namespaces",
       rule_pseudo_filesystems},
      {"verify-hook", "-", "3",
       "add oci-harden-hook as poststart (verify) and poststop (stop record) hooks",
       rule_verify_hook},
  };
  return kRules;
}

const std::vector<RuleInfo>& operation_rules() {
  static const std::vector<RuleInfo> kRules = {
      {"exec", "5.22, 5.23", "24",
       "runc exec: no more capabilities or privilege than the container; no_new_privs",
       nullptr},
      {"update", "5.10, 5.11, 5.28", "20, 22", "runc update: limits stay within the policy's maxima",
       nullptr},
  };
  return kRules;
}

const RuleInfo* find_rule(const std::string& id) {
  for (const RuleInfo& r : all_rules()) {
    if (id == r.id) return &r;
  }
  return nullptr;
}

bool is_rule_id(const std::string& id) {
  if (find_rule(id) != nullptr) return true;
  for (const RuleInfo& r : operation_rules()) {
    if (id == r.id) return true;
  }
  return false;
}

}  // namespace oci_harden
