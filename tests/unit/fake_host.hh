// A Host for unit tests: every answer is a field the test sets, nothing touches the machine.
#pragma once

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <functional>
#include <map>
#include <set>
#include <string>

#include "shim/core/host.hh"
#include "shim/core/lexical_path.hh"

namespace oci_harden {

class FakeHost : public Host {
 public:
  int last_cap = 40;
  int64_t memory = 8LL << 30;  // 8 GiB
  int cpus = 4;
  std::map<std::string, std::string> symlinks;      // absolute path -> absolute target
  std::map<std::string, NamespaceId> ns_paths;       // path -> namespace
  std::map<std::string, NamespaceId> own_ns;         // type -> namespace
  std::map<std::string, NamespaceId> init_ns;        // type -> namespace (absent = unreadable)
  std::set<std::string> idmap_dirs;                  // dirs that support idmapped mounts
  std::set<std::string> unsearchable_dirs;           // dirs the mapped uid cannot search
  bool apparmor = false;
  std::set<std::string> apparmor_profiles;           // loaded AppArmor profiles
  std::set<int> not_in_own_bounding;                 // capabilities the engine itself lacks

  int cap_last_cap() const override { return last_cap; }
  int64_t memory_bytes() const override { return memory; }
  int cpu_count() const override { return cpus; }
  std::string canonical_path(const std::string& path) const override;
  std::optional<NamespaceId> namespace_at(const std::string& path) const override {
    auto it = ns_paths.find(path);
    if (it == ns_paths.end()) return std::nullopt;
    return it->second;
  }
  std::optional<NamespaceId> own_namespace(const std::string& type) const override {
    auto it = own_ns.find(type);
    if (it == own_ns.end()) return std::nullopt;
    return it->second;
  }
  std::optional<NamespaceId> init_namespace(const std::string& type) const override {
    auto it = init_ns.find(type);
    if (it == init_ns.end()) return std::nullopt;
    return it->second;
  }
  bool supports_idmapped_mount(const std::string& dir, uint32_t, uint32_t, uint32_t) const override {
    return idmap_dirs.count(dir) > 0;
  }
  bool searchable_by(const std::string& dir, uint32_t, uint32_t) const override {
    for (const auto& d : unsearchable_dirs) {
      if (dir == d || dir.compare(0, d.size() + 1, d + "/") == 0) return false;
    }
    return true;
  }
  bool apparmor_enabled() const override { return apparmor; }
  bool apparmor_profile_loaded(const std::string& name) const override {
    return apparmor_profiles.count(name) > 0;
  }
  bool in_own_bounding_set(int cap) const override {
    return cap >= 0 && cap <= last_cap && not_in_own_bounding.count(cap) == 0;
  }

  // devices, apparmor
  std::map<std::string, std::string> apparmor_modes;  // profile -> mode; else enforce if loaded
  std::optional<std::string> apparmor_profile_mode(const std::string& name) const override {
    auto it = apparmor_modes.find(name);
    if (it != apparmor_modes.end()) return it->second;
    if (apparmor_profiles.count(name) > 0) return std::string("enforce");
    return std::nullopt;
  }
  std::map<std::string, DeviceNode> devices;  // host path -> device node there
  std::optional<DeviceNode> device_at(const std::string& path) const override {
    auto it = devices.find(path);
    if (it == devices.end()) return std::nullopt;
    return it->second;
  }

