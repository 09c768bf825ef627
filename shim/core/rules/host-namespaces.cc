// Rule "host-namespaces": the container never shares the host's pid, ipc, uts, mount or network
// namespace, nor joins the host's user namespace (CIS Docker 5.9 network, 5.15 pid, 5.16 ipc,
// 5.20 uts; cheat-sheet practice 19; Pod Security baseline: hostNetwork, hostPID, hostIPC false).
//
// Refused:
//   - one of pid, ipc, uts, mount, network missing from linux.namespaces: runc then leaves the
//     container in the runtime's namespace of that type, which is the host's (--pid host);
//   - one of those, or user, joined by a path whose namespace is the host's. Docker's
//     --network host passes a bind of the host's namespace (<exec-root>/netns/default), so the
//     path says nothing: only device and inode, compared with oci-harden's own namespace (it
//     runs in the engine's, /proc/self/ns/<type>) and with pid 1's where that is readable, tell;
//   - a path that cannot be inspected, or whose namespace cannot be compared with ours;
//   - a path that a non-root user could redirect before runc opens it (namespace_path.hh); any
//     other path is rewritten to itself with every symlink resolved, so runc joins what was judged;
//   - a namespace type listed twice (the runtime-spec: "Duplicate namespace types are not
//     allowed"; which entry a runtime honours would be ours to guess).
// Allowed: a new namespace (no path, or an empty one, which runc reads as none), and a path to
// another container's namespace (Kubernetes pods share one network namespace that way).

#include <optional>
#include <set>
#include <string>

#include "shim/core/namespace_path.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

struct NamespaceKind {
  const char* type;      // OCI spelling, as in linux.namespaces[].type and Host's questions
  bool required;         // must be present, or the container shares the host's
  const char* flag;      // what the user typed to get the host's, for the message
};

// cgroup and time are not judged: leaving them out keeps the host's, which is allowed, so
// joining the host's by path is no worse. Nor are their paths pinned: with nothing judged there
// is no look for the runtime's open to differ from.
const NamespaceKind kKinds[] = {
    {"pid", true, " (--pid host)"},     {"ipc", true, " (--ipc host)"},
    {"uts", true, " (--uts host)"},     {"mount", true, ""},
    {"network", true, " (--network host)"}, {"user", false, " (--userns host)"},
};

const NamespaceKind* find_kind(const std::string& type) {
  for (const NamespaceKind& k : kKinds) {
    if (type == k.type) return &k;
  }
  return nullptr;
}

// Judges one namespace joined by path. Why this is safe: both comparisons must come out
// "different" to pass; an uninspectable path, or no own namespace to compare with, refuses. The
// path judged is the one runc is handed: pinned first (namespace_path.hh), so that no symlink or
// directory a non-root user controls can make runc open another namespace later.
void judge_path(RuleContext& ctx, const NamespaceKind& kind, size_t index, const std::string& where) {
  const Host& host = ctx.host();
  std::optional<std::string> pinned = pin_namespace_path(ctx, index);
  if (!pinned) return;
  const std::string& abs = *pinned;
  std::string named = std::string(kind.type) + " namespace " + abs;
  // Structured, for the audit log's readers: the entry's path, and which host namespace it may be.
  const std::string path_field = where + ".path";
  const std::string host_kind = std::string("host-") + kind.type + "-namespace";
  std::optional<NamespaceId> target = host.namespace_at(abs);
  if (!target) {
    ctx.refuse(path_field, host_kind, named + " (" + where + ") cannot be inspected, so it may be the host's");
    return;
  }
  std::optional<NamespaceId> own = host.own_namespace(kind.type);
  if (!own) {
    ctx.refuse(path_field, host_kind, named + " (" + where + ") cannot be compared with the host's");
    return;
  }
  std::optional<NamespaceId> init = host.init_namespace(kind.type);
  if (*target == *own || (init && *target == *init)) {
    ctx.refuse(path_field, host_kind, named + " is the host's" + kind.flag);
  }
}

}  // namespace

void rule_host_namespaces(RuleContext& ctx) {
  const Json* list = field_at(ctx.spec(), "linux.namespaces");
  std::set<std::string> seen;
  if (list != nullptr) {
    for (size_t i = 0; i < list->items().size(); ++i) {
      const Json& ns = list->items()[i];
      std::string type = string_field(&ns, "type").value_or("");
      std::string where = json_path_index("linux.namespaces", i);
      if (!seen.insert(type).second) {
        ctx.refuse(where, "duplicate-namespace", "the " + type + " namespace is listed twice (" + where +
                   "): duplicate namespace types are not allowed");
        continue;
      }
      const NamespaceKind* kind = find_kind(type);
      std::string path = string_field(&ns, "path").value_or("");
      if (kind != nullptr && !path.empty()) judge_path(ctx, *kind, i, where);
    }
  }
  for (const NamespaceKind& kind : kKinds) {
    if (kind.required && seen.count(kind.type) == 0) {
      ctx.refuse("linux.namespaces", std::string("host-") + kind.type + "-namespace",
                 std::string(kind.type) +
                 " namespace missing from linux.namespaces: the container would share the host's" + kind.flag);
    }
  }
}

}  // namespace oci_harden
