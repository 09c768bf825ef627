// The administrator's policy: what every container gets, and what a container may opt out of.
// Loaded from $OCI_HARDEN_POLICY, /etc/oci-harden/policy.json, or the built-in default
// (profiles/policy-default.json compiled in). A file's keys override the built-in defaults;
// an unknown key, a wrong type or a bad value is an error naming the key.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"
#include "shim/core/selectors.hh"

namespace oci_harden {

// oci-harden-hook's own deadline (it ends itself with SIGALRM), and the timeout oci-harden puts
// on its hook entries for runtimes that keep one reliably (shim/core/rules/verify-hook.cc).
constexpr unsigned kHookTimeoutSeconds = 10;

enum class Mode { kEnforce, kAudit };
enum class AboveMax { kClamp, kRefuse };          // limits above the policy maximum
enum class UsernsUnavailable { kRecord, kRefuse };  // no user namespace can be added
enum class AuditFailure { kRefuse, kAllow };      // the audit record cannot be written
enum class OptOutDenied { kRefuse, kIgnore };     // an opt-out the policy does not allow
enum class Verify { kRecord, kEnforce };          // what the hook does on a failed check
enum class ExecEscalation { kRefuse, kClamp };    // an exec asking for more than the container has
enum class AppArmorUnconfined { kReplace, kRefuse };  // a spec that asks for no AppArmor profile
enum class SeccompWeaker { kReplace, kRefuse };   // a spec's own profile lets through more
enum class Binds { kAny, kAllowedOnly };          // which host paths a bind may have as source
enum class UnknownImage { kRecord, kRefuse };     // trusted-registries: no image name in the spec

// A default set where the spec has none, and a maximum above which the value is clamped.
// max = nullopt means "the host's size" (RAM, CPU count), resolved by the rule.
struct Limit {
  std::optional<int64_t> default_value;
  std::optional<int64_t> max;
};

struct Policy {
  std::string path;    // file it came from; "" for the built-in default
  std::string digest;  // "sha256:<hex>" of the policy bytes
  Mode mode = Mode::kEnforce;
  std::string runtime;  // absolute path of runc/crun
  std::string audit_log;
  AuditFailure audit_failure = AuditFailure::kRefuse;
  bool audit_syslog = false;
  std::vector<std::string> disabled_rules;

  std::vector<std::string> capabilities;  // allow-list, canonical "CAP_X" names

  std::vector<std::string> readonly_tmpfs;  // paths that get a tmpfs under a read-only root
  int64_t readonly_tmpfs_size = 0;          // bytes per tmpfs

  AboveMax above_max = AboveMax::kClamp;
  Limit pids;
  Limit memory;           // bytes
  Limit cpu;              // milli-CPUs (1000 = one CPU); the file gives CPUs (2, 0.5)
  uint64_t cpu_period = 100000;

  uint32_t userns_uid = 0;
  uint32_t userns_gid = 0;
  uint32_t userns_size = 0;
  UsernsUnavailable userns_unavailable = UsernsUnavailable::kRecord;
  std::string state_dir;  // where idmapped root filesystems are mounted, per container

  std::string seccomp_profile_path;  // "" = built-in profiles/seccomp-default.json
  Json seccomp_profile;              // the loaded profile (OCI linux.seccomp form)
  bool seccomp_replace = false;      // replace a profile the spec already has
  // The shim's fast path (issue 14.1): loaded by load_policy_file, a policy that names no
  // seccomp.profile file leaves the built-in profile unparsed (seccomp_profile stays null) until
  // seccomp_profile_json() is first asked for it; most engine specs carry their engine's default
  // profile and never need it. A profile file is still parsed and checked at load. (Here, in the
  // padding after seccomp_replace: the struct grows by nothing.)
  bool seccomp_profile_deferred = false;

  // The AppArmor profile the apparmor rule sets; "" = docker-default (resolved by the rule).
  std::string apparmor_profile;

  std::vector<std::string> sensitive_paths;
  std::vector<std::string> allowed_paths;           // patterns; '*' matches one component
  std::vector<std::string> allowed_readonly_paths;  // allowed only as read-only binds
  std::vector<std::string> engine_sockets;          // destinations a bind may never have
  std::vector<std::string> allowed_mount_types;     // non-bind mount types allowed
  std::vector<std::string> allowed_devices;         // device nodes (linux.devices[].path)
  std::vector<std::string> allowed_sysctls;         // names; a trailing '*' is a prefix

  std::string opt_out_annotation;
  std::vector<std::string> opt_out_allowed;
  OptOutDenied opt_out_denied = OptOutDenied::kRefuse;

  Verify verify = Verify::kRecord;
  // oci-harden-hook's absolute path; "" = none (not installed, or "hook": "none").
  std::string hook_path;

  ExecEscalation exec_escalation = ExecEscalation::kRefuse;

