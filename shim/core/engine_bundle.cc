// Which engine made a bundle, from its path (see engine_bundle.hh).

#include "shim/core/engine_bundle.hh"

#include <vector>

#include "shim/core/lexical_path.hh"

namespace oci_harden {

const char* const kContainersStorageBundleShape = "<storage root>/<driver>-containers/<container id>/userdata";

bool is_containers_storage_bundle(const std::string& bundle, const std::string& container_id) {
  if (bundle.empty() || bundle[0] != '/' || container_id.empty()) return false;
  const std::vector<std::string> parts = lexical_parts(bundle);
  // At least one component of storage root above <driver>-containers.
  if (parts.size() < 4) return false;
  const std::string& store = parts[parts.size() - 3];
  const std::string suffix = "-containers";
  return parts.back() == "userdata" && parts[parts.size() - 2] == container_id && store.size() > suffix.size() &&
         store.compare(store.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace oci_harden
