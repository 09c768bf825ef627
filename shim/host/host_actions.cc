// Host actions: the idmapped root filesystem (open_tree, mount_setattr, move_mount) and
// mountpoints created inside a root filesystem (openat2 RESOLVE_IN_ROOT), plus their cleanup.
// This is the one place where oci-harden changes the host's mount table; each step says why it
// is safe.

#include "shim/host/host_actions.hh"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

#include "shim/core/bounded_read.hh"
#include "shim/core/container_id.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/state_dir.hh"

namespace oci_harden {

namespace {

Error os_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
}

Status write_file(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return os_error("open " + path, errno);
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n < 0) return os_error("write " + path, errno);
  if (static_cast<size_t>(n) != text.size()) return make_error(ErrorCode::kIo, "short write to " + path);
  return Ok{};
}

// mkdir -p for the state directory: every component created `mode`, root-owned (we run as
// root). Components that exist must be directories (a system link such as /var/run is fine
// here; the directories oci-harden owns are checked by check_private_dir).
Status make_dirs(const std::string& path, mode_t mode) {
  std::string so_far;
  for (const std::string& seg : lexical_parts(path)) {
    so_far += "/" + seg;
    if (::mkdir(so_far.c_str(), mode) == 0) continue;
    if (errno != EEXIST) return os_error("mkdir " + so_far, errno);
    struct stat st;
    if (::stat(so_far.c_str(), &st) != 0) return os_error("stat " + so_far, errno);
    if (!S_ISDIR(st.st_mode)) return make_error(ErrorCode::kIo, so_far + " exists and is not a directory");
  }
  return Ok{};
}

// The directories oci-harden owns (<state_dir>, <state_dir>/<id>, .../rootfs) must be root's
// and not writable by anyone else: otherwise another user could swap what runc mounts as root.
Status check_private_dir(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return os_error("lstat " + path, errno);
  if (!S_ISDIR(st.st_mode)) return make_error(ErrorCode::kIo, path + " is not a directory");
  if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return make_error(ErrorCode::kIo, path + " must be owned by root and writable only by root");
  }
  return Ok{};
}

// The container's root is an unprivileged user on the host: runc's init cannot reach a root
// filesystem below a directory others may not search (say a 0700 state_dir parent). Said here,
// with the directory named, rather than as runc's "permission denied" on the rootfs mount.
Status check_searchable_by_others(const std::string& path) {
  std::string so_far;
  for (const std::string& seg : lexical_parts(path)) {
    so_far += "/" + seg;
    struct stat st;
    if (::stat(so_far.c_str(), &st) != 0) return os_error("stat " + so_far, errno);
    if ((st.st_mode & S_IXOTH) == 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return make_error(ErrorCode::kIo, so_far + " (mode " + mode +
                                            ") is not searchable by others: the container's root, "
                                            "an unprivileged user on the host, cannot reach " + path);
    }
  }
  return Ok{};
}

