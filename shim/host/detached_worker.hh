// Verification off the start path (issue 14): the runtime waits for its poststart hook before
// `start` returns, so the hook hands the work to a detached process and returns at once.
//   pin_process     the container's init, pinned by a pidfd before the hook returns: the
//                   detached process judges and kills that process, never a reused pid
//   detach_worker   fork twice, setsid, stdio to /dev/null, cwd /: the caller (the hook the
//                   runtime waits for) returns; the grandchild, reparented away from the
//                   runtime, does the work and records it. A runtime that is a child
//                   subreaper and reaps until ECHILD before it exits (`crun run`) still
//                   waits for it; `crun start`/`runc start`, the engines' calls, do not.
#pragma once

#include <sys/types.h>

#include <vector>

#include "shim/host/process_verify.hh"
#include "shim/core/handles.hh"

namespace oci_harden {

// One process, pinned by a pidfd (when the kernel has pidfd_open; else by pid alone).
class PinnedProcess {
 public:
  PinnedProcess() = default;
  PinnedProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  pid_t pid() const { return pid_; }
  bool pinned() const { return pidfd_.valid(); }
  int fd() const { return pidfd_.get(); }
  // Whether the process has ended (its pidfd is readable). Unpinned: whether kill(pid, 0)
  // fails with ESRCH. A view read while !exited() afterwards was the pinned process's own.
  bool exited() const;
  // SIGKILL to the pinned process (pidfd_send_signal), never to whoever has its pid now.
  bool kill() const;

 private:
  pid_t pid_ = 0;
  UniqueFd pidfd_;
};

PinnedProcess pin_process(pid_t pid);

// The pinned process's view, read in the hook before it returns (the runtime then lets the
// container's process run on, and a short one is gone before a detached worker could look).
// The view is read by pid (/proc/PID): it is the pinned process's only if that process had not
// ended when the reading was done; `ended` says it had.
struct PinnedView {
  ProcessView view;
  bool ended = false;
  std::string when;  // "ended before verification" / "ended during verification"
};
PinnedView read_pinned_view(const PinnedProcess& target);

// verify_process on a pinned view; an ended process is a single failed check "process",
// whatever was read.
std::vector<Check> verify_pinned(const Json& spec, const PinnedView& pinned);

enum class HookRole {
  kReturnNow,  // the runtime's hook: return, the detached process does the work
  kWork,       // do the work here (the detached process, or the hook itself if it cannot fork)
};

// Forks the detached worker. In the worker: new session, stdin/stdout/stderr on /dev/null (the
// runtime reads the hook's output pipes to their end), cwd "/", and `alarm_seconds` as its own
// deadline (alarms are not inherited across fork). When the first fork fails the hook does the
// work itself (slower, never lost); when the second fails, the intermediate process does it.
// Every descriptor above stderr is closed in the worker but `keep_fd` (the pinned process's
// pidfd, PinnedProcess::fd()).
HookRole detach_worker(unsigned alarm_seconds, int keep_fd = -1);

}  // namespace oci_harden
