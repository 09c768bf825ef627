// The shape of a rule. A rule is a pure function: the spec (a JSON tree), the policy and a view
// of the host go in; it rewrites the spec through its RuleContext, which records each change,
// and it records refusals. No I/O happens here; side effects on the host (an idmapped mount, a
// mountpoint to create) are requested as HostActions and carried out by the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/host.hh"
#include "shim/core/json.hh"
#include "shim/core/policy.hh"

namespace oci_harden {

struct Change {
  std::string rule;
  std::string path;  // JSON path, e.g. "process.capabilities.bounding"
  Json before;       // null when the field was absent
  Json after;        // null when the field was removed
};

struct Refusal {
  std::string rule;
  std::string reason;  // names the offending field or path
  // Structured, for readers of the audit log (oci-hardenctl report) that must not parse reason:
  std::string field = {};  // the JSON field or flag at fault ("linux.namespaces[2].path", "--cap"), "" if none
  std::string kind = {};   // what is wrong, a short word of the rule's own ("host-network-namespace")
  // What would make it pass, one line (shim/core/refusal_fix.hh): the engine flag that caused it,
  // the policy key to change, the opt-out annotation when the policy allows one.
  std::string fix = {};
};

// Something a rule could not do and did not refuse (the host lacks what it needs), kept for the
// audit record so that "nothing changed" is not mistaken for "nothing to change".
struct Note {
  std::string rule;
  std::string text;
};

// Something the host must do before the runtime runs (executed at the edge, never in audit mode).
struct HostAction {
  enum class Kind { kIdmapRootfs, kMkdirInRootfs, kPrivateStdio };
  Kind kind;
  std::string source;  // kIdmapRootfs: the original root.path (absolute)
  std::string target;  // kIdmapRootfs: where to mount it; kMkdirInRootfs: path inside rootfs
  uint32_t uid = 0, gid = 0, size = 0;  // kIdmapRootfs: mapping of container 0
  bool file = false;  // kMkdirInRootfs: the last component is an empty file (a bind of a file)
};

// Facts about this invocation that rules may read.
struct Invocation {
  std::string event;         // create, run, restore, exec, update
  std::string container_id;
  std::string bundle;        // absolute bundle directory
  std::string runtime_root = {};  // the runtime's --root from the command line ("" = its default)
  bool pid_file = false;          // --pid-file was given: the runtime writes the init's pid (hook_plan.hh)
  bool rootless = false;          // oci-harden is not host root (rootless.hh): no state_dir of its own
  // Exceptions (opt-out-until): the clock, seconds since the epoch (UTC), read once at the edge;
  // unit tests pass a fixed one. Unset, an opt-out with an end date is refused (no clock, no
  // way to know it is still live).
  std::optional<int64_t> now = std::nullopt;
};

class RuleContext {
 public:
  RuleContext(Json& spec, const Policy& policy, const Host& host, const Invocation& inv)
      : spec_(spec), policy_(policy), host_(host), inv_(inv) {}
  // The context keeps references: a temporary policy or invocation would dangle.
  RuleContext(Json& spec, Policy&& policy, const Host& host, const Invocation& inv) = delete;
  RuleContext(Json& spec, const Policy& policy, const Host& host, Invocation&& inv) = delete;

  Json& spec() { return spec_; }
  const Policy& policy() const { return policy_; }
  const Host& host() const { return host_; }
  const Invocation& invocation() const { return inv_; }

  // Sets parent[key] = value (struct-field semantics) and records the change under `path`.
  // Records nothing when the value is already equal.
  void set(Json& parent, const std::string& key, Json value, const std::string& path);
  // Removes parent[key] and records the change.
  void erase(Json& parent, const std::string& key, const std::string& path);
  // Records a change made by hand (e.g. inside an array).
  void record(const std::string& path, Json before, Json after);
  void refuse(const std::string& reason);
  // A refusal with its structured fields (Refusal::field, Refusal::kind).
  void refuse(const std::string& field, const std::string& kind, const std::string& reason);
  void note(const std::string& text) { notes_.push_back(Note{rule_, text}); }
  void request(HostAction action) { actions_.push_back(std::move(action)); }

