// delete at the edge (see delete_command.hh).

#include "shim/cli/delete_command.hh"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "shim/cli/exit_codes.hh"
#include "shim/core/rule.hh"
#include "shim/core/state_dir.hh"
#include "shim/host/clock.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/runc_log.hh"
#include "shim/host/runtime_child.hh"
#include "shim/host/runtime_state.hh"
#include "shim/host/stop_record.hh"
#include "shim/host/stop_token.hh"

namespace oci_harden {

namespace {

// lstat says ENOENT (any other answer, or an error, is not "absent").
bool certainly_absent(const std::string& path) {
  struct stat st = {};
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

// After the runtime's delete, the stop's work, once per container (stop_token.hh):
//  - a created container (hook_plan.hh: no poststop hook; create left stop-at-delete) that is
//    gone, the runtime's delete having succeeded or the runtime having no such container (the
//    retry after a delete killed past the runtime's delete): recorded here;
//  - a token whose taker died before its record (a poststop hook of `run`, or an earlier delete
//    killed while it recorded): taken over here, whatever the runtime answered this time, as
//    its container was destroyed;
//  - a token that says recorded (a poststop hook did the work inside the runtime's delete):
//    nothing more;
//  - neither: the runtime had no such container of ours (Docker's second `delete --force`), or
//    the policy has no hook; nothing is recorded.
// The idmapped root goes once the container is gone. A stop-at-delete of another runtime root
// (another containerd namespace's container of the same id) is not this delete's: nothing.
void after_delete(const Policy& policy, const std::string& runtime_root, const std::string& id, int64_t start,
                  bool gone) {
  const std::optional<StopAtDelete> created = stop_at_delete_of(policy.state_dir, id);
  // oci-harden's state for this id is another runtime root's container (another containerd
  // namespace): this delete was of a container of the same id that is not that one.
  if (created && created->runtime_root != runtime_root) return;
  if ((gone && created) || stop_token_exists(policy.state_dir, id)) {
    StopOutcome out = record_stop_once(policy, id, created ? created->bundle : "", StopRecorder::kDelete, start);
    // The delete has happened: its status stays the runtime's; a record that failed is told in
    // runc's log, as the hook tells it.
    if (!out.let_pass.empty()) log_error("oci-harden: " + out.let_pass);
    if (!out.status) log_error("oci-harden: " + out.status.error().message);
  }
  if (gone) (void)cleanup_container_state(policy.state_dir, id);  // idempotent
}

}  // namespace

Outcome delete_command(const RuncArgs& args, const Policy& policy) {
  int64_t start = now_us();
  const std::string id = args.container_id();
  // A delete of a container the runtime does not have (Docker's second `delete --force`), with
  // nothing of oci-harden's for it either (no idmapped root, no stop token: no state
  // directory): the runtime will run no hook and destroy nothing, so there is nothing to hold,
  // wait for or finish. Hand over at once, as for any pass-through command.
  if (!id.empty() && runtime_lacks_container(policy.runtime, args.root, id) &&
      certainly_absent(container_state_dir(policy.state_dir, id))) {
    return proceed(args.argv);
  }
  // Held from before the runtime's delete until this one's work is done: the token outlives
  // every hook this delete's runtime may run (stop_token.hh). Without it (an unusable state
  // directory), the token is still taken; only its removal may come early.
  DeleteHold hold;
  if (!id.empty()) {
    auto held = DeleteHold::enter(policy.state_dir, id);
    if (held) hold = std::move(*held);
  }
  int status = run_runtime_child(policy.runtime, args.argv, kExitRuntime,
                                 [](const std::string& message) { log_error("oci-harden: " + message); });
  if (status < 0) {
    if (!id.empty()) (void)cleanup_container_state(policy.state_dir, id);
    return proceed(args.argv);
  }
  if (!id.empty()) {
    after_delete(policy, runtime_state_root(policy.runtime, absolute_runtime_root(args.root)), id, start,
                 runtime_succeeded(status) || runtime_lacks_container(policy.runtime, args.root, id));
  }
  hold.leave();
  Outcome o = stop(pass_on(status, kExitRuntime), "");
  o.quiet = true;
  return o;
}

}  // namespace oci_harden
