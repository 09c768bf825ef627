// oci-harden-hook: the OCI hook oci-harden injects into every spec it hardens.
//   poststart  verify, from the kernel's view of the container's init, that the hardening holds;
//              record a "verify" audit event; under policy verify=enforce, SIGKILL on a mismatch.
//   poststop   record a "stop" event and remove oci-harden's per-container state on the host.
// The runtime passes the container state (ociVersion, id, pid, bundle, …) on stdin. The hook is
// on the start path: bounded reads, no network, and an unreadable entry is a failed check.

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "hooks/seccomp_recorder.hh"
#include "shim/core/bounded_read.hh"
#include "shim/host/clock.hh"
#include "shim/host/container_verify.hh"
#include "shim/host/runc_log.hh"
#include "shim/host/stop_record.hh"
#include "shim/host/stop_token.hh"
#include "shim/core/policy.hh"
#include "shim/host/process_identity.hh"
#include "shim/host/seccomp_verdicts.hh"
#include "shim/core/spec.hh"

using namespace oci_harden;

namespace {

std::string read_stdin() {
  std::string out;
  char buf[8192];
  while (out.size() < kMaxStateBytes) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// To stdout with status 0 when asked for (--help), to stderr with status 2 after a wrong call.
int usage(FILE* to = stderr) {
  std::fprintf(to,
               "usage: oci-harden-hook poststart|poststop < state.json\n"
               "       oci-harden-hook record --mode MODE --workload NAME --container-id ID ... (fd 3)\n"
               "       oci-harden-hook --version\n"
               "An OCI hook injected by oci-harden; see oci-harden-hook(8).\n");
  return to == stdout ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Learn mode (issue 15): the seccomp recorder oci-harden starts before the runtime.
  if (argc >= 2 && std::string(argv[1]) == "record") {
    set_policy_reader_identity(own_identity());
    set_policy_verdict_store({seccomp_verdict_remembered, remember_seccomp_verdict});
    auto opts = parse_recorder_args(std::vector<std::string>(argv + 2, argv + argc));
    if (!opts) {
      log_error("oci-harden-hook: " + opts.error().message);
      return 2;
    }
    auto st = run_recorder(*opts, 3);
    if (!st) {
      log_error("oci-harden-hook record: " + st.error().message);
      return 1;
    }
    return 0;
  }
  if (argc != 2) return usage();
  std::string stage = argv[1];
  if (stage == "-h" || stage == "--help") return usage(stdout);
  if (stage == "--version") {
    std::printf("oci-harden-hook version %s\n", OCI_HARDEN_VERSION);
    return 0;
  }
  if (stage != "poststart" && stage != "poststop") return usage();
  // The hook bounds itself: the runtime may give it no timeout (crun, see verify-hook.cc), and
  // a hook that never ends would hold the container's start or stop forever.
  // SIGALRM's default action ends it, whatever disposition and mask the runtime left.
  ::signal(SIGALRM, SIG_DFL);
  sigset_t alarm_only;
  sigemptyset(&alarm_only);
  sigaddset(&alarm_only, SIGALRM);
  ::sigprocmask(SIG_UNBLOCK, &alarm_only, nullptr);
  ::alarm(kHookTimeoutSeconds);
  int64_t start = now_us();
  set_policy_reader_identity(own_identity());  // rootless engines: root is host root
  set_policy_verdict_store({seccomp_verdict_remembered, remember_seccomp_verdict});  // seccomp_learned
  auto policy = load_policy();
  if (!policy) {
    log_error("oci-harden-hook: " + policy.error().message);
    return 1;
  }
  auto state = parse_json(read_stdin());
  if (!state || !state->is_object()) {
    log_error("oci-harden-hook: the runtime's state on stdin is not a JSON object");
    return 1;
  }
  std::string id = string_field(&*state, "id").value_or("");
  std::string bundle = string_field(&*state, "bundle").value_or("");
  int64_t pid = int_field(&*state, "pid").value_or(0);

  // A poststop entry run at another stage (the hooks rule refuses oci-harden-hook anywhere but
  // poststart and poststop; this is the hook's own guard): the runtime's state says the container
  // is not stopped, so this is no stop to record.
  const std::string status = string_field(&*state, "status").value_or("");
  if (stage == "poststop" && (status == "creating" || status == "created" || status == "running")) {
    log_error("oci-harden-hook: poststop run while container " + id + " is " + status + ": no stop recorded");
    return 1;
  }
  if (stage == "poststop") {
    // issue 14: the hook does the stop's work whenever it runs, inside whichever delete; the
    // token makes it once per container (another hook or an `oci-harden delete` stands down).
    StopOutcome out = record_stop_once(*policy, id, bundle, StopRecorder::kHook, start);
    release_stop_token_if_alone(policy->state_dir, id);  // no delete around: the last one out
    if (!out.let_pass.empty()) log_error("oci-harden-hook: " + out.let_pass);
    if (!out.status) {
      log_error("oci-harden-hook: " + out.status.error().message);
      return 1;
    }
    return 0;
  }

  // Off the start path (issue 14): the runtime waits for this process before `start` returns,
  // so the container's init is pinned and its view read here, and a detached worker verifies,
  // records and kills (container_verify.hh).
  VerifyRun run = verify_container(*policy, id, bundle, pid, start, "oci-harden-hook");
  return run.status;
}
