// Whether a path is the root of a mount, from the kernel (statx STATX_ATTR_MOUNT_ROOT): asked
// by host actions (is the idmapped rootfs already mounted) and by RealHost (is a root
// filesystem a mount of its own).
#pragma once

#include <string>

namespace oci_harden {

// No symlink followed; false when the path cannot be inspected.
bool is_mount_root(const std::string& path);

}  // namespace oci_harden
