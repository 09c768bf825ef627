// Whether a path is the root of a mount (see mount_root.hh).

#include "shim/host/mount_root.hh"

#include <fcntl.h>
#include <sys/stat.h>

namespace oci_harden {

bool is_mount_root(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0) return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

}  // namespace oci_harden
