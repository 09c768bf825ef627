// delete at the edge (see delete_command.hh).

#include "shim/cli/delete_command.hh"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "shim/cli/exit_codes.hh"
#include "shim/core/rule.hh"
#include "shim/host/audit.hh"
#include "shim/host/clock.hh"
#include "shim/host/delete_claim.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/runc_log.hh"
#include "shim/host/runtime_exec.hh"

namespace oci_harden {

namespace {

volatile sig_atomic_t g_child = 0;

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

// The poststop work, once the runtime has deleted the container.
void after_delete(const Policy& policy, const std::string& id, int64_t start, pid_t runtime) {
  // The hook answered from inside this delete: the runtime had the container and destroyed it.
  bool seen = delete_claim_seen(policy.state_dir, id, runtime);
  remove_delete_claim(policy.state_dir, id);
  auto cleaned = cleanup_container_state(policy.state_dir, id);
  // No hook injected: no stop record (as before). No answer: the runtime had no such container
  // (a second `delete --force`), or the claim could not be written and the hook recorded.
  if (policy.hook_path.empty() || !seen) return;
  AuditEvent e;
  e.event = "stop";
  e.container = id;
  e.decision = decision_word(Mode::kEnforce, false, false);
  e.extra = Json::object();
  e.extra.set("recorded_by", Json::string("delete"));
  if (!cleaned) e.extra.set("cleanup_error", Json::string(cleaned.error().message));
  std::string let_pass;
  auto st = record_event(policy, e, start, &let_pass);
  // The delete has happened: its status stays the runtime's; a record that failed is told in
  // runc's log, as the hook told it.
  if (!let_pass.empty()) log_error("oci-harden: " + let_pass);
  if (!st) log_error("oci-harden: " + st.error().message);
}

}  // namespace

Outcome delete_command(const RuncArgs& args, const Policy& policy) {
  int64_t start = now_us();
  const std::string id = args.container_id();
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    if (!id.empty()) (void)cleanup_container_state(policy.state_dir, id);
    return proceed(args.argv);
  }
  if (child == 0) {
    // The runtime's process: its pid is the claim the poststop hook will see as its parent.
    if (!id.empty()) (void)write_delete_claim(policy.state_dir, id, ::getpid());
    Error err = exec_runtime(policy.runtime, args.argv);
    log_error("oci-harden: " + err.message);
    remove_delete_claim(policy.state_dir, id);
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
  if (!id.empty()) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      after_delete(policy, id, start, child);
    } else {
      remove_delete_claim(policy.state_dir, id);
    }
  }
  Outcome o = stop(pass_on(status), "");
  o.quiet = true;
  return o;
}

}  // namespace oci_harden