  // Idmapped root filesystem and joined user namespaces (issue 18.1, 18.4).
  std::map<std::string, DirAccess> dir_access;            // unlisted directories: 0755 root:root
  std::map<std::string, MountAt> mounts;                  // mount roots (canonical path -> mount)
  std::map<std::string, UserNamespaceMap> userns_maps;    // ns path -> real maps (absent: unreadable)
  // What an engine's root filesystem is: a whole filesystem of its own (overlay, a thin device)
  // mounted below a directory only root may search (0700, as the engines' data roots).
  void engine_rootfs(const std::string& rootfs) {
    std::string parent = rootfs.substr(0, rootfs.rfind('/'));
    dir_access[parent] = DirAccess{parent, 0, 0, 0700, false};
    mounts[rootfs] = MountAt{"/", "ext4", {}};
  }
  std::vector<DirAccess> ancestors(const std::string& path) const override {
    std::string canon = canonical_path(path);
    std::vector<DirAccess> out;
    size_t at = 0;
    while (at < canon.size() && canon != "/") {
      std::string dir = at == 0 ? "/" : canon.substr(0, at);
      auto it = dir_access.find(dir);
      out.push_back(it != dir_access.end() ? it->second : DirAccess{dir, 0, 0, 0755, false});
      at = canon.find('/', at + 1);
      if (at == std::string::npos) break;
    }
    return out;
  }
  std::optional<MountAt> mount_at(const std::string& path) const override {
    auto it = mounts.find(canonical_path(path));
    if (it == mounts.end()) return std::nullopt;
    return it->second;
  }
  std::optional<UserNamespaceMap> user_namespace_map(const std::string& path) const override {
    auto it = userns_maps.find(path);
    if (it == userns_maps.end()) return std::nullopt;
    return it->second;
  }

  // Hooks: canonical path (after the symlink table) -> the binary there.
  std::map<std::string, Binary> binaries;
  std::optional<Binary> binary_at(const std::string& path) const override {
    auto it = binaries.find(canonical_path(path));
    if (it == binaries.end()) return std::nullopt;
    return it->second;
  }
  // Update: pid -> its cgroup's CPU bandwidth (absent = unreadable).
  std::map<pid_t, CpuBandwidth> cpu_bandwidths;
  std::optional<CpuBandwidth> cpu_bandwidth_of(pid_t pid) const override {
    auto it = cpu_bandwidths.find(pid);
    if (it == cpu_bandwidths.end()) return std::nullopt;
    return it->second;
  }

  // Mount identity (sensitive-mounts): the mount table as /proc/self/mountinfo would list it
  // (empty means one ext4 root from /dev/vda, 8:0); every path exists as a directory unless
  // listed in `missing` or `file_types`; an inode is its path inside the filesystem, hashed
  // (so two spellings of one file share it); `listeners`: socket path -> listening executables.
  std::vector<MountEntry> mount_table;
  std::set<std::string> missing;
  std::map<std::string, mode_t> file_types;
  std::map<std::string, std::vector<std::string>> listeners;
  std::map<std::string, unsigned> nlinks;  // canonical path -> link count (default 1)

  void add_mount(const std::string& point, const std::string& fstype, const std::string& source,
                 unsigned major, unsigned minor, const std::string& root = "/") {
    if (mount_table.empty()) mount_table = {root_mount()};
    mount_table.push_back(MountEntry{static_cast<int>(mount_table.size()) + 1, 1, major, minor, root,
                                     point, "rw", fstype, source});
  }
  static MountEntry root_mount() { return MountEntry{1, 0, 8, 0, "/", "/", "rw", "ext4", "/dev/vda"}; }
  std::vector<MountEntry> table() const {
    return mount_table.empty() ? std::vector<MountEntry>{root_mount()} : mount_table;
  }
  std::optional<PathIdentity> path_identity(const std::string& canon) const override {
    if (missing.count(canon) > 0) return std::nullopt;
    std::vector<MountEntry> t = table();
    const MountEntry* holder = mount_holding(t, canon);
    if (holder == nullptr) return std::nullopt;
    PathIdentity id;
    id.dev = makedev(holder->major, holder->minor);
    auto type = file_types.find(canon);
    id.type = type == file_types.end() ? S_IFDIR : type->second;
    auto links = nlinks.find(canon);
    if (links != nlinks.end()) id.nlink = links->second;
    locate_in_mounts(t, *holder, canon, &id);
    id.ino = static_cast<ino_t>(std::hash<std::string>()(id.inside) | 1);
    return id;
  }
  std::vector<PathIdentity> submount_identities(const std::string& canon) const override {
    std::vector<MountEntry> t = table();
    std::vector<PathIdentity> out;
    for (const MountEntry* m : mounts_below(t, canon)) {
      PathIdentity id;
      id.dev = makedev(m->major, m->minor);
      locate_in_mounts(t, *m, m->mount_point, &id);
      out.push_back(std::move(id));
    }
    return out;
  }
  std::vector<std::string> socket_listeners(dev_t dev, ino_t ino) const override {
    for (const auto& [path, exes] : listeners) {
      auto id = path_identity(path);
      if (id && id->dev == dev && id->ino == ino) return exes;
    }
    return {};
  }