bool same_inode(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

Status idmap_rootfs(const HostAction& a) {
  if (a.source.empty() || a.source[0] != '/' || a.target.empty() || a.target[0] != '/') {
    return make_error(ErrorCode::kIo, "idmapped rootfs: source and target must be absolute");
  }
  if (a.size == 0) return make_error(ErrorCode::kIo, "idmapped rootfs " + a.target + ": empty mapping");
  std::optional<IdmappedRootfsDirs> dirs = idmapped_rootfs_dirs(a.target);
  if (!dirs) return make_error(ErrorCode::kIo, "idmapped rootfs " + a.target + ": not <state_dir>/<id>/rootfs");
  // 0711: runc's init, already in the container's user namespace, must walk through these to
  // the rootfs (search), but nobody may list them.
  Status st = make_dirs(a.target, 0711);
  if (!st) return st;
  st = check_searchable_by_others(a.target);
  if (!st) return st;
  for (const std::string& dir : {dirs->state_dir, dirs->container_dir}) {
    if (dir == "/") continue;
    st = check_private_dir(dir);
    if (!st) return st;
  }
  if (is_mount_root(a.target)) {
    // A retried `runc run`: our own mount of the same tree is already there.
    if (same_inode(a.target, a.source)) return Ok{};
    // A stale mount left by an earlier container of the same id: replace it.
    if (::umount2(a.target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
      return os_error("unmounting the stale " + a.target, errno);
    }
  }
  st = check_private_dir(a.target);
  if (!st) return st;
  auto ns = shared_user_namespace(a.uid, a.gid, a.size);
  if (!ns) return std::move(ns).context("idmapped rootfs " + a.target).error();
  // A detached copy of the source tree: nothing is visible anywhere until move_mount.
  UniqueFd tree(::open_tree(AT_FDCWD, a.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree.valid()) return os_error("open_tree " + a.source, errno);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(*ns);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    return os_error("idmapping " + a.source + " (its filesystem may not support idmapped mounts)", errno);
  }
  if (::move_mount(tree.get(), "", AT_FDCWD, a.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return os_error("mounting the idmapped " + a.source + " at " + a.target, errno);
  }
  return Ok{};
}

// Why this is safe: the root filesystem is the image's, so its symlinks are the image author's.
// Every lookup is openat2 RESOLVE_IN_ROOT from a descriptor of the rootfs, so "/" and ".." in a
// link stay inside it (rootfs/tmp -> /etc resolves to rootfs/etc, never the host's /etc), and
// magic links (/proc/self/root) are refused. mkdirat never follows the final component.
Status mkdir_in_rootfs(const HostAction& a) {
  UniqueFd root(::open(a.source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return os_error("open rootfs " + a.source, errno);
  std::string rel = ".";
  std::vector<std::string> segs = lexical_parts(a.target);
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    struct open_how how {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd parent(static_cast<int>(::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how)));
    std::string where = a.source + "/" + (rel == "." ? "" : rel.substr(2) + "/") + seg;
    if (!parent.valid()) return os_error("mountpoint " + where, errno);
    if (a.file && i + 1 == segs.size()) {
      // The parent was opened inside the root; O_NOFOLLOW and O_EXCL keep the new file there.
      UniqueFd f(::openat(parent.get(), seg.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!f.valid() && errno != EEXIST) return os_error("create " + where, errno);
      break;
    }
    if (::mkdirat(parent.get(), seg.c_str(), 0755) != 0 && errno != EEXIST) {
      return os_error("mkdir " + where, errno);
    }
    rel += "/" + seg;
  }
  return Ok{};
}

// The child of make_user_namespace: it only waits for the pipe to close (or to be killed).
// It shares our memory (CLONE_VM), so it touches nothing but its own stack and makes only
// system calls.
int hold_namespace(void* arg) {
  const int* pipe_fds = static_cast<const int*>(arg);
  ::close(pipe_fds[1]);  // its copy of the write end: read() returns once ours is closed too
  char c;
  (void)!::read(pipe_fds[0], &c, 1);
  // cppcheck-suppress missingReturn ; _exit does not return
  ::_exit(0);
}

}  // namespace

bool is_mount_root(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0) return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

Result<UniqueFd> make_user_namespace(uint32_t uid, uint32_t gid, uint32_t size) {
  if (size == 0) return make_error(ErrorCode::kIo, "user namespace: empty mapping");
  // The child is born in the new user namespace (CLONE_NEWUSER) and keeps it alive until its
  // maps are written and we hold a descriptor; then it is killed. CLONE_VM: the kernel copies no
  // page tables (a copy of the address space and its teardown cost milliseconds per container).
  // It blocks on a pipe, so it also goes away if we die first.
  std::optional<Pipe> hold = make_pipe();
  if (!hold) return os_error("pipe", errno);
  UniqueFd& hold_r = hold->read_end;
  UniqueFd& hold_w = hold->write_end;
  constexpr size_t kStack = 64 * 1024;
  // cppcheck-suppress invalidFunctionArg ; fd -1 is what MAP_ANONYMOUS asks for
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return os_error("mmap", errno);
  int pipe_fds[2] = {hold_r.get(), hold_w.get()};
  long pid = ::clone(hold_namespace, static_cast<char*>(stack) + kStack,
                     CLONE_NEWUSER | CLONE_VM | SIGCHLD, pipe_fds);
  if (pid < 0) {
    int err = errno;
    ::munmap(stack, kStack);
    return os_error("clone CLONE_NEWUSER", err);
  }
  hold_r.reset();
  std::string base = "/proc/" + std::to_string(pid);
  std::string range = " " + std::to_string(size) + "\n";
  Status st = write_file(base + "/uid_map", "0 " + std::to_string(uid) + range);
  if (st) st = write_file(base + "/gid_map", "0 " + std::to_string(gid) + range);
  UniqueFd ns;
  if (st) {
    ns.reset(::open((base + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) st = os_error("open " + base + "/ns/user", errno);
  }
  hold_w.reset();
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
  ::munmap(stack, kStack);
  if (!st) return std::move(st).context("user namespace").error();
  return ns;
}

namespace {

std::mutex shared_ns_mu;
std::map<std::array<uint32_t, 3>, UniqueFd>& shared_namespaces() {
  static std::map<std::array<uint32_t, 3>, UniqueFd> made;
  return made;
}

}  // namespace

Result<int> shared_user_namespace(uint32_t uid, uint32_t gid, uint32_t size) {
  std::lock_guard<std::mutex> lock(shared_ns_mu);
  const std::array<uint32_t, 3> key{uid, gid, size};
  auto it = shared_namespaces().find(key);
  if (it != shared_namespaces().end()) return it->second.get();
  auto ns = make_user_namespace(uid, gid, size);
  if (!ns) return ns.error();
  int fd = ns->get();
  shared_namespaces().emplace(key, std::move(*ns));
  return fd;
}

void drop_shared_user_namespaces() {
  std::lock_guard<std::mutex> lock(shared_ns_mu);
  shared_namespaces().clear();
}

Status perform_host_actions(const std::vector<HostAction>& actions) {
  for (const HostAction& a : actions) {
    Status st = Ok{};
    switch (a.kind) {
      case HostAction::Kind::kIdmapRootfs:
        st = idmap_rootfs(a);
        break;
      case HostAction::Kind::kMkdirInRootfs:
        st = mkdir_in_rootfs(a);
        break;
      case HostAction::Kind::kPrivateStdio:
        st = private_stdio_devices();
        break;
    }
    if (!st) return st;
  }
  return Ok{};
}

// ---- joined user namespaces: their real maps (issue 18.4)

namespace {

// The child of read_user_namespace_map: enters the namespace, says how that went (0 or errno,
// one byte), then waits for the pipe to close. CLONE_VM as in hold_namespace: only syscalls.
struct EnterArgs {
  int ns_fd, ready_w, hold_r, hold_w;
};

int enter_namespace(void* arg) {
  const EnterArgs* a = static_cast<const EnterArgs*>(arg);
  ::close(a->hold_w);
  unsigned char result = ::setns(a->ns_fd, CLONE_NEWUSER) == 0 ? 0 : static_cast<unsigned char>(errno);
  (void)!::write(a->ready_w, &result, 1);
  char c;
  (void)!::read(a->hold_r, &c, 1);
  // cppcheck-suppress missingReturn ; _exit does not return
  ::_exit(0);
}

std::optional<std::string> read_proc_file(const std::string& path) {
  auto text = read_file_bounded(path, kMaxProcFileBytes);
  if (!text) return std::nullopt;
  return std::move(*text);
}

bool parse_u32(const std::string& word, uint32_t* out) {
  const char* end = word.data() + word.size();
  auto [ptr, ec] = std::from_chars(word.data(), end, *out);
  return ec == std::errc() && ptr == end && !word.empty();
}

}  // namespace

std::optional<std::vector<IdMapRange>> parse_id_map(const std::string& text) {
  std::vector<IdMapRange> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string a, b, c, extra;
    if (!(words >> a)) continue;  // blank line
    IdMapRange r;
    if (!(words >> b >> c) || (words >> extra) || !parse_u32(a, &r.container) || !parse_u32(b, &r.host) ||
        !parse_u32(c, &r.size)) {
      return std::nullopt;
    }
    out.push_back(r);
  }
  return out;
}

std::optional<UserNamespaceMap> read_user_namespace_map(const std::string& path) {
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target.valid()) return std::nullopt;
  struct stat ts, own;
  if (::fstat(target.get(), &ts) != 0 || ::stat("/proc/self/ns/user", &own) != 0) return std::nullopt;
  if (ts.st_dev == own.st_dev && ts.st_ino == own.st_ino) {
    // setns refuses our own namespace (EINVAL); seen from itself every id is itself.
    IdMapRange all{0, 0, UINT32_MAX};
    return UserNamespaceMap{{all}, {all}};
  }
  std::optional<Pipe> ready = make_pipe();
  std::optional<Pipe> hold = make_pipe();
  if (!ready || !hold) return std::nullopt;
  UniqueFd& ready_r = ready->read_end;
  UniqueFd& ready_w = ready->write_end;
  UniqueFd& hold_r = hold->read_end;
  UniqueFd& hold_w = hold->write_end;
  constexpr size_t kStack = 64 * 1024;
  // cppcheck-suppress invalidFunctionArg ; fd -1 is what MAP_ANONYMOUS asks for
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return std::nullopt;
  EnterArgs args{target.get(), ready_w.get(), hold_r.get(), hold_w.get()};
  long pid = ::clone(enter_namespace, static_cast<char*>(stack) + kStack, CLONE_VM | SIGCHLD, &args);
  if (pid < 0) {
    ::munmap(stack, kStack);
    return std::nullopt;
  }
  ready_w.reset();
  hold_r.reset();
  unsigned char result = 1;
  ssize_t n;
  do {
    n = ::read(ready_r.get(), &result, 1);
  } while (n < 0 && errno == EINTR);
  std::optional<std::string> uid_text, gid_text;
  if (n == 1 && result == 0) {
    // Opened by us, in our namespace: the kernel shows the outside ids relative to the
    // opener's user namespace, whatever the depth of the joined one.
    std::string base = "/proc/" + std::to_string(pid);
    uid_text = read_proc_file(base + "/uid_map");
    gid_text = read_proc_file(base + "/gid_map");
  }
  hold_w.reset();
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
  ::munmap(stack, kStack);
  if (!uid_text || !gid_text) return std::nullopt;
  auto uid = parse_id_map(*uid_text);
  auto gid = parse_id_map(*gid_text);
  if (!uid || !gid) return std::nullopt;
  return UserNamespaceMap{std::move(*uid), std::move(*gid)};
}

// ---- kPrivateStdio (issue 18.9)

// Why this is safe and changes nothing the container or the engine can tell: the new node has
// the same device number, type, mode, owner and open flags as the one it replaces, so reads and
// writes go to the same driver (/dev/null discards, /dev/zero reads zeros). It lives on a tmpfs
// that is never attached anywhere (fsmount without move_mount) and is unlinked at once: the
// only reference is the descriptor, and a chown of it changes nothing on the host. Terminals
// are left alone (the runtimes skip them; their owner is the engine's to set), and so are
// pipes and sockets (their inodes are private already).
Status private_stdio_devices() {
  UniqueFd mnt;
  for (int fd = 0; fd <= 2; ++fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) continue;  // closed: nothing to protect
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    if (st.st_nlink == 0) continue;  // unlinked: private already (ours, from an earlier call)
    if (::isatty(fd)) continue;
    if (!mnt.valid()) {
      UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
      if (!fs.valid()) return os_error("fsopen tmpfs (a private node for stdio)", errno);
      if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0700", 0) != 0 ||
          ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
        return os_error("creating a private tmpfs for stdio", errno);
      }
      mnt.reset(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
      if (!mnt.valid()) return os_error("fsmount of the private tmpfs for stdio", errno);
    }
    std::string name = "fd" + std::to_string(fd);
    if (::mknodat(mnt.get(), name.c_str(), st.st_mode & (S_IFMT | 07777), st.st_rdev) != 0) {
      return os_error("mknod of a private node for descriptor " + std::to_string(fd), errno);
    }
    // mknod applies the umask: set the mode and owner the original has.
    if (::fchmodat(mnt.get(), name.c_str(), st.st_mode & 07777, 0) != 0 ||
        ::fchownat(mnt.get(), name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return os_error("mode of the private node for descriptor " + std::to_string(fd), errno);
    }
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return os_error("fcntl F_GETFL on descriptor " + std::to_string(fd), errno);
    UniqueFd fresh(::openat(mnt.get(), name.c_str(),
                            (flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC));
    int err = errno;
    ::unlinkat(mnt.get(), name.c_str(), 0);
    if (!fresh.valid()) return os_error("open of the private node for descriptor " + std::to_string(fd), err);
    // No O_CLOEXEC on the copy: the runtime inherits it as its standard stream.
    if (::dup3(fresh.get(), fd, 0) < 0) return os_error("dup3 onto descriptor " + std::to_string(fd), errno);
  }
  return Ok{};
}

Status cleanup_container_state(const std::string& state_dir, const std::string& container_id) {
  if (!valid_container_id(container_id)) {
    return make_error(ErrorCode::kUsage, "invalid container id \"" + container_id + "\"");
  }
  if (state_dir.empty() || state_dir[0] != '/') {
    return make_error(ErrorCode::kUsage, "state_dir \"" + state_dir + "\" is not absolute");
  }
  std::string dir = container_state_dir(state_dir, container_id);
  std::string rootfs = idmapped_rootfs_path(state_dir, container_id);
  // Stacked mounts (a stale one under ours) come off one at a time.
  for (int i = 0; i < 16 && is_mount_root(rootfs); ++i) {
    if (::umount2(rootfs.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) return os_error("umount " + rootfs, errno);
  }
  if (::rmdir(rootfs.c_str()) != 0 && errno != ENOENT) return os_error("rmdir " + rootfs, errno);
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return os_error("rmdir " + dir, errno);
  return Ok{};
}

}  // namespace oci_harden
