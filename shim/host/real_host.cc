// RealHost: the rules' questions answered from /proc, /sys and the filesystem. Every answer is
// a read, except the idmapped-mount probe, which builds a detached copy of a mount and throws
// it away (nothing is ever attached to the mount table).

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "shim/core/bounded_read.hh"
#include "shim/core/handles.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/proc_devices.hh"
#include "shim/core/split.hh"
#include "shim/host/mount_root.hh"
#include "shim/host/real_host.hh"
#include "shim/host/process_identity.hh"
#include "shim/host/seccomp_verdicts.hh"
#include "shim/host/unix_listeners.hh"
#include "shim/host/user_namespace.hh"

namespace oci_harden {

namespace {

// The highest capability this code was built knowing, when the kernel's cannot be read.
constexpr int kCapLastCapFallback = 40;
// As many symlinks as the kernel follows in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;

std::string read_small_file(const char* path) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  char buf[256];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

// A whole file up to `max` bytes; "" when it cannot be opened or read, or is larger.
std::string read_bounded_file(const std::string& path, size_t max) {
  auto text = read_file_bounded(path, max);
  return text ? std::move(*text) : std::string();
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
    std::vector<std::string> todo = written_parts(path);
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
      std::vector<std::string> rest = written_parts(*target);
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
    std::vector<std::string> parts = lexical_parts(canonical_path(dir));
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
        read_bounded_file("/sys/kernel/security/apparmor/profiles", kMaxApparmorProfilesBytes), name);
  }

  bool in_own_bounding_set(int cap) const override {
    return ::prctl(PR_CAPBSET_READ, static_cast<unsigned long>(cap), 0, 0, 0) == 1;
  }

  // Idmapped root filesystem and joined user namespaces (issue 18.1, 18.4).
  // lstat of each directory (the path is canonical, so none is a link unless one was swapped
  // in since: then it is not a directory and the answer is empty, which idmaps nothing).
  std::vector<DirAccess> ancestors(const std::string& path) const override {
    std::vector<std::string> parts = lexical_parts(canonical_path(path));
    std::vector<DirAccess> out;
    std::string so_far;
    for (const std::string& part : parts) {
      std::string dir = so_far.empty() ? "/" : so_far;
      struct stat st;
      if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {};
      // An ACL only matters behind a group x bit of root's group (see closed_to_others).
      bool acl = (st.st_mode & S_IXGRP) != 0 && st.st_gid == 0 &&
                 ::getxattr(dir.c_str(), "system.posix_acl_access", nullptr, 0) > 0;
      out.push_back(DirAccess{dir, st.st_uid, st.st_gid, static_cast<uint32_t>(st.st_mode & 07777), acl});
      so_far += "/" + part;
    }
    return out;
  }

  // From /proc/self/mountinfo (oci-harden runs in the engine's mount namespace, which is the
  // one runc resolves root.path in), read afresh: asked at most once per create, and only for a
  // root filesystem that is a mount of its own.
  std::optional<MountAt> mount_at(const std::string& path) const override {
    std::string target = canonical_path(path);
    if (!is_mount_root(target)) return std::nullopt;
    std::vector<MountEntry> table =
        parse_mountinfo(read_bounded_file("/proc/self/mountinfo", kMaxMountinfoBytes));
    const MountEntry* top = nullptr;
    for (const MountEntry& m : table) {
      if (m.mount_point == target) top = &m;  // the last one is the mount on top
    }
    if (top == nullptr) return std::nullopt;
    MountAt out{top->root, top->fstype, {}};
    for (const MountEntry& m : table) {
      if (&m != top && m.major == top->major && m.minor == top->minor) {
        out.also_at.push_back(m.mount_point);
      }
    }
    return out;
  }

