// What the rules may ask of the host, behind an interface so that rule decisions stay pure and
// unit tests never touch the real machine. RealHost (shim/host/real_host.cc) answers from the kernel.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/path_identity.hh"

namespace oci_harden {

// A listening UNIX socket bound to a file: the name it was bound to (as the binder's mount
// namespace spelt it; the file may since have been renamed), the file (dev, ino) and the
// executables of the processes holding it.
struct UnixListener {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
  std::vector<std::string> exes;
};

struct NamespaceId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NamespaceId& o) const { return dev == o.dev && ino == o.ino; }
};

// Idmapped root filesystem and joined user namespaces (issue 18.1, 18.4).
// Who may search a directory, as the kernel decides it (owner, group, mode; an access ACL).
struct DirAccess {
  std::string path;
  uint32_t uid = 0, gid = 0;
  uint32_t mode = 0755;  // permission bits
  bool acl = false;      // a system.posix_acl_access may widen the group bits (read where g+x, gid 0)
};
// The mount whose root a path is: the part of its filesystem it shows ("/" for a whole
// filesystem, "/srv/app" for a bind of that directory), its type, and every other place in
// the mount table where the same filesystem is mounted.
struct MountAt {
  std::string fs_root;
  std::string fstype;
  std::vector<std::string> also_at;
};
// One line of /proc/PID/uid_map or gid_map, relative to oci-harden's own user namespace.
struct IdMapRange {
  uint32_t container = 0, host = 0, size = 0;
};
struct UserNamespaceMap {
  std::vector<IdMapRange> uid, gid;
};

class Host {
 public:
  virtual ~Host() = default;
  // Highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap).
  virtual int cap_last_cap() const = 0;
  virtual int64_t memory_bytes() const = 0;
  virtual int cpu_count() const = 0;
  // Absolute, with ".", "..", "//" and symlinks resolved as far as the path exists; the part
  // that does not exist is appended lexically. `path` must be absolute.
  virtual std::string canonical_path(const std::string& path) const = 0;
  // Namespace of a path given in linux.namespaces[].path; nullopt when it cannot be inspected.
  virtual std::optional<NamespaceId> namespace_at(const std::string& path) const = 0;
  // oci-harden's own namespace of `type` (/proc/self/ns/<type>; it runs in the engine's).
  virtual std::optional<NamespaceId> own_namespace(const std::string& type) const = 0;
  // pid 1's namespace, where readable (on some hosts pid 1 is non-dumpable: EACCES).
  virtual std::optional<NamespaceId> init_namespace(const std::string& type) const = 0;
  // Whether `dir` is on a filesystem that accepts idmapped mounts. uid/gid/size: the mapping
  // the idmapped mount would carry (RealHost probes with that user namespace, which the
  // idmapped rootfs then reuses; the answer itself does not depend on it).
  virtual bool supports_idmapped_mount(const std::string& dir, uint32_t uid, uint32_t gid,
                                       uint32_t size) const = 0;
  // Whether every directory from / down to `dir` can be searched by uid/gid.
  virtual bool searchable_by(const std::string& dir, uint32_t uid, uint32_t gid) const = 0;
  virtual bool apparmor_enabled() const = 0;
  // Whether an AppArmor profile of this exact name is loaded (listed in
  // /sys/kernel/security/apparmor/profiles, in any mode); false when that cannot be read.
  virtual bool apparmor_profile_loaded(const std::string& name) const = 0;
  // Whether capability `cap` is in oci-harden's own bounding set (the engine's: oci-harden runs
  // as the engine's child). An engine can grant no capability outside it.
  virtual bool in_own_bounding_set(int cap) const = 0;

  // devices, apparmor (issues 12.5, 18.6).
  // The mode an AppArmor profile is loaded in ("enforce", "complain", "unconfined", "kill", ...,
  // as /sys/kernel/security/apparmor/profiles shows it); nullopt when it is not loaded.
  virtual std::optional<std::string> apparmor_profile_mode(const std::string& name) const = 0;
  // What a device node on the host is (stat, following symlinks).
  struct DeviceNode {
    char type = 0;  // 'c' or 'b'
    int64_t major = 0, minor = 0;
    bool operator==(const DeviceNode& o) const {
      return type == o.type && major == o.major && minor == o.minor;
    }
  };
  // The device at `path` on the host; nullopt when the path is not a character or block device
  // (absent, unreadable, or another kind of file).
  virtual std::optional<DeviceNode> device_at(const std::string& path) const = 0;
  // Idmapped root filesystem and joined user namespaces (issue 18.1, 18.4).
  // Every directory from / down to the parent of `path` (canonical), in that order; empty when
  // one of them cannot be read.
  virtual std::vector<DirAccess> ancestors(const std::string& path) const = 0;
  // What is mounted at `path` when `path` is the root of a mount; nullopt otherwise.
  virtual std::optional<MountAt> mount_at(const std::string& path) const = 0;
  // The real uid/gid maps of the user namespace at `path` (a /proc/PID/ns/user or a bind of
  // one), relative to oci-harden's own user namespace; nullopt when it cannot be read.
  virtual std::optional<UserNamespaceMap> user_namespace_map(const std::string& path) const = 0;
  // Hooks (rule "hooks"): the file a hook path makes the kernel execute.
  struct Binary {
    dev_t dev = 0;
    ino_t ino = 0;
    bool deleted = false;  // no longer linked anywhere (an upgraded dockerd still running)
    std::string name;      // where it is, as the kernel names it ("/usr/bin/dockerd (deleted)")
  };
  // stat(2) of `path`, symlinks and magic links (/proc/<pid>/exe) followed as execve follows
  // them; nullopt when nothing is there or it is not a regular file.
  virtual std::optional<Binary> binary_at(const std::string& path) const = 0;

