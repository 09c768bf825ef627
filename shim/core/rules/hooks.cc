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
// writes the hook.
//
// A hook's env can change what the program does before its main runs: the dynamic loader and
// glibc act on LD_PRELOAD and its kin, so a hook whose env names one of them is refused (glibc's
// own list of what ld.so drops for a setuid program, sysdeps/generic/unsecvars.h, plus every
// LD_* name). Names are case-sensitive to the loader: "ld_preload" is an ordinary variable.
//
// A binary listed in the policy's allowed_hook_args runs only with the argument words it lists
// there (nvidia-ctk only as "nvidia-ctk hook ...", not as "nvidia-ctk runtime configure").
//
// A hook that passes has its path rewritten to the allowed_hooks entry it matched: the spec
// then names a path only root controls, so re-pointing a symlink between create and the
// hook's run (poststop at delete, crun's poststart at start) changes nothing.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/lexical_path.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {


struct Allowed {
  Host::Binary binary;
  std::string path;  // as the policy names it
  bool is_dockerd = false;
};

// Environment variables the dynamic loader or glibc acts on (besides every LD_* name): glibc's
// UNSECURE_ENVVARS, sysdeps/generic/unsecvars.h.
const char* const kLoaderVars[] = {"GCONV_PATH",  "GETCONF_DIR",      "GLIBC_TUNABLES", "HOSTALIASES",
                                   "LOCALDOMAIN", "LOCPATH",          "MALLOC_TRACE",   "NIS_PATH",
                                   "NLSPATH",     "RESOLV_HOST_CONF", "RES_OPTIONS",    "TMPDIR",
                                   "TZDIR"};

// The name of an env entry ("NAME=value"; an entry without '=' is all name).
bool is_loader_var(const std::string& entry) {
  std::string name = entry.substr(0, entry.find('='));
  if (name.rfind("LD_", 0) == 0) return true;
  for (const char* v : kLoaderVars) {
    if (name == v) return true;
  }
  return false;
}

// Refuses each env entry the loader or glibc would act on; true when there was none.
bool judge_env(RuleContext& ctx, const Json& hook, const std::string& where) {
  std::vector<std::string> env = string_items(field(&hook, "env"));
  bool clean = true;
  for (size_t j = 0; j < env.size(); ++j) {
    if (!is_loader_var(env[j])) continue;
    clean = false;
    ctx.refuse(json_path_index(where + ".env", j) + " \"" + env[j].substr(0, env[j].find('=')) +
               "\" is acted on by the dynamic loader or glibc before the hook's own code runs " +
               "(the hook runs on the host as root)");
  }
  return clean;
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

// GPUs and CDI (issue 17.2): a binary listed in allowed_hook_args runs only with arguments
// (after args[0]) that start with one of its prefixes, word for word. nvidia-ctk is a hook
// ("nvidia-ctk hook create-symlinks ...") and also an administrator's tool: as a hook, running
// as host root, "nvidia-ctk runtime configure" or "nvidia-ctk config --set ... --output FILE"
// rewrites a host file. Returns whether the arguments pass.
// The NVIDIA toolkit's hooks find the container's root from the runtime's state on stdin; its
// --container-spec flag (Go's flag syntax: one or two dashes, the value after "=" or as the next
// word) makes them read another file instead, so a spec could point one at a root of "/" and have
// it chmod or link host files as root. Refused wherever a binary is held to allowed_hook_args.
bool names_container_spec(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    std::string w = args[i];
    if (w == "--") break;  // what follows is an operand, never a flag
    size_t dashes = w.rfind("--", 0) == 0 ? 2 : (w.rfind('-', 0) == 0 ? 1 : 0);
    if (dashes == 0) continue;
    w = w.substr(dashes);
    if (w == "container-spec" || w.rfind("container-spec=", 0) == 0) return true;
  }
  return false;
}

