/*
 * probe_syscalls: tries syscalls a seccomp profile is meant to allow or deny
 * and prints one line per probe: "<probe> ok" or "<probe> errno=<N>".
 * Always exits 0 (the caller judges the lines). Build static so it runs in a
 * bare rootfs:  cc -static -pthread -o probe_syscalls tests/tools/probe_syscalls.c
 * Probes that succeed undo what they did (fds closed, children reaped); none
 * changes the system when it is allowed except "mount", which mounts a tmpfs
 * on /mnt inside the container's own mount namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

static void report(const char *probe, long rc, int err) {
  if (rc >= 0)
    printf("%s ok\n", probe);
  else
    printf("%s errno=%d\n", probe, err);
  fflush(stdout);
}

/* rc is a new fd on success: close it */
static void report_fd(const char *probe, long rc) {
  int err = errno;
  if (rc >= 0) close((int)rc);
  report(probe, rc, err);
}

/* A child's syscall result: the child exits 0 on success or 100+errno. */
static void report_child(const char *probe, pid_t pid, int fork_errno) {
  if (pid < 0) { report(probe, -1, fork_errno); return; }
  int st = 0;
  if (waitpid(pid, &st, 0) < 0) { report(probe, -1, errno); return; }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) report(probe, 0, 0);
  else if (WIFEXITED(st) && WEXITSTATUS(st) >= 100) report(probe, -1, WEXITSTATUS(st) - 100);
  else printf("%s child-status=0x%x\n", probe, st);
}

static void *thread_fn(void *arg) { return (void *)((uintptr_t)arg + 1); }

static void probe_socket(const char *probe, long family, int type) {
  report_fd(probe, syscall(SYS_socket, family, type, 0));
}

int main(void) {
  long rc;

  /* threads: glibc tries clone3 first and falls back to clone on ENOSYS */
  {
    pthread_t t;
    void *ret = NULL;
    int e = pthread_create(&t, NULL, thread_fn, (void *)41);
    if (e == 0) e = pthread_join(t, &ret);
    if (e == 0 && (uintptr_t)ret != 42) e = EIO;
    report("pthread_create", e ? -1 : 0, e);
  }

  {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    report_child("fork", pid, errno);
  }

  {
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.exit_signal = SIGCHLD;
    rc = syscall(SYS_clone3, &ca, sizeof ca);
    if (rc == 0) _exit(0);
    int err = errno;
    if (rc > 0) waitpid((pid_t)rc, NULL, 0);
    report("clone3", rc, err);
  }

  {
    /* raw clone with a namespace flag: fork-like (no CLONE_VM), child exits at once */
    rc = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0);
    if (rc == 0) _exit(0);
    int err = errno;
    if (rc > 0) waitpid((pid_t)rc, NULL, 0);
    report("clone_newuser", rc, err);
  }

  {
    pid_t pid = fork();
    if (pid == 0) _exit(syscall(SYS_unshare, CLONE_NEWUSER) == 0 ? 0 : 100 + errno);
    report_child("unshare", pid, errno);
  }

  rc = mount("none", "/mnt", "tmpfs", 0, "size=64k");
  { int err = errno; if (rc == 0) umount("/mnt"); report("mount", rc, err); }

  rc = syscall(SYS_keyctl, 0, 0);
  report("keyctl", rc, errno);

  {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    report_fd("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
  }

  {
    pid_t pid = fork();
    if (pid == 0) _exit(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 0 : 100 + errno);
    report_child("ptrace", pid, errno);
  }

  {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    report_fd("io_uring_setup", syscall(SYS_io_uring_setup, 1, &p));
  }

  report_fd("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));

  {
    struct perf_event_attr pe;
    memset(&pe, 0, sizeof pe);
    pe.size = sizeof pe;
    pe.type = PERF_TYPE_SOFTWARE;
    pe.config = PERF_COUNT_SW_TASK_CLOCK;
    pe.disabled = 1;
    pe.exclude_kernel = 1;
    pe.exclude_hv = 1;
    report_fd("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
  }

  {
    struct { struct file_handle fh; unsigned char buf[128]; } h;
    int mount_id;
    h.fh.handle_bytes = sizeof h.buf;
    rc = syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &h.fh, &mount_id, 0);
    report("name_to_handle_at", rc, errno);
  }

  rc = personality(0xffffffff);
  report("personality_query", rc, errno);
  rc = syscall(SYS_personality, 0x0006UL); /* PER_BSD: not on the allow-list */
  { int err = errno; if (rc >= 0) personality(PER_LINUX); report("personality_bsd", rc, err); }

  probe_socket("socket_unix", AF_UNIX, SOCK_STREAM);
  probe_socket("socket_inet", AF_INET, SOCK_STREAM);
  probe_socket("socket_inet6", AF_INET6, SOCK_DGRAM);
  probe_socket("socket_netlink", AF_NETLINK, SOCK_RAW);
  probe_socket("socket_vsock", AF_VSOCK, SOCK_STREAM);
  probe_socket("socket_alg", AF_ALG, SOCK_SEQPACKET);
#if defined(__LP64__)
  /* the kernel reads 'int family': upper register bits must not slip past the filter */
  probe_socket("socket_vsock_hibits", (long)(0x100000000UL | AF_VSOCK), SOCK_STREAM);
#endif

  report_fd("memfd_create", syscall(SYS_memfd_create, "probe", MFD_CLOEXEC));
  {
    /* raw buffer and mask: older musl has no struct statx (it is 256 bytes) */
    unsigned char sx[256] __attribute__((aligned(8)));
    report("statx", syscall(SYS_statx, AT_FDCWD, "/", 0, 0x7ffU /* STATX_BASIC_STATS */, sx), errno);
  }
  {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY | O_CLOEXEC | O_DIRECTORY;
    report_fd("openat2", syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how));
  }
  report_fd("pidfd_open", syscall(SYS_pidfd_open, getpid(), 0));
  report_fd("epoll_create1", epoll_create1(EPOLL_CLOEXEC));
  report_fd("eventfd", eventfd(0, EFD_CLOEXEC));
  report_fd("timerfd_create", timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
  return 0;
}
