// What the rules may ask of the host, behind an interface so that rule decisions stay pure and
// unit tests never touch the real machine. RealHost (host.cc) answers from the kernel.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "path_identity.hh"

namespace oci_harden {

struct NamespaceId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NamespaceId& o) const { return dev == o.dev && ino == o.ino; }
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

  // Mount identity (sensitive-mounts). What the canonical path `canon` is as the kernel will
  // bind it (file, mount, true path); nullopt when it cannot be opened. The mount table is
  // read once per process, on first use.
  virtual std::optional<PathIdentity> path_identity(const std::string& canon) const = 0;
  // The mounts strictly below `canon` (an rbind carries them along), each as its mount root's
  // identity (true_path: what that mount shows).
  virtual std::vector<PathIdentity> submount_identities(const std::string& canon) const = 0;
  // The executables of the processes listening on the UNIX socket file (dev, ino).
  virtual std::vector<std::string> socket_listeners(dev_t dev, ino_t ino) const = 0;
};

}  // namespace oci_harden
