// The runtime's own state directory (see runtime_state.hh).

#include "shim/host/runtime_state.hh"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "shim/core/container_id.hh"
#include "shim/core/lexical_path.hh"

namespace oci_harden {

std::string runtime_state_root(const std::string& runtime, const std::string& root) {
  if (!root.empty()) return root;
  if (::geteuid() != 0) return "";
  std::string base = base_name(runtime);
  if (base == "runc") return "/run/runc";
  if (base == "crun") return "/run/crun";
  return "";
}

std::string runtime_state_root_of_flag(const std::string& runtime, const std::string& root_flag) {
  std::string root = root_flag;
  if (!root.empty() && root[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) != nullptr) root = std::string(cwd) + "/" + root;
  }
  return runtime_state_root(runtime, root);
}

bool runtime_lacks_container(const std::string& runtime, const std::string& root, const std::string& id) {
  if (!valid_container_id(id)) return false;
  std::string dir = runtime_state_root(runtime, root);
  if (dir.empty()) return false;
  struct stat st = {};
  return ::lstat((dir + "/" + id).c_str(), &st) != 0 && errno == ENOENT;
}

}  // namespace oci_harden