  // Asked by the rule and again for the audit record: read once per path per process.
  std::optional<UserNamespaceMap> user_namespace_map(const std::string& path) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = userns_cache_.find(path);
    if (it != userns_cache_.end()) return it->second;
    return userns_cache_[path] = read_user_namespace_map(path);
  }


  // Hooks: one stat for the identity (it follows /proc/<pid>/exe to the inode even when the
  // file was deleted); the name from the same walk canonical_path does, the magic link read as
  // the kernel prints it. The name is for messages only.
  std::optional<Binary> binary_at(const std::string& path) const override {
    struct stat st;
    if (path.empty() || path[0] != '/' || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return std::nullopt;
    }
    Binary b;
    b.dev = st.st_dev;
    b.ino = st.st_ino;
    b.deleted = st.st_nlink == 0;
    b.name = canonical_path(path);
    return b;
  }

  // Update: the cgroup of `pid` from /proc/<pid>/cgroup; the cpu controller's v1 hierarchy where
  // there is one (a hybrid host keeps cpu on v1), else the unified one's cpu.max.
  std::optional<CpuBandwidth> cpu_bandwidth_of(pid_t pid) const override {
    std::string cgroups = read_bounded_file("/proc/" + std::to_string(pid) + "/cgroup", kMaxProcFileBytes);
    std::optional<std::string> v1, v2;
    for (const std::string& line : split_at(cgroups, '\n')) {
      size_t c1 = line.find(':'), c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
      if (c2 == std::string::npos) continue;
      std::string id = line.substr(0, c1), ctls = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
      if (id == "0" && ctls.empty()) v2 = path;
      for (const std::string& controller : split_at(ctls, ',')) {
        if (controller == "cpu") v1 = path;
      }
    }
    auto number = [](const std::string& text, int64_t* out) {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno != 0 || end == text.c_str()) return false;
      *out = v;
      return true;
    };
    CpuBandwidth bw;
    int64_t q = 0, p = 0;
    if (v1) {
      for (const char* dir : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
        std::string base = dir + *v1;
        if (number(read_small_file((base + "/cpu.cfs_quota_us").c_str()), &q) &&
            number(read_small_file((base + "/cpu.cfs_period_us").c_str()), &p) && p > 0) {
          bw.quota = q < 0 ? -1 : q;
          bw.period = static_cast<uint64_t>(p);
          return bw;
        }
      }
    }
    if (v2) {
      std::string max = read_small_file(("/sys/fs/cgroup" + *v2 + "/cpu.max").c_str());
      size_t space = max.find(' ');
      if (space != std::string::npos && number(max.substr(space + 1), &p) && p > 0) {
        bw.period = static_cast<uint64_t>(p);
        if (max.compare(0, space, "max") == 0) return bw;
        if (number(max.substr(0, space), &q) && q > 0) {
          bw.quota = q;
          return bw;
        }
      }
    }
    return std::nullopt;
  }

 private:
  // The target of the symbolic link at `path`, or nullopt when it is not one. One lstat (and
  // readlink) per distinct path in this process: the policy's forty-odd paths and the mounts'
  // sources share most of their prefixes (/var, /var/lib, /run, ...).
  // A path under a directory already found missing is missing too, and is not asked again
  // (issue 14.1: the policy names /var/lib/docker/containers and /var/lib/docker/volumes on
  // hosts without Docker).
  std::optional<std::string> link_target(const std::string& path) const {
    std::lock_guard<std::mutex> lock(link_mu_);
    auto it = link_cache_.find(path);
    if (it != link_cache_.end()) return it->second;
    std::optional<std::string> result;
    const size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0 && missing_.count(path.substr(0, slash)) != 0) {
      missing_.insert(path);
      link_cache_.emplace(path, result);
      return result;
    }
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = ::readlink(path.c_str(), target, sizeof target);
        if (n > 0 && static_cast<size_t>(n) < sizeof target) result.emplace(target, static_cast<size_t>(n));
      }
    } else if (errno == ENOENT || errno == ENOTDIR) {
      missing_.insert(path);
    }
    link_cache_.emplace(path, result);
    return result;
  }
  // Whether lstat found nothing at `path` (ENOENT, ENOTDIR) in this process: then no statx of it
  // can find anything either, whatever it follows.
  bool known_missing(const std::string& path) const {
    std::lock_guard<std::mutex> lock(link_mu_);
    return missing_.count(path) != 0;
  }

  mutable std::mutex mu_;
  mutable std::mutex link_mu_;
  mutable std::map<std::string, std::optional<std::string>> link_cache_;
  mutable std::set<std::string> missing_;  // paths lstat found nothing at (link_mu_)
  mutable std::map<dev_t, bool> idmap_cache_;
  mutable std::map<std::string, std::optional<UserNamespaceMap>> userns_cache_;

  // devices, apparmor
 public:
  // Read only when a spec names a profile on a host with AppArmor.
  std::optional<std::string> apparmor_profile_mode(const std::string& name) const override {
    std::string list = read_bounded_file("/sys/kernel/security/apparmor/profiles", kMaxApparmorProfilesBytes);
    size_t start = 0;
    while (!name.empty() && start < list.size()) {
      size_t end = list.find('\n', start);
      if (end == std::string::npos) end = list.size();
      std::string line = list.substr(start, end - start);
      start = end + 1;
      size_t mode = line.rfind(" (");
      if (mode == name.size() && line.back() == ')' && line.compare(0, mode, name) == 0) {
        return line.substr(mode + 2, line.size() - mode - 3);
      }
    }
    return std::nullopt;
  }

  // One stat, only for the paths of allowed_devices a spec's device rules or nodes name.
  std::optional<DeviceNode> device_at(const std::string& path) const override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    char type = S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : 0;
    if (type == 0) return std::nullopt;
    return DeviceNode{type, static_cast<int64_t>(major(st.st_rdev)),
                      static_cast<int64_t>(minor(st.st_rdev))};
  }

  // Mount identity (sensitive-mounts).
 public:
  std::optional<PathIdentity> path_identity(const std::string& canon) const override {
    // Issue 14.1: most of the policy's sensitive paths do not exist on a given host, and
    // canonical_path found that out already; their statx (and the mount table) is skipped.
    if (known_missing(canon)) return std::nullopt;
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
    if (::statx(AT_FDCWD, canon.c_str(), AT_STATX_SYNC_AS_STAT, STATX_TYPE | STATX_INO | STATX_MNT_ID | STATX_NLINK,
                &sx) != 0) {
      return std::nullopt;
    }
    PathIdentity id;
    id.dev = ::makedev(sx.stx_dev_major, sx.stx_dev_minor);
    id.ino = sx.stx_ino;
    id.type = sx.stx_mode & S_IFMT;
    id.nlink = sx.stx_nlink;
    id.true_path = canon;
    id.inside = canon;
    const std::vector<MountEntry>& table = mounts();
    const MountEntry* holder = nullptr;
    if (sx.stx_mask & STATX_MNT_ID) holder = mount_by_id(table, static_cast<int>(sx.stx_mnt_id));
    if (holder == nullptr) holder = mount_holding(table, canon);
    if (holder != nullptr) locate_in_mounts(table, *holder, canon, &id);
    return id;
  }

  mutable std::mutex ident_mu_;
  mutable bool mounts_read_ = false;
  mutable std::vector<MountEntry> mounts_;
  mutable std::map<std::string, std::optional<PathIdentity>> ident_cache_;

  // Namespace paths pinned (linux.namespaces[].path).
 public:
  std::optional<std::string> symlink_target(const std::string& path) const override { return link_target(path); }

  // Directories holding an engine socket (sensitive-mounts).
  std::optional<int64_t> now() const override { return static_cast<int64_t>(::time(nullptr)); }

  std::vector<UnixListener> unix_listeners() const override {
    std::call_once(listeners_once_, [this] { listeners_ = all_unix_listeners(); });
    return listeners_;
  }

  // seccomp: whether the kernel runs x32 system calls.
  bool runs_x32_syscalls() const override {
    static const bool runs = kernel_runs_x32_syscalls();
    return runs;
  }

  // GPUs and CDI (devices): /proc/devices, read once.
  std::optional<int64_t> driver_major(char type, const std::string& name) const override {
    std::call_once(drivers_once_, [this] {
      drivers_ = parse_proc_devices(read_bounded_file("/proc/devices", kMaxProcDevicesBytes));
    });
    return driver_major_in(drivers_, type, name);
  }

  // Rootless engines (issue 17.3).
  std::vector<IdMapRange> own_uid_map() const override { return own_identity().uid_map; }
  std::string cgroup_limits_unsettable() const override {
    std::call_once(cgroup_once_, [this] { cgroup_unsettable_ = rootless_cgroup_limits_unsettable(); });
    return cgroup_unsettable_;
  }

  // Seccomp by effect: remembered verdicts (issue 14).
  bool seccomp_holds_remembered(const std::string& state_dir, const std::string& key) const override {
    return seccomp_verdict_remembered(state_dir, key);
  }
  void remember_seccomp_holds(const std::string& state_dir, const std::string& key) const override {
    remember_seccomp_verdict(state_dir, key);
  }

 private:
  mutable std::once_flag cgroup_once_;
  mutable std::string cgroup_unsettable_;
  mutable std::once_flag listeners_once_;
  mutable std::vector<UnixListener> listeners_;
  mutable std::once_flag drivers_once_;
  mutable std::vector<ProcDevice> drivers_;
};

}  // namespace

// getpid with the x32 bit, asked only where no seccomp filter is on this process: a filter
// without an x32 section would kill it for a bad architecture (oci-harden run inside a container).
// Under a filter, or on another architecture, the answer is "yes" (install the x32 section: only
// slower, never weaker).
bool kernel_runs_x32_syscalls() {
#if defined(__x86_64__)
  if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0) return true;
  constexpr long kX32SyscallBit = 0x40000000L;
  errno = 0;
  long rc = ::syscall(kX32SyscallBit | SYS_getpid);
  return !(rc == -1 && errno == ENOSYS);
#else
  return true;
#endif
}

// The mode is the last parenthesised word of a line, so a name with spaces still compares whole.
bool probe_idmapped_mount(const std::string& dir, uint32_t uid, uint32_t gid, uint32_t size) {
  if (filesystem_never_idmapped(dir)) return false;  // issue 14.1: no namespace made for overlayfs
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
  for (const std::string& line : split_at(list, '\n')) {
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