bool args_allowed(RuleContext& ctx, const Json& hook, const std::string& where, const std::string& kind,
                  const std::string& path, const Allowed& a) {
  const auto& table = ctx.policy().allowed_hook_args;
  auto entry = table.find(lexical(a.path));
  if (entry == table.end()) return true;
  std::vector<std::string> args = string_items(field(&hook, "args"));
  if (names_container_spec(args)) {
    ctx.refuse(where + ".args runs " + path + " (" + a.path + ") with --container-spec: the hook would judge " +
               "another file than the runtime's state of this container (allowed_hook_args)");
    return false;
  }
  for (const std::vector<std::string>& entry_words : entry->second) {
    auto prefix_begin = entry_words.begin();
    if (prefix_begin != entry_words.end() && !prefix_begin->empty() && (*prefix_begin)[0] == '@') {
      if (prefix_begin->substr(1) != kind) continue;  // the entry allows another kind of hook
      ++prefix_begin;
    }
    size_t n = static_cast<size_t>(entry_words.end() - prefix_begin);
    if (args.size() > n && std::equal(prefix_begin, entry_words.end(), args.begin() + 1)) return true;
  }
  std::string given, allowed;
  for (size_t i = 1; i < args.size() && i <= 4; ++i) given += (i > 1 ? " " : "") + args[i];
  if (args.size() > 5) given += " ...";
  for (const std::vector<std::string>& prefix : entry->second) {
    std::string words;
    for (const std::string& w : prefix) {
      words += (words.empty() ? "" : " ") + (!w.empty() && w[0] == '@' ? w.substr(1) + ":" : w);
    }
    allowed += (allowed.empty() ? "\"" : ", \"") + words + "\"";
  }
  ctx.refuse(where + ".args (\"" + given + "\") runs " + path + " (" + a.path + ") as a " + kind +
             " hook other than the hooks the policy allows it as (allowed_hook_args: " + allowed + ")");
  return false;
}

// oci-harden-hook is oci-harden's to place, and only as verify-hook places it: poststart and
// poststop (hook_plan.hh). Why a refusal: at another stage (createRuntime, as a spec, Podman's
// hooks-dir or `ctr run --config` can put it) its "poststop" records a stop, and removes the
// idmapped root, for a container that then runs, and the real stop goes unrecorded.
bool own_hook_misplaced(RuleContext& ctx, const std::string& at, const std::string& kind, const std::string& path) {
  if (kind == "poststart" || kind == "poststop") return false;
  ctx.refuse(at + " " + path + " runs oci-harden-hook (" + ctx.policy().hook_path +
             "), which only oci-harden places, as a poststart or poststop hook; as a " + kind +
             " hook it would record a stop or a verification at the wrong moment");
  return true;
}

void judge_hook(RuleContext& ctx, Json& hook, const std::string& where, const std::string& kind,
                const std::vector<Allowed>& allowed) {
  bool env_clean = judge_env(ctx, hook, where);
  std::optional<std::string> path = string_field(&hook, "path");
  std::string at = where + ".path";
  if (!path || path->empty() || (*path)[0] != '/') {
    ctx.refuse(at + " \"" + path.value_or("") + "\" is not an absolute path to a hook binary");
    return;
  }
  // The policy's own hook, as verify-hook writes it (a spec hardened before, restored): the very
  // path the administrator configured, so the same file, whatever is there now.
  if (*path == ctx.policy().hook_path) {
    own_hook_misplaced(ctx, at, kind, *path);
    return;
  }
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
  if (!ctx.policy().hook_path.empty() && a->path == ctx.policy().hook_path && own_hook_misplaced(ctx, at, kind, *path)) {
    return;
  }
  if (a->is_dockerd) {
    std::vector<std::string> args = string_items(field(&hook, "args"));
    if (args.empty() || args[0] != "libnetwork-setkey") {
      ctx.refuse(at + " " + *path + " runs dockerd (" + a->path + ") as something other than " +
                 "its libnetwork-setkey hook (" + where + ".args[0] is \"" +
                 (args.empty() ? std::string() : args[0]) + "\")");
      return;
    }
  }
  if (!args_allowed(ctx, hook, where, kind, *path, *a)) return;
  if (!env_clean || *path == a->path) return;
  // Why this is safe: the spec now names the policy's own path, which only root can change.
  // A deleted binary (an upgraded dockerd still running) has no path left but /proc/<pid>/exe.
  if (b->deleted) {
    ctx.note(at + " " + *path + " kept: it runs " + b->name + ", which no other path leads to");
    return;
  }
  ctx.set(hook, "path", Json::string(a->path), at);
}

}  // namespace

void rule_hooks(RuleContext& ctx) {
  Json* hooks = field(&ctx.spec(), "hooks");
  if (hooks == nullptr) return;
  std::optional<std::vector<Allowed>> allowed;  // computed at the first hook
  for (const std::string& kind : oci_hook_kinds()) {
    Json* list = field(hooks, kind);
    if (list == nullptr || !list->is_array()) continue;
    for (size_t i = 0; i < list->items().size(); ++i) {
      Json& hook = list->items()[i];
      if (!allowed) allowed = allowed_binaries(ctx);
      judge_hook(ctx, hook, json_path_index(std::string("hooks.") + kind, i), kind, *allowed);
    }
  }
}

}  // namespace oci_harden
