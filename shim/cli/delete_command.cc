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
#include "shim/host/runtime_exec.hh"
#include "shim/host/runtime_state.hh"
#include "shim/host/stop_record.hh"
#include "shim/host/stop_token.hh"

namespace oci_harden {

namespace {

volatile sig_atomic_t g_child = 0;

// lstat says ENOENT (any other answer, or an error, is not "absent").
bool certainly_absent(const std::string& path) {
  struct stat st = {};
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

// What would end the runtime's delete reaches it: the caller signals oci-harden's pid.
void forward_signal(int sig) {
  if (g_child > 0) ::kill(static_cast<pid_t>(g_child), sig);
}

const int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

void forward_signals() {
  struct sigaction sa = {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : kForwarded) ::sigaction(sig, &sa, nullptr);
}

// The runtime's status as this process's: its exit code, or the same signal's death.
int pass_on(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return 128 + sig;
  }
  return kExitRuntime;
}

// After the runtime's delete. The poststop hook did the stop's work inside it whenever the
// runtime ran one: a token is there. A token whose taker died before its record (a hook killed,
// or an earlier delete killed while it took over) is taken over here, whatever the runtime
// answered this time: a hook ran, so the container was destroyed. No token: the runtime ran no
// hook (it had no such container, as for Docker's second `delete --force`, or no hook was
// injected), and nothing is recorded. The idmapped root goes once the runtime's delete succeeded.
void after_delete(const Policy& policy, const std::string& id, int64_t start, bool deleted) {
  if (stop_token_exists(policy.state_dir, id)) {
    StopOutcome out = record_stop_once(policy, id, "", StopRecorder::kDelete, start);
    // The delete has happened: its status stays the runtime's; a record that failed is told in
    // runc's log, as the hook tells it.
    if (!out.let_pass.empty()) log_error("oci-harden: " + out.let_pass);
    if (!out.status) log_error("oci-harden: " + out.status.error().message);
  }
  if (deleted) (void)cleanup_container_state(policy.state_dir, id);  // idempotent
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
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    if (!id.empty()) (void)cleanup_container_state(policy.state_dir, id);
    return proceed(args.argv);
  }
  if (child == 0) {
    Error err = exec_runtime(policy.runtime, args.argv);
    log_error("oci-harden: " + err.message);
    ::_exit(kExitRuntime);
  }
  g_child = child;
  forward_signals();
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      status = kExitRuntime << 8;
      break;
    }
  }
  g_child = 0;
  if (!id.empty()) after_delete(policy, id, start, WIFEXITED(status) && WEXITSTATUS(status) == 0);
  hold.leave();
  Outcome o = stop(pass_on(status), "");
  o.quiet = true;
  return o;
}

}  // namespace oci_harden
