// oci-harden's state directory layout (see state_dir.hh).

#include "shim/core/state_dir.hh"

#include "shim/core/lexical_path.hh"

namespace oci_harden {

namespace {
constexpr const char* kRootfsName = "rootfs";
}  // namespace

std::string container_state_dir(const std::string& state_dir, const std::string& container_id) {
  return state_dir + "/" + container_id;
}

std::string idmapped_rootfs_path(const std::string& state_dir, const std::string& container_id) {
  return container_state_dir(state_dir, container_id) + "/" + kRootfsName;
}

std::optional<IdmappedRootfsDirs> idmapped_rootfs_dirs(const std::string& path) {
  if (path.empty() || path[0] != '/' || base_name(path) != kRootfsName) return std::nullopt;
  std::string container_dir = dir_name(path);
  if (container_dir == "/") return std::nullopt;
  return IdmappedRootfsDirs{dir_name(container_dir), container_dir};
}

}  // namespace oci_harden
