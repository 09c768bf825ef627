// Rule "hooks": a hook runs on the host, as root, outside every namespace and limit of the
// container, so a spec's hooks are judged by the binary each one makes the kernel execute: the
// file its path leads to (symlinks and /proc/<pid>/exe followed, as execve follows them),
// compared by device and inode with the policy's allowed_hooks and the policy's own
// oci-harden-hook. Any other hook, in any of the six kinds runc and crun run, refuses the
// container. It runs before verify-hook, on the engine's own hooks.
//
// Why judge the binary and not the arguments: every allowed binary is a hook program that does
// one thing; dockerd is the exception (it is also the daemon), so it is allowed only as
// Docker's libnetwork-setkey hook: dockerd picks what it runs as by argv[0] (args[0]), as Docker
// writes the hook. A hook's env and timeout cannot change which
// program runs.

#include <optional>
#include <string>
#include <vector>

#include "../rule.hh"
#include "../spec.hh"

namespace oci_harden {

namespace {

// OCI 1.0.2's hook kinds, all of which runc 1.1 and crun 1.8 run on the host.
const char* const kHookKinds[] = {"prestart",       "createRuntime", "createContainer",
                                  "startContainer", "poststart",     "poststop"};

struct Allowed {
  Host::Binary binary;
  std::string path;  // as the policy names it
  bool is_dockerd = false;
};

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The allowed binaries that exist on this host, stat'ed once, only for a spec with hooks.
std::vector<Allowed> allowed_binaries(const RuleContext& ctx) {
  std::vector<Allowed> out;
  std::vector<std::string> paths = ctx.policy().allowed_hooks;
  if (!ctx.policy().hook_path.empty()) paths.push_back(ctx.policy().hook_path);
  for (const std::string& p : paths) {
    auto b = ctx.host().binary_at(p);
    if (b) out.push_back(Allowed{*b, p, base_name(p) == "dockerd"});
  }
  return out;
}

// A running process whose file was since replaced (an upgraded dockerd writes
// /proc/<its pid>/exe as its hook) has an inode no path leads to any more; the kernel still
// records the path it was executed from. Why this is safe: only a file with no link left is
// judged by that record, and only root could have put a binary at an allowed path.
bool was_executed_from(const Host::Binary& b, const Host& host, const std::string& allowed) {
  static const std::string kDeleted = " (deleted)";
  if (!b.deleted || b.name.size() <= kDeleted.size() ||
      b.name.compare(b.name.size() - kDeleted.size(), kDeleted.size(), kDeleted) != 0) {
    return false;
  }
  return b.name.substr(0, b.name.size() - kDeleted.size()) == host.canonical_path(allowed);
}

const Allowed* match(const Host::Binary& b, const Host& host, const std::vector<Allowed>& allowed) {
  for (const Allowed& a : allowed) {
    if ((a.binary.dev == b.dev && a.binary.ino == b.ino) || was_executed_from(b, host, a.path)) {
      return &a;
    }
  }
  return nullptr;
}

std::string describe(const Host::Binary& b) {
  return b.name + " (device " + std::to_string(static_cast<unsigned long long>(b.dev)) + ", inode " +
         std::to_string(static_cast<unsigned long long>(b.ino)) + ")";
}

void judge_hook(RuleContext& ctx, const Json& hook, const std::string& where,
                const std::vector<Allowed>& allowed) {
  std::optional<std::string> path = string_field(&hook, "path");
  std::string at = where + ".path";
  if (!path || path->empty() || (*path)[0] != '/') {
    ctx.refuse(at + " \"" + path.value_or("") + "\" is not an absolute path to a hook binary");
    return;
  }
  // The policy's own hook, as verify-hook writes it (a spec hardened before, restored): the very
  // path the administrator configured, so the same file, whatever is there now.
  if (*path == ctx.policy().hook_path) return;
  std::optional<Host::Binary> b = ctx.host().binary_at(*path);
  if (!b) {
    ctx.refuse(at + " " + *path + " is not an executable file on the host");
    return;
  }
  const Allowed* a = match(*b, ctx.host(), allowed);
  if (a == nullptr) {
    ctx.refuse(at + " " + *path + " runs " + describe(*b) +
               ", which is not a hook binary the policy allows (allowed_hooks)");
    return;
  }
  if (a->is_dockerd) {
    std::vector<std::string> args = string_items(field(&hook, "args"));
    if (args.empty() || args[0] != "libnetwork-setkey") {
      ctx.refuse(at + " " + *path + " runs dockerd (" + a->path + ") as something other than " +
                 "its libnetwork-setkey hook (" + where + ".args[0] is \"" +
                 (args.empty() ? std::string() : args[0]) + "\")");
    }
  }
}

}  // namespace

void rule_hooks(RuleContext& ctx) {
  const Json* hooks = field(&ctx.spec(), "hooks");
  if (hooks == nullptr) return;
  std::optional<std::vector<Allowed>> allowed;  // computed at the first hook
  for (const char* kind : kHookKinds) {
    const Json* list = field(hooks, kind);
    if (list == nullptr || !list->is_array()) continue;
    for (size_t i = 0; i < list->items().size(); ++i) {
      const Json& hook = list->items()[i];
      if (!allowed) allowed = allowed_binaries(ctx);
      judge_hook(ctx, hook, json_path_index(std::string("hooks.") + kind, i), *allowed);
    }
  }
}

}  // namespace oci_harden