  void begin_rule(const std::string& id) { rule_ = id; }
  const std::string& rule() const { return rule_; }

  std::vector<Change>& changes() { return changes_; }
  std::vector<Refusal>& refusals() { return refusals_; }
  std::vector<Note>& notes() { return notes_; }
  std::vector<HostAction>& actions() { return actions_; }

 private:
  Json& spec_;
  const Policy& policy_;
  const Host& host_;
  const Invocation& inv_;
  std::string rule_;
  std::vector<Change> changes_;
  std::vector<Refusal> refusals_;
  std::vector<Note> notes_;
  std::vector<HostAction> actions_;
};

using RuleFn = void (*)(RuleContext&);

// The operation a rule judges: the container's spec (create, run, restore), the process of a
// `runc exec`, or the resources of a `runc update`.
enum class RuleKind { kCreate, kExec, kUpdate };

struct RuleInfo {
  const char* id;          // stable id: errors, audit records, opt-outs, man pages
  const char* cis;         // CIS Docker Benchmark check, e.g. "5.3"
  const char* practice;    // docker-security-cheat-sheet.txt practice number, "" if none
  const char* summary;     // one line for --help and explain
  RuleFn apply;            // kCreate: run by harden_spec; nullptr for exec and update, whose
                           // operations call them (operation_rules.hh) with their own inputs
  RuleKind kind = RuleKind::kCreate;
};

// Every rule: the create rules in the order they run (rules that judge the engine's original
// request run before rules that rewrite it: privileged must see the capabilities before they are
// dropped), then exec and update. disabled_rules and granted opt-outs apply to all alike.
const std::vector<RuleInfo>& all_rules();
const RuleInfo* find_rule(const std::string& id);
// The rules of later operations (kind exec and update), a view of all_rules().
const std::vector<RuleInfo>& operation_rules();

// One function per rule, each in shim/core/rules/<rule-id>.cc.
void rule_privileged(RuleContext& ctx);
void rule_host_namespaces(RuleContext& ctx);
void rule_sensitive_mounts(RuleContext& ctx);
void rule_devices(RuleContext& ctx);
void rule_sysctls(RuleContext& ctx);
void rule_capabilities(RuleContext& ctx);
void rule_no_new_privileges(RuleContext& ctx);
void rule_masked_paths(RuleContext& ctx);
void rule_readonly_engine_files(RuleContext& ctx);
void rule_mount_propagation(RuleContext& ctx);
void rule_pids_limit(RuleContext& ctx);
void rule_memory_limit(RuleContext& ctx);
void rule_cpu_limit(RuleContext& ctx);
void rule_seccomp(RuleContext& ctx);
void rule_apparmor(RuleContext& ctx);
void rule_user_namespace(RuleContext& ctx);
void rule_pseudo_filesystems(RuleContext& ctx);
void rule_readonly_rootfs(RuleContext& ctx);
void rule_verify_hook(RuleContext& ctx);
void rule_cgroups_path(RuleContext& ctx);
void rule_oom_score_adj(RuleContext& ctx);
// The spec with a user namespace joined by path given its real maps (Host::user_namespace_map),
// for the audit record's user even where user-namespace did not run (opted out, disabled).
Json with_real_user_maps(const Json& spec, const Host& host, const std::string& bundle);
// Whether `mount` is the read-only bind of /sys that user-namespace puts in place of sysfs (a new
// user namespace, its mappings, a network namespace not its own): a spec it hardened has it.
bool is_user_namespace_sysfs_standin(const Json& spec, const Json& mount);
void rule_hooks(RuleContext& ctx);
void rule_runtime_annotations(RuleContext& ctx);
void rule_trusted_registries(RuleContext& ctx);

}  // namespace oci_harden