  // apparmor, oom-score-adj: a spec's "unconfined" AppArmor profile; the lowest oomScoreAdj.
  AppArmorUnconfined apparmor_unconfined = AppArmorUnconfined::kReplace;
  int64_t oom_score_adj_min = -997;
  // Seccomp by effect (shim/core/seccomp_effect.hh): what to do with a spec's own profile that lets
  // through calls the policy's denies; the engine default profiles it may be as open as
  // (built-in names: "docker", "podman"); the SCMP_ACT_NOTIFY listener sockets allowed.
  SeccompWeaker seccomp_weaker = SeccompWeaker::kReplace;
  std::vector<std::string> seccomp_accepted_defaults;
  std::vector<std::string> seccomp_allowed_listeners;
  // Hooks (rule "hooks"): the binaries a spec's own hooks may run, judged by identity; the
  // policy's oci-harden-hook is allowed besides.
  std::vector<std::string> allowed_hooks;
  // Mount identity (sensitive-mounts).
  std::vector<std::string> refused_source_fstypes;  // a bind source on one of these is refused
  std::vector<std::string> engine_binaries;         // a socket they listen on is an engine socket
  Binds binds = Binds::kAny;                        // allowed-only: only the allowed lists
  // Exceptions and trusted sources (opt-out owner/reason/until; rule trusted-registries).
  std::vector<std::string> opt_out_requires;    // of "owner", "reason", "until"
  std::vector<std::string> allowed_registries;  // registry hosts or name prefixes; empty = no check
  UnknownImage unknown_image = UnknownImage::kRecord;
  // One policy per workload (shim/core/selectors.hh): this policy's name ("default": the top-level
  // keys); on the top-level policy only, the label keys selectors may use, the ordered selectors
  // and the named policies, each complete (inheritance resolved, validated).
  std::string name = "default";
  std::vector<std::string> selector_labels;
  std::vector<Selector> selectors;
  std::vector<std::shared_ptr<const Policy>> named_policies;
  // GPUs and CDI (issue 17.2). Device numbers a spec's nodes and cgroup rules may open whatever
  // the node is called ("c 195:*"; a major may be the driver's name in /proc/devices, "c
  // nvidia-uvm:*", for majors the kernel hands out at load); and, per allowed hook binary, the
  // argument words (after args[0]) its hooks must start with (nvidia-ctk only as "hook ...").
  struct DeviceNumbers {
    char type = 'c';      // 'c' or 'b'
    int64_t major = -1;   // -1: by driver name
    std::string driver;   // the /proc/devices name when major is -1
    int64_t minor = -1;   // -1: every minor
    std::string text;     // as the policy wrote it
  };
  std::vector<DeviceNumbers> allowed_device_numbers;
  // Each entry's words; a first word "@createContainer" (the policy's optional leading hook
  // kind) limits the entry to that kind of hook.
  std::map<std::string, std::vector<std::vector<std::string>>> allowed_hook_args;
  // Rootless engines (issue 17.3): the audit log of a run that is not host root (rootless Podman,
  // a user's runc), before ~/$HOME/$XDG_STATE_HOME expansion (shim/core/rootless.hh).
  std::string rootless_audit_log = "$XDG_STATE_HOME/oci-harden/audit.jsonl";
  // The policy's seccomp profile: seccomp_profile, or the built-in one when it was deferred
  // (seccomp_profile_deferred, beside seccomp_profile above).
  const Json& seccomp_profile_json() const;
  // Learn mode (issue 15, shim/core/seccomp_learn.hh), one member so that the flags add no padding.
  struct SeccompLearn {
    // The workload name containers under this policy are recorded as (key "learn"; "" = not
    // recorded); on the top-level policy only, where the recordings go (learn_dir:
    // <dir>/<name>/<container-id>.json) and whether the annotation org.oci-harden.learn=<name>
    // may put a container in learn mode (learn_annotation).
    std::string workload;
    std::string dir = "/var/lib/oci-harden/learn";
    // A learned profile enforced (seccomp_learned): the file ("" = none) and its text, checked at
    // load never to let through what the policy's own profile denies; audit: the generic profile
    // stays and calls outside the learned one are only recorded; kill: calls outside it end the
    // process (not recorded) instead of failing with EPERM.
    std::string learned_path;
    Json learned;
    bool annotation = false;
    bool learned_audit = false;
    bool learned_kill = false;
  };
  SeccompLearn learn;

  bool rule_enabled(const std::string& id) const;
};

// The built-in policy (profiles/policy-default.json, compiled in).
Result<Policy> builtin_policy();
// Parses policy bytes on top of the built-in defaults. `origin` names the file in errors and
// anchors relative profile paths (its folder).
Result<Policy> parse_policy(const std::string& bytes, const std::string& origin);
// $OCI_HARDEN_POLICY, else /etc/oci-harden/policy.json, else the built-in default.
// A file that is not owned by root or is writable by group or others is refused.
Result<Policy> load_policy();
Result<Policy> load_policy_file(const std::string& path);

// Rootless engines (issue 17.3): whose files are root's. The programs set oci-harden's own
// identity (shim/host/process_identity.hh) before loading; unset, the initial user namespace's.
struct ProcessIdentity;
void set_policy_reader_identity(const ProcessIdentity& who);

// Remembered verdicts for seccomp_learned's never-wider check (issue 14/15): judging a learned
// profile by effect costs tens of ms at every policy load. The runtime installs the store of
// shim/host/seccomp_verdicts.hh (its files under the policy's state_dir); without one, every
// load judges. Only "not wider" is remembered, under a key of everything the judgement reads.
struct PolicyVerdictStore {
  std::function<bool(const std::string& state_dir, const std::string& key)> remembered;
  std::function<void(const std::string& state_dir, const std::string& key)> remember;
};
void set_policy_verdict_store(PolicyVerdictStore store);

// One policy per workload: the policy the first matching selector of `loaded` names, else
// `loaded` itself. `selected_by` (optional) gets the selector's key ("selectors[1]") or "".
const Policy& select_policy(const Policy& loaded, const Workload& workload, std::string* selected_by = nullptr);

}  // namespace oci_harden