  // Update (rule "update"): a running container's CFS bandwidth, from its cgroup (cpu.max, or
  // cpu.cfs_quota_us and cpu.cfs_period_us); quota -1 is "max". nullopt when unreadable.
  struct CpuBandwidth {
    int64_t quota = -1;
    uint64_t period = 0;
  };
  virtual std::optional<CpuBandwidth> cpu_bandwidth_of(pid_t pid) const = 0;
  // Mount identity (sensitive-mounts). What the canonical path `canon` is as the kernel will
  // bind it (file, mount, true path); nullopt when it cannot be opened. The mount table is
  // read once per process, on first use.
  virtual std::optional<PathIdentity> path_identity(const std::string& canon) const = 0;
  // The mounts strictly below `canon` (an rbind carries them along), each as its mount root's
  // identity (true_path: what that mount shows).
  virtual std::vector<PathIdentity> submount_identities(const std::string& canon) const = 0;
  // The executables of the processes listening on the UNIX socket file (dev, ino).
  virtual std::vector<std::string> socket_listeners(dev_t dev, ino_t ino) const = 0;
  // Namespace paths pinned (linux.namespaces[].path): what the symlink at `path` says (readlink),
  // read once per process; nullopt when `path` is not a symlink.
  virtual std::optional<std::string> symlink_target(const std::string& path) const = 0;
  // Directories holding an engine socket (sensitive-mounts): every listening UNIX socket bound
  // to a file, with its holders' executables; read once per process, on first use.
  virtual std::vector<UnixListener> unix_listeners() const = 0;
  // Exceptions of later operations (exec, update): the wall clock, seconds since the epoch
  // (UTC), against which an opt-out's end is judged; nullopt (the default) when there is none,
  // and then an exception with an end date grants nothing.
  virtual std::optional<int64_t> now() const { return std::nullopt; }
  // seccomp: whether the kernel runs x32 system calls (x86_64 only; Debian and most
  // distributions build without CONFIG_X86_X32_ABI). A filter section for an ABI the kernel does
  // not run can never match, and the runtime compiles it at every start. true (the default)
  // where it cannot be known.
  virtual bool runs_x32_syscalls() const { return true; }
  // GPUs and CDI (devices): the major the kernel gave the driver `name` for devices of `type`
  // ('c' or 'b'), as /proc/devices lists it (nvidia-uvm's is handed out at load); nullopt when
  // no such driver is registered. Read once per process, only for a policy that names one.
  virtual std::optional<int64_t> driver_major(char type, const std::string& name) const {
    (void)type;
    (void)name;
    return std::nullopt;
  }

  // Rootless engines (issue 17.3): oci-harden's own user namespace's uid map (/proc/self/uid_map,
  // relative to its parent); the initial namespace's identity map unless told otherwise.
  virtual std::vector<IdMapRange> own_uid_map() const { return {IdMapRange{0, 0, UINT32_MAX}}; }
  // Why the runtime cannot set cgroup limits from here ("" when it can): an unprivileged runtime
  // on a cgroup v1 or hybrid host, or on cgroup v2 without its subtree delegated to it.
  virtual std::string cgroup_limits_unsettable() const { return ""; }

  // Seccomp by effect (issue 14, shim/host/seccomp_verdicts.hh): whether a judgement with this
  // key found the spec's profile holds, remembered between processes under `state_dir`; and
  // remembering it. The defaults remember nothing.
  virtual bool seccomp_holds_remembered(const std::string& state_dir, const std::string& key) const {
    (void)state_dir;
    (void)key;
    return false;
  }
  virtual void remember_seccomp_holds(const std::string& state_dir, const std::string& key) const {
    (void)state_dir;
    (void)key;
  }
};

}  // namespace oci_harden
