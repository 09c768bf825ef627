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

std::string absolute_runtime_root(const std::string& root_flag) {
  if (root_flag.empty() || root_flag[0] == '/') return root_flag;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return root_flag;
  return std::string(cwd) + "/" + root_flag;
}

bool runtime_lacks_container(const std::string& runtime, const std::string& root, const std::string& id) {
  if (!valid_container_id(id)) return false;
  std::string dir = runtime_state_root(runtime, root);
  if (dir.empty()) return false;
  struct stat st = {};
  return ::lstat((dir + "/" + id).c_str(), &st) != 0 && errno == ENOENT;
}

}  // namespace oci_harden
