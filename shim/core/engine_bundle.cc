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

std::string bundle_engine(const std::string& bundle, const std::string& container_id) {
  if (is_containers_storage_bundle(bundle, container_id)) return "podman";
  if (bundle.empty() || bundle[0] != '/' || container_id.empty()) return "";
  const std::vector<std::string> parts = lexical_parts(bundle);
  if (parts.size() < 3 || parts.back() != container_id) return "";
  const std::string& task_dir = parts[parts.size() - 3];
  if (task_dir != "io.containerd.runtime.v2.task" && task_dir != "io.containerd.runtime.v1.linux") return "";
  const std::string& ns = parts[parts.size() - 2];
  if (ns == "k8s.io") return "kubernetes";
  if (ns == "moby") return "docker";
  return "containerd";
}

}  // namespace oci_harden
