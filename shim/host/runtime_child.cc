// The runtime as a child (see runtime_child.hh).

#include "shim/host/runtime_child.hh"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "shim/host/runc_log.hh"
#include "shim/host/runtime_exec.hh"

namespace oci_harden {

namespace {

volatile sig_atomic_t g_child = 0;

// What would end the runtime's command reaches it: the caller signals oci-harden's pid.
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

}  // namespace

int run_runtime_child(const std::string& runtime, const std::vector<std::string>& argv, int failure_code,
                      const std::function<void(const std::string& message)>& on_exec_failure) {
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    // A SIGKILL to this process (an engine's timeout) must end the runtime too, as it would
    // have had the runtime been executed in its place.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(failure_code);
    Error err = exec_runtime(runtime, argv);
    if (on_exec_failure) on_exec_failure(err.message);
    ::_exit(failure_code);
  }
  g_child = child;
  forward_signals();
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      status = failure_code << 8;
      break;
    }
  }
  g_child = 0;
  return status;
}

bool runtime_succeeded(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

int pass_on(int status, int failure_code) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return 128 + sig;
  }
  return failure_code;
}

}  // namespace oci_harden
