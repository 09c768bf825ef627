// Rule "cgroups-path": refuses a linux.cgroupsPath that puts the container in a cgroup where no
// limit can be written, judged as runc 1.1.5 resolves it (libcontainer/specconv and
// utils.CleanPath):
//   - cgroupfs driver: the path is cleaned lexically ("//", ".", ".." removed; ".." never climbs
//     above the root). An absolute path that cleans to "/" ("/", "//", "/..", "/../..") is the
//     root cgroup: the pids, memory and CPU limits cannot be set there (the kernel has no limit
//     files at the root), and every host process shares it. A relative path that cleans to
//     nothing (".", "..", "a/..") names no cgroup of its own: runc puts the container in its
//     caller's own cgroup (cgroup v1) or that cgroup's parent (v2), the engine's, or the root
//     where the engine runs there.
//   - systemd driver (--systemd-cgroup; the path is "slice:prefix:name"): the container gets a
//     unit below the slice (a scope "prefix-name.scope", or the slice "name" when name ends in
//     ".slice"), so a slice of "-.slice" still gives it a scope of its own, where limits apply.
//     The one name that is the root is the unit "-.slice" itself, refused.
// An absent or empty cgroupsPath is allowed: runc then makes a cgroup named after the container
// under its own (cgroupfs) or "system.slice:runc:<id>" (systemd), never the root.
//
// Also refused: a linux.resources.unified key that is not one file name (contains "/" or "..").
//
// Why judging the text is safe here: runc resolves the path lexically too (no symlinks are
// followed in the cgroup mount), so the cleaned text is what it will use.

#include <string>
#include <vector>

#include "shim/core/lexical_path.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "shim/core/unified_limits.hh"

namespace oci_harden {

namespace {

// Go's filepath.Clean, then runc's CleanPath for a relative path: "" for no component at all.
std::string clean_components(const std::string& path) { return lexical(path).substr(1); }

// The third part of a systemd "slice:prefix:name" path, or "" when the path has not that form.
std::string systemd_unit_name(const std::string& path) {
  size_t a = path.find(':');
  if (a == std::string::npos) return "";
  size_t b = path.find(':', a + 1);
  if (b == std::string::npos || path.find(':', b + 1) != std::string::npos) return "";
  return path.substr(b + 1);
}

// linux.resources.unified keys are file names runc 1.1.5 and crun 1.8.1 join to the
// container's cgroup directory; both refuse a "/" themselves, refused here too (with "..",
// which names the parent directory), so no runtime version writes outside that directory.
void judge_unified_names(RuleContext& ctx) {
  const Json* unified = field_at(ctx.spec(), "linux.resources.unified");
  if (unified == nullptr || !unified->is_object()) return;
  for (const auto& [key, value] : unified->members()) {
    std::string why = unified_key_bad_name(key);
    if (!why.empty()) ctx.refuse("linux.resources.unified[\"" + key + "\"] " + why);
  }
}

}  // namespace

void rule_cgroups_path(RuleContext& ctx) {
  judge_unified_names(ctx);
  std::optional<std::string> path = string_field(field(&ctx.spec(), "linux"), "cgroupsPath");
  if (!path || path->empty()) return;
  std::string quoted = "linux.cgroupsPath \"" + *path + "\"";
  if (systemd_unit_name(*path) == "-.slice") {
    ctx.refuse(quoted + " names systemd's root slice (-.slice) as the container's unit: the "
               "root cgroup, where no limit can be written");
    return;
  }
  if (!clean_components(*path).empty()) return;
  if ((*path)[0] == '/') {
    ctx.refuse(quoted + " is the root cgroup (/): no limit can be written there and every host "
               "process shares it");
  } else {
    ctx.refuse(quoted + " names no cgroup of its own: runc would put the container in its "
               "caller's cgroup (the engine's, or the root cgroup where the engine runs there)");
  }
}

}  // namespace oci_harden
