// Learn mode (issue 15, item 1): the installed seccomp profile rewritten so that every call it
// allows, outside a small always-allowed base set, is handed to oci-harden's recorder
// (SCMP_ACT_NOTIFY to linux.seccomp.listenerPath), which records it and lets it run
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE). What the profile denies stays denied as before, and a
// conditional entry (clone's flags, socket's family) keeps its conditions: a call its
// conditions do not match is not notified, it falls to the profile's other entries as before.
//
// The base set: the calls the runtime itself makes after it installs the filter and before the
// recorder holds the notify descriptor (runc 1.1.5: the sync with its parent over the init pipe,
// write/sendmsg/read; crun 1.8.1: the same over its sync socket), the Go runtime's own calls in
// runc's init, and the calls every process makes at exit. Notified there, the runtime would
// wait for an answer no one can give yet (runc also refuses SCMP_ACT_NOTIFY on write). They are
// allowed without notification, so a recording never sees them: it lists them as
// "always_allowed" instead.
//
// Pure: the caller (shim/cli/learn_launch.cc) starts the recorder and owns the socket.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"

namespace oci_harden {

struct Policy;

// The always-allowed base set, sorted.
const std::vector<std::string>& learn_always_allowed();

// The learn name grammar: [a-z0-9][a-z0-9._-]{0,62}.
bool valid_learn_name(const std::string& name);

// The annotation that names a container's learn workload (where learn_annotation allows it).
constexpr const char* kLearnAnnotation = "org.oci-harden.learn";

// Why `profile` (the spec's linux.seccomp after the rules) cannot be put in learn mode; "" when
// it can. A profile with its own listener (its SCMP_ACT_NOTIFY decisions go to another process:
// one listener per filter), one whose default action lets calls through (nothing would be
// notified for calls it does not list, and SCMP_ACT_NOTIFY cannot be a default action under
// runc), or none at all.
std::string learn_not_possible(const Json* profile);

// What the rewrite notifies: entries whose action is one of `actions` (SCMP_ACT_ALLOW for learn
// mode) get their names outside the base set (and, when `only` is given, only the names in
// `only`) split off into an SCMP_ACT_NOTIFY entry with the same conditions; listenerPath is set.
struct NotifyRewrite {
  Json profile;                       // the rewritten profile
  std::vector<std::string> notified;  // distinct names now notified, sorted
};
// `keep` (optional): names left as they are (watch mode: those the learned profile allows).
NotifyRewrite notify_rewrite(const Json& profile, const std::string& listener_path,
                             const std::vector<std::string>* keep = nullptr);

// The argument indices the profile's conditional entries compare, per syscall name.
std::map<std::string, std::vector<unsigned>> conditioned_args(const Json& profile);

// The recorder's --args word for them: "clone:0,socket:0" (hooks/seccomp_recorder.hh).
std::string conditioned_args_word(const std::map<std::string, std::vector<unsigned>>& args);

// "sha256:<hex>" of the profile's JSON text as written into config.json.
std::string seccomp_profile_digest(const Json& profile);

// The distinct names a profile allows (SCMP_ACT_ALLOW / SCMP_ACT_LOG entries), sorted.
std::vector<std::string> allowed_names(const Json& profile);

// Why a learned profile (seccomp_learned.profile) may not be enforced under `policy`, "" when
// it may: it has a listener of its own, its default action lets calls through, or, judged by
// effect (shim/core/seccomp_effect.hh) on this host's architectures, it lets through a call the
// widest profile the policy installs (its own plus the capability groups of its capabilities)
// denies.
std::string learned_profile_wider(const Json& learned, const Policy& policy);

// What learn mode does to one container, decided after the rules have judged the spec.
struct LearnPlan {
  bool active = false;                       // start the recorder (learn, or a learned profile watched)
  bool rewritten = false;                    // the spec's linux.seccomp was rewritten
  std::string workload;                      // the learn name, or the learned profile's file stem
  std::string why_not;                       // asked for but not put in learn mode: why (a note)
  std::string socket_path;                   // <state_dir>/<id>/seccomp.sock
  std::vector<std::string> recorder_args;    // for `oci-harden-hook record`
  Json seccomp_record;                       // the create record's "seccomp" object
};
// A policy with seccomp_learned (and no learn workload): enforce installs the learned profile
// with the calls the installed generic profile allows and it does not as SCMP_ACT_NOTIFY (errno:
// the recorder answers -EPERM and records them) or SCMP_ACT_KILL_PROCESS (kill: not recorded);
// audit keeps the generic profile and notifies those calls (the recorder lets them run and
// records them).
// The workload comes from the annotation org.oci-harden.learn when the top-level policy
// `loaded` allows it (learn_annotation), else from the chosen policy's "learn". When active,
// `spec`'s linux.seccomp is rewritten (notify_rewrite) to the listener socket.
LearnPlan plan_learn(Json& spec, const Policy& loaded, const Policy& policy, const std::string& container_id);

// A spec run again after oci-harden rewrote it for learn mode or a watched learned profile
// (`runc run` twice in one bundle) names oci-harden's own recorder socket of this container as
// its listener: that profile is oci-harden's, not the engine's, and is dropped before the rules
// run so that they install the policy's afresh (and the plan rewrites it again). Returns the
// note to record, "" when the spec's listener is anything else. A spec's author who writes that
// path gains nothing: the policy's profile is installed instead of theirs.
std::string drop_own_rewrite(Json& spec, const Policy& policy, const std::string& container_id);

// The create record's "seccomp" object for a container neither recorded nor under a learned
// profile: source "policy" (the seccomp rule installed the policy's profile, `by_rule`) or
// "spec" (the spec's own profile was kept), its digest, allowed and generic_allowed counts, mode
// "enforce". Null when the container has no profile.
Json plain_seccomp_record(const Json& spec, const Policy& policy, bool by_rule);

}  // namespace oci_harden
