// The detached verification worker (see detached_worker.hh).

#include "shim/host/detached_worker.hh"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace oci_harden {

namespace {

int sys_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

int sys_pidfd_send_signal(int pidfd, int sig) {
#ifdef SYS_pidfd_send_signal
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
#else
  (void)pidfd;
  (void)sig;
  errno = ENOSYS;
  return -1;
#endif
}

// The worker's standard streams: /dev/null, so that the runtime's pipes see their end when the
// hook exits, and nothing the worker says reaches the runtime's output.
void stdio_to_dev_null() {
  int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  for (int target = 0; target <= 2; ++target) ::dup2(fd, target);
  ::close(fd);
}

// Every descriptor above stderr but `keep` (the pinned process's pidfd): `oci-harden create`
// forks the worker with what the engine gave it open (--preserve-fds, pipes), and the engine
// must not wait on them for the worker's life.
void close_inherited(int keep) {
#ifdef SYS_close_range
  if (keep < 3) {
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
  } else if (::syscall(SYS_close_range, 3U, static_cast<unsigned>(keep) - 1U, 0U) == 0 &&
             ::syscall(SYS_close_range, static_cast<unsigned>(keep) + 1U, ~0U, 0U) == 0) {
    return;
  }
#endif
  long max = ::sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); ++fd) {
    if (fd != keep) ::close(fd);
  }
}

}  // namespace

bool PinnedProcess::exited() const {
  if (pid_ <= 0) return true;
  if (pidfd_.valid()) {
    struct pollfd p = {pidfd_.get(), POLLIN, 0};
    int n = ::poll(&p, 1, 0);
    return n > 0;
  }
  return ::kill(pid_, 0) != 0 && errno == ESRCH;
}

bool PinnedProcess::kill() const {
  if (pid_ <= 0) return false;
  if (pidfd_.valid()) return sys_pidfd_send_signal(pidfd_.get(), SIGKILL) == 0;
  return ::kill(pid_, SIGKILL) == 0;
}

PinnedProcess pin_process(pid_t pid) {
  if (pid <= 0) return PinnedProcess{};
  return PinnedProcess(pid, UniqueFd(sys_pidfd_open(pid)));
}

PinnedView read_pinned_view(const PinnedProcess& target) {
  PinnedView out;
  if (target.exited()) {
    out.ended = true;
    out.when = "ended before verification";
    return out;
  }
  out.view = read_process_view(static_cast<int>(target.pid()));
  if (target.exited()) {
    out.ended = true;
    out.when = "ended during verification";
    out.view = ProcessView{};
  }
  return out;
}

std::vector<Check> verify_pinned(const Json& spec, const PinnedView& pinned) {
  if (pinned.ended) return {Check{"process", "running until verified", pinned.when, false}};
  return verify_process(spec, pinned.view);
}

HookRole detach_worker(unsigned alarm_seconds, int keep_fd) {
  pid_t first = ::fork();
  if (first < 0) return HookRole::kWork;
  if (first > 0) {
    // The intermediate process exits as soon as it has forked: reap it, then return.
    int status = 0;
    while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
    }
    return HookRole::kReturnNow;
  }
  ::setsid();
  pid_t second = ::fork();
  if (second > 0) ::_exit(0);
  // second == 0: the detached worker; second < 0: the intermediate does the work itself (the
  // hook then waits for it: slower, but the verification is not lost).
  stdio_to_dev_null();
  close_inherited(keep_fd);
  if (::chdir("/") != 0) {
    // The worker keeps the runtime's cwd: harmless, it only pins that directory a moment.
  }
  ::alarm(alarm_seconds);
  return HookRole::kWork;
}

}  // namespace oci_harden
