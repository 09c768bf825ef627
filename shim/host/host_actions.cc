// Host actions: the idmapped root filesystem (open_tree, mount_setattr, move_mount) and
// mountpoints created inside a root filesystem (openat2 RESOLVE_IN_ROOT), plus their cleanup.
// This is the one place where oci-harden changes the host's mount table; each step says why it
// is safe.

#include "shim/host/host_actions.hh"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "shim/core/container_id.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/state_dir.hh"
#include "shim/host/mount_root.hh"
#include "shim/host/user_namespace.hh"

namespace oci_harden {

namespace {

Error os_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
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

}  // namespace

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
  // ENOTEMPTY: the stop token (stop_token.hh) is still in it; its last one out removes both.
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY) return os_error("rmdir " + dir, errno);
  return Ok{};
}

}  // namespace oci_harden
