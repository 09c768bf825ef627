// The layout of oci-harden's own state directory (the policy's state_dir), built here and
// parsed back here only:
//   <state_dir>/<id>/rootfs   the idmapped bind of container <id>'s root filesystem
// The user-namespace rule points root.path at it; host actions create it and remove it.
#pragma once

#include <optional>
#include <string>

namespace oci_harden {

// <state_dir>/<id>: everything oci-harden keeps for one container.
std::string container_state_dir(const std::string& state_dir, const std::string& container_id);
// <state_dir>/<id>/rootfs.
std::string idmapped_rootfs_path(const std::string& state_dir, const std::string& container_id);

// The directories above an idmapped rootfs path: its <state_dir> and <state_dir>/<id>.
struct IdmappedRootfsDirs {
  std::string state_dir;
  std::string container_dir;
};
// nullopt when `path` is not of the form <state_dir>/<id>/rootfs (absolute, id non-empty).
std::optional<IdmappedRootfsDirs> idmapped_rootfs_dirs(const std::string& path);

}  // namespace oci_harden
