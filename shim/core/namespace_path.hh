// A namespace joined by path (linux.namespaces[].path), pinned: oci-harden judges the namespace a
// path names, and runc opens the path again later, so the two must name the same file whatever
// an unprivileged user does in between. The path is resolved once to one with no symlink in it
// (the kernel's own magic links under /proc/<pid>/ns/ kept as they are), the spec is rewritten to
// that path, and a path that a non-root user could still redirect (a directory on it they can
// write) is refused.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shim/core/host.hh"
#include "shim/core/rule.hh"

namespace oci_harden {

// `abs` (absolute) with every symlink resolved: the directory part canonicalised, then a final
// component that is a symlink followed, until none is left; a final component in a
// /proc/<pid>/ns (or /proc/<pid>/task/<tid>/ns) directory stays as it is (the kernel's magic
// link, which names the namespace). nullopt when the symlinks loop.
std::optional<std::string> resolved_namespace_path(const Host& host, const std::string& abs);

// Why a non-root user could make `dirs` (every directory from / to the parent, as
// Host::ancestors lists them) lead elsewhere; empty when none can.
std::string redirectable_by(const std::vector<DirAccess>& dirs);

// For the calling rule: the path of linux.namespaces[index], resolved, written back into the
// spec when it differs (recorded), and checked; nullopt after a refusal.
std::optional<std::string> pin_namespace_path(RuleContext& ctx, size_t index);

}  // namespace oci_harden