  // Namespace paths pinned: the symlink table's own entry for `path` (no resolution).
  std::optional<std::string> symlink_target(const std::string& path) const override {
    auto it = symlinks.find(path);
    if (it == symlinks.end()) return std::nullopt;
    return it->second;
  }

  // Directories holding an engine socket: `listeners` (socket path -> executables) as bound.
  // The clock of exec's and update's exceptions (Host::now); unset: none.
  std::optional<int64_t> clock;
  std::optional<int64_t> now() const override { return clock; }
  // Whether the kernel runs x32 system calls (the seccomp rule's architectures).
  bool x32 = true;
  bool runs_x32_syscalls() const override { return x32; }

  std::vector<UnixListener> unix_listeners() const override {
    std::vector<UnixListener> out;
    for (const auto& [path, exes] : listeners) {
      auto id = path_identity(canonical_path(path));
      if (id) out.push_back(UnixListener{path, id->dev, id->ino, exes});
    }
    return out;
  }

  // GPUs and CDI (devices): /proc/devices as "c nvidia-uvm" -> major.
  std::map<std::string, int64_t> drivers;
  std::optional<int64_t> driver_major(char type, const std::string& name) const override {
    auto it = drivers.find(std::string(1, type) + " " + name);
    if (it == drivers.end()) return std::nullopt;
    return it->second;
  }
  // Rootless engines (issue 17.3): oci-harden's own uid map (rootless Podman: "0 1001 1",
  // "1 165536 65536").
  std::vector<IdMapRange> own_map{IdMapRange{0, 0, UINT32_MAX}};
  std::vector<IdMapRange> own_uid_map() const override { return own_map; }
  std::string limits_unsettable;
  std::string cgroup_limits_unsettable() const override { return limits_unsettable; }

  // Seccomp by effect: remembered verdicts (issue 14), as "<state_dir>|<key>".
  mutable std::set<std::string> seccomp_held;
  bool seccomp_holds_remembered(const std::string& state_dir, const std::string& key) const override {
    return seccomp_held.count(state_dir + "|" + key) != 0;
  }
  void remember_seccomp_holds(const std::string& state_dir, const std::string& key) const override {
    seccomp_held.insert(state_dir + "|" + key);
  }
};

// Lexical canonicalisation with the fake symlink table (a link's target is absolute).
inline std::string FakeHost::canonical_path(const std::string& path) const {
  std::vector<std::string> todo = written_parts(path);
  std::vector<std::string> parts;
  int hops = 0;
  size_t i = 0;
  while (i < todo.size()) {
    std::string seg = todo[i++];
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(std::move(seg));
    auto link = symlinks.find(join_parts(parts));
    if (link != symlinks.end() && hops < 40) {
      ++hops;
      std::vector<std::string> rest = written_parts(link->second);
      rest.insert(rest.end(), todo.begin() + static_cast<std::ptrdiff_t>(i), todo.end());
      todo = std::move(rest);
      i = 0;
      parts.clear();
    }
  }
  return join_parts(parts);
}

}  // namespace oci_harden
