// The table of rules, in the order they run, and the RuleContext bookkeeping they share.

#include "shim/core/engine_bundle.hh"
#include "shim/core/refusal_fix.hh"
#include "shim/core/rule.hh"
#include "shim/core/rule_ids.hh"

#ifdef OCI_HARDEN_MUTATE_OFF
#include <cstdio>
#endif

namespace oci_harden {

#ifdef OCI_HARDEN_MUTATE_OFF
// The mutation check's build only (tools/mutate.sh, `make mutate`, in its own build directory;
// never the shipped binaries): rule OCI_HARDEN_MUTATE_OFF runs as usual, then its refusals
// (OCI_HARDEN_MUTATE_REWRITE 0) or its rewrites — spec edits, recorded changes and host actions
// (OCI_HARDEN_MUTATE_REWRITE 1) — are thrown away. A test must then fail.
namespace {

RuleFn g_mutated_rule = nullptr;  // the rule's own function, once found in the table
unsigned g_mutation_drops = 0;  // refusals or rewrites thrown away, over the whole test run

template <typename T>
void truncate(std::vector<T>& v, size_t n) {
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(n), v.end());
}

void mutated_rule(RuleContext& ctx) {
  const size_t refusals = ctx.refusals().size(), changes = ctx.changes().size(),
               actions = ctx.actions().size();
  const Json before = ctx.spec();
  g_mutated_rule(ctx);
  if (OCI_HARDEN_MUTATE_REWRITE) {
    if (!(ctx.spec() == before) || ctx.changes().size() != changes || ctx.actions().size() != actions) {
      ++g_mutation_drops;
    }
    ctx.spec() = before;
    truncate(ctx.changes(), changes);
    truncate(ctx.actions(), actions);
  } else {
    if (ctx.refusals().size() != refusals) ++g_mutation_drops;
    truncate(ctx.refusals(), refusals);
  }
}

// Said at exit, so tools/mutate.sh can tell a surviving mutation from one no test ever provoked.
struct MutationReport {
  ~MutationReport() {
    std::fprintf(stderr, "mutate: %s %s: %u dropped%s\n", OCI_HARDEN_MUTATE_OFF,
                 OCI_HARDEN_MUTATE_REWRITE ? "rewrites" : "refusals", g_mutation_drops,
                 g_mutated_rule == nullptr ? " (not in the rule table)" : "");
  }
} g_mutation_report;

std::vector<RuleInfo> mutated(std::vector<RuleInfo> rules) {
  for (RuleInfo& r : rules) {
    if (std::string(r.id) == OCI_HARDEN_MUTATE_OFF && r.apply != nullptr) {
      g_mutated_rule = r.apply;
      r.apply = mutated_rule;
    }
  }
  return rules;
}

}  // namespace
#endif

namespace {

// Whether the mutation check's build drops this rule's refusals (rewrite false) or its rewrites
// (rewrite true); always false, and folded away, in every other build. Rules called directly by
// the unit tests go through these; through harden_spec, mutated_rule also undoes edits made in
// place and drops requested host actions.
bool mutation_drops([[maybe_unused]] const std::string& rule, [[maybe_unused]] bool rewrite) {
#ifdef OCI_HARDEN_MUTATE_OFF
  if (rewrite != static_cast<bool>(OCI_HARDEN_MUTATE_REWRITE) || rule != OCI_HARDEN_MUTATE_OFF) return false;
  ++g_mutation_drops;
  return true;
#else
  return false;
#endif
}

}  // namespace

void RuleContext::set(Json& parent, const std::string& key, Json value, const std::string& path) {
  if (mutation_drops(rule_, true)) return;
  const Json* old = parent.is_object() ? parent.get(key) : nullptr;
  Json before = old != nullptr ? *old : Json();
  if (old != nullptr && *old == value) return;
  record(path, std::move(before), value);
  parent.set(key, std::move(value));
}

void RuleContext::erase(Json& parent, const std::string& key, const std::string& path) {
  if (mutation_drops(rule_, true)) return;
  const Json* old = parent.get(key);
  if (old == nullptr) return;
  record(path, *old, Json());
  parent.erase(key);
}

void RuleContext::record(const std::string& path, Json before, Json after) {
  if (mutation_drops(rule_, true)) return;
  changes_.push_back(Change{rule_, path, std::move(before), std::move(after)});
}

void RuleContext::refuse(const std::string& reason) {
  if (mutation_drops(rule_, false)) return;
  refusals_.push_back(Refusal{rule_, reason});
  refusals_.back().fix = refusal_fix(refusals_.back(), &policy_, bundle_engine(inv_.bundle, inv_.container_id), &spec_);
}

void RuleContext::refuse(const std::string& field, const std::string& kind, const std::string& reason) {
  refusals_.push_back(Refusal{rule_, reason, field, kind});
  refusals_.back().fix = refusal_fix(refusals_.back(), &policy_, bundle_engine(inv_.bundle, inv_.container_id), &spec_);
}

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
      {"trusted-registries", "-", "9",
       "refuse an image the engine names from a registry allowed_registries does not list "
       "(Kubernetes practice 7)",
       rule_trusted_registries},
      // Later operations on the running container, judged by their own commands.
      {"exec", "5.22, 5.23", "24",
       "runc exec: no more capabilities or privilege than the container; no_new_privs",
       nullptr, RuleKind::kExec},
      {"update", "5.10, 5.11, 5.28", "20, 22", "runc update: limits stay within the policy's maxima",
       nullptr, RuleKind::kUpdate},
  };
#ifdef OCI_HARDEN_MUTATE_OFF
  static const std::vector<RuleInfo> kMutated = mutated(kRules);
  return kMutated;
#else
  return kRules;
#endif
}

const std::vector<RuleInfo>& operation_rules() {
  static const std::vector<RuleInfo> kRules = [] {
    std::vector<RuleInfo> out;
    for (const RuleInfo& r : all_rules()) {
      if (r.kind != RuleKind::kCreate) out.push_back(r);
    }
    return out;
  }();
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
