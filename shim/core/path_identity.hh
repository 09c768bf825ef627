// What a path IS on the host, as the kernel will bind it: the file (device, inode, type), the
// mount that holds it, the path inside its filesystem, and its true path: the same directory
// as reached through its filesystem's principal mount. A Docker named volume created with
// "-o type=none -o o=bind -o device=/" is a mount at .../volumes/<name>/_data whose root is "/"
// of the host's root filesystem: its true path is "/". A directory that is its own filesystem's
// principal view (an ordinary directory, Docker's shm tmpfs) is its own true path.
//
// The mount-table arithmetic here is pure (RealHost and the tests' FakeHost share it); reading
// the kernel is real_host.cc's.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "shim/core/mountinfo.hh"

namespace oci_harden {

struct PathIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  mode_t type = 0;          // st_mode & S_IFMT
  std::string fstype;       // of the filesystem holding it ("" when no mount was found)
  std::string fs_source;    // that mount's source (/dev/vda, proc, tmpfs)
  std::string mount_point;  // the mount that holds it, in oci-harden's mount namespace
  std::string mount_root;   // that mount's root inside its filesystem
  std::string inside;       // the path inside its filesystem
  std::string true_path;    // through the filesystem's principal mount
  // Hard links (sensitive-mounts): the file's link count; a file with more than one has names
  // elsewhere that cannot be judged.
  unsigned nlink = 1;
  bool same_file(const PathIdentity& o) const { return dev == o.dev && ino == o.ino; }
};

// The mount whose mount point is the longest prefix of the canonical path `canon` (the last
// listed of equals: it is mounted on top); nullptr when none is.
const MountEntry* mount_holding(const std::vector<MountEntry>& mounts, const std::string& canon);
const MountEntry* mount_by_id(const std::vector<MountEntry>& mounts, int id);

// Fills the mount fields of `id` for `canon`, held by `holder`. The principal mount of a
// filesystem is, among its mounts (same major:minor) whose root contains the path, the one
// showing the most of it (shortest root), then the one nearest "/" (shortest mount point), then
// the first listed: the host's "/" wins over a bind of "/" made later at a volume path.
void locate_in_mounts(const std::vector<MountEntry>& mounts, const MountEntry& holder,
                      const std::string& canon, PathIdentity* id);

// The mounts strictly below `canon` (what an rbind of it carries along).
std::vector<const MountEntry*> mounts_below(const std::vector<MountEntry>& mounts,
                                            const std::string& canon);

}  // namespace oci_harden
