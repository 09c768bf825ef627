// User namespaces, made and read from outside. Used by host actions (the idmapped rootfs) and
// by RealHost (whether a filesystem can be idmapped; a joined namespace's real maps), neither
// of which needs the other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/handles.hh"
#include "shim/core/host.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// A descriptor of a new user namespace whose uid and gid maps are "0 <uid> <size>" and
// "0 <gid> <size>": a short-lived child is cloned into it, its maps are written, its
// /proc/PID/ns/user is opened, and it is killed and reaped. Used for idmapped mounts (the
// idmapped rootfs and RealHost's probe).
Result<UniqueFd> make_user_namespace(uint32_t uid, uint32_t gid, uint32_t size);

// The user namespace of this mapping, made by make_user_namespace once per process and kept
// open (close-on-exec) until exit: RealHost's idmap probe and the idmapped rootfs of the same
// create share it, since making one costs about 0.2 ms. The descriptor stays valid until
// drop_shared_user_namespaces.
Result<int> shared_user_namespace(uint32_t uid, uint32_t gid, uint32_t size);
// Closes them: for harden-bench, which times many creates in one process as fresh ones.
void drop_shared_user_namespaces();

// The real uid and gid maps of the user namespace at `path`, as seen from ours: a child enters
// it (setns) and we read /proc/CHILD/uid_map and gid_map, which the kernel shows relative to
// the reader's user namespace. Our own namespace is the identity map. nullopt when `path` is
// not a user namespace or cannot be entered.
std::optional<UserNamespaceMap> read_user_namespace_map(const std::string& path);
// The text of a uid_map/gid_map file; nullopt when a line is not three numbers.
std::optional<std::vector<IdMapRange>> parse_id_map(const std::string& text);

// issue 14.1: the idmap probe skipped where statfs already answers. Filesystem types this
// kernel never idmaps (no FS_ALLOW_IDMAP; observed on 6.18 by probing): overlayfs, an engine's
// usual root filesystem, and proc. Any other type is decided by the probe.
bool fs_type_never_idmapped(int64_t f_type);
// statfs(dir) and fs_type_never_idmapped; false when statfs fails (the probe then decides).
bool filesystem_never_idmapped(const std::string& dir);

}  // namespace oci_harden
