// RealHost: the rules' questions answered from /proc, /sys and the filesystem. Every answer is
// a read, except the idmapped-mount probe, which builds a detached copy of a mount and throws
// it away (nothing is ever attached to the mount table).

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "handles.hh"
#include "host_actions.hh"
#include "real_host.hh"
#include "unix_listeners.hh"

namespace oci_harden {

namespace {

// The highest capability this code was built knowing, when the kernel's cannot be read.
constexpr int kCapLastCapFallback = 40;
// As many symlinks as the kernel follows in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;
// The AppArmor profiles list: one short line per loaded profile (a few hundred on a desktop).
constexpr size_t kMaxProfilesBytes = 4 << 20;

std::string read_small_file(const char* path) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  char buf[256];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

// A whole file up to `max` bytes; "" when it cannot be opened or read, or is larger.
std::string read_bounded_file(const char* path, size_t max) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || out.size() + static_cast<size_t>(n) > max) return "";
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// OCI namespace types → /proc/PID/ns/ names. An unknown type has no file (nullopt), rather
// than guessing.
const char* kernel_ns_name(const std::string& oci_type) {
  static const std::map<std::string, const char*> kNames = {
      {"network", "net"}, {"mount", "mnt"},   {"pid", "pid"},   {"ipc", "ipc"},
      {"uts", "uts"},     {"user", "user"},   {"cgroup", "cgroup"}, {"time", "time"},
  };
  auto it = kNames.find(oci_type);
  return it == kNames.end() ? nullptr : it->second;
}

std::optional<NamespaceId> stat_ns(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return NamespaceId{st.st_dev, st.st_ino};
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

class RealHost : public Host {
 public:
  int cap_last_cap() const override {
    static const int kValue = [] {
      std::string v = read_small_file("/proc/sys/kernel/cap_last_cap");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      return v.empty() || end == v.c_str() || n < 0 || n > 63 ? kCapLastCapFallback : static_cast<int>(n);
    }();
    return kValue;
  }

  int64_t memory_bytes() const override {
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
  }

  int cpu_count() const override {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
  }

  // Walks the path one component at a time. A component that exists and is a symlink is
  // replaced by its target (read with readlink, never followed blindly), at most 40 times; a
  // component that does not exist is kept as written; "." and ".." are resolved against what
  // has been resolved so far. So /var/run/x → /run/x even when x does not exist, and a ".."
  // after a missing component still lands on a resolved directory.
  // The resolved prefix is kept as one string ("" for "/") with the length it had before each
  // component, so ".." and a replaced link are a resize, not a rebuild.
  std::string canonical_path(const std::string& path) const override {
    std::vector<std::string> todo = split(path);
    std::string done;
    std::vector<size_t> starts;  // done.size() before each component in it
    int links = 0;
    size_t i = 0;
    while (i < todo.size()) {
      const std::string& seg = todo[i++];
      if (seg == ".") continue;
      if (seg == "..") {
        if (!starts.empty()) {
          done.resize(starts.back());
          starts.pop_back();
        }
        continue;
      }
      starts.push_back(done.size());
      done += '/';
      done += seg;
      std::optional<std::string> target = link_target(done);
      if (!target) continue;
      if (++links > kMaxSymlinks) continue;  // the kernel would say ELOOP; keep it lexical
      // Magic links (/proc/self/root) read as "/" here: the path they name from our view.
      std::vector<std::string> rest = split(*target);
      done.resize(starts.back());
      starts.pop_back();
      if ((*target)[0] == '/') {
        done.clear();
        starts.clear();
      }
      rest.insert(rest.end(), std::make_move_iterator(todo.begin() + static_cast<std::ptrdiff_t>(i)),
                  std::make_move_iterator(todo.end()));
      todo = std::move(rest);
      i = 0;
    }
    return done.empty() ? "/" : done;
  }

  std::optional<NamespaceId> namespace_at(const std::string& path) const override { return stat_ns(path); }

  std::optional<NamespaceId> own_namespace(const std::string& type) const override {
    const char* name = kernel_ns_name(type);
    if (name == nullptr) return std::nullopt;
    return stat_ns(std::string("/proc/self/ns/") + name);
  }

  // EACCES where pid 1 is non-dumpable: nullopt, and the caller compares with its own instead.
  std::optional<NamespaceId> init_namespace(const std::string& type) const override {
    const char* name = kernel_ns_name(type);
    if (name == nullptr) return std::nullopt;
    return stat_ns(std::string("/proc/1/ns/") + name);
  }

  // Decided by trying, because the answer depends on the filesystem type and the kernel version
  // (tmpfs from 6.3, overlayfs not at all): a detached clone of the mount at `dir` (not its
  // submounts: the question is about this filesystem) is idmapped to a throwaway user
  // namespace, then closed; a detached mount vanishes with its descriptor, nothing is ever
  // attached. The answer is cached per filesystem (st_dev) for the process's lifetime.
  bool supports_idmapped_mount(const std::string& dir, uint32_t uid, uint32_t gid,
                               uint32_t size) const override {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idmap_cache_.find(st.st_dev);
    if (it != idmap_cache_.end()) return it->second;
    bool ok = probe_idmapped_mount(dir, uid, gid, size);
    idmap_cache_[st.st_dev] = ok;
    return ok;
  }

  // From the mode bits and owners alone, as the kernel judges a process whose uid and gid are
  // the mapped root's and which has no capability over host-owned inodes (they are not mapped
  // into its user namespace): owner bits if the uid owns the directory, else group bits if the
  // gid does, else other bits. ACLs are not consulted.
  bool searchable_by(const std::string& dir, uint32_t uid, uint32_t gid) const override {
    std::vector<std::string> parts = split(canonical_path(dir));
    std::string so_far;
    for (size_t i = 0; i <= parts.size(); ++i) {
      if (i > 0) so_far += "/" + parts[i - 1];
      struct stat st;
      if (::lstat(so_far.empty() ? "/" : so_far.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
      mode_t bit = st.st_uid == uid ? S_IXUSR : (st.st_gid == gid ? S_IXGRP : S_IXOTH);
      if ((st.st_mode & bit) == 0) return false;
    }
    return true;
  }

  bool apparmor_enabled() const override {
    return read_small_file("/sys/module/apparmor/parameters/enabled").compare(0, 1, "Y") == 0;
  }

  bool apparmor_profile_loaded(const std::string& name) const override {
    return apparmor_profiles_list_has(
        read_bounded_file("/sys/kernel/security/apparmor/profiles", kMaxProfilesBytes), name);
  }

  bool in_own_bounding_set(int cap) const override {
    return ::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(cap), 0, 0, 0) == 1;
  }

 private:
  // The target of the symbolic link at `path`, or nullopt when it is not one. One lstat (and
  // readlink) per distinct path in this process: the policy's forty-odd paths and the mounts'
  // sources share most of their prefixes (/var, /var/lib, /run, ...).
  std::optional<std::string> link_target(const std::string& path) const {
    std::lock_guard<std::mutex> lock(link_mu_);
    auto it = link_cache_.find(path);
    if (it != link_cache_.end()) return it->second;
    std::optional<std::string> result;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlink(path.c_str(), target, sizeof target);
      if (n > 0 && static_cast<size_t>(n) < sizeof target) result.emplace(target, static_cast<size_t>(n));
    }
    link_cache_.emplace(path, result);
    return result;
  }

  mutable std::mutex mu_;
  mutable std::mutex link_mu_;
  mutable std::map<std::string, std::optional<std::string>> link_cache_;
  mutable std::map<dev_t, bool> idmap_cache_;

  // Mount identity (sensitive-mounts).
 public:
  std::optional<PathIdentity> path_identity(const std::string& canon) const override {
    std::lock_guard<std::mutex> lock(ident_mu_);
    auto it = ident_cache_.find(canon);
    if (it != ident_cache_.end()) return it->second;
    std::optional<PathIdentity> result = identify(canon);
    ident_cache_.emplace(canon, result);
    return result;
  }

  std::vector<PathIdentity> submount_identities(const std::string& canon) const override {
    std::lock_guard<std::mutex> lock(ident_mu_);
    const std::vector<MountEntry>& table = mounts();
    std::vector<PathIdentity> out;
    for (const MountEntry* m : mounts_below(table, canon)) {
      PathIdentity id;
      id.dev = ::makedev(m->major, m->minor);
      locate_in_mounts(table, *m, m->mount_point, &id);
      out.push_back(std::move(id));
    }
    return out;
  }

  std::vector<std::string> socket_listeners(dev_t dev, ino_t ino) const override {
    return unix_socket_listeners(dev, ino);
  }

 private:
  // The mount table of oci-harden's mount namespace (the engine's), parsed once; callers hold
  // ident_mu_.
  const std::vector<MountEntry>& mounts() const {
    if (!mounts_read_) {
      mounts_ = parse_mountinfo(read_bounded_file("/proc/self/mountinfo", kMaxMountinfoBytes));
      mounts_read_ = true;
    }
    return mounts_;
  }

  // One statx, which follows the last symlink as runc's bind (and open without O_NOFOLLOW) do:
  // the file's device, inode and type, and the id of the mount that holds it (Linux 5.8+; a
  // longest-prefix match of mount points is the fallback).
  std::optional<PathIdentity> identify(const std::string& canon) const {
    struct statx sx {};
    if (::statx(AT_FDCWD, canon.c_str(), AT_STATX_SYNC_AS_STAT, STATX_TYPE | STATX_INO | STATX_MNT_ID,
                &sx) != 0) {
      return std::nullopt;
    }
    PathIdentity id;
    id.dev = ::makedev(sx.stx_dev_major, sx.stx_dev_minor);
    id.ino = sx.stx_ino;
    id.type = sx.stx_mode & S_IFMT;
    id.true_path = canon;
    id.inside = canon;
    const std::vector<MountEntry>& table = mounts();
    const MountEntry* holder = nullptr;
    if (sx.stx_mask & STATX_MNT_ID) holder = mount_by_id(table, static_cast<int>(sx.stx_mnt_id));
    if (holder == nullptr) holder = mount_holding(table, canon);
    if (holder != nullptr) locate_in_mounts(table, *holder, canon, &id);
    return id;
  }

  static constexpr size_t kMaxMountinfoBytes = 16 << 20;
  mutable std::mutex ident_mu_;
  mutable bool mounts_read_ = false;
  mutable std::vector<MountEntry> mounts_;
  mutable std::map<std::string, std::optional<PathIdentity>> ident_cache_;
};

}  // namespace

// The mode is the last parenthesised word of a line, so a name with spaces still compares whole.
bool probe_idmapped_mount(const std::string& dir, uint32_t uid, uint32_t gid, uint32_t size) {
  auto ns = shared_user_namespace(uid, gid, size);
  if (!ns) return false;
  UniqueFd tree(::open_tree(AT_FDCWD, dir.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree.valid()) return false;
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(*ns);
  return ::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) == 0;
}

bool apparmor_profiles_list_has(const std::string& list, const std::string& name) {
  if (name.empty()) return false;
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find('\n', start);
    if (end == std::string::npos) end = list.size();
    std::string line = list.substr(start, end - start);
    start = end + 1;
    size_t mode = line.rfind(" (");
    if (mode == name.size() && line.back() == ')' && line.compare(0, mode, name) == 0) return true;
  }
  return false;
}

const Host& real_host() {
  static const RealHost host;
  return host;
}

}  // namespace oci_harden
