// Rootless engines (issue 17.3): who oci-harden runs as, judged from its own user namespace's
// uid map, and where a rootless run's audit record goes. Pure: the facts are read by
// shim/host/process_identity.{hh,cc}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/host.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// oci-harden's own process as the kernel sees it: its effective uid (in its own user namespace),
// that namespace's uid map (/proc/self/uid_map, relative to the parent namespace; the initial
// namespace shows "0 0 4294967295") and the uid unmapped owners are shown as
// (/proc/sys/fs/overflowuid).
struct ProcessIdentity {
  uint32_t euid = 0;
  std::vector<IdMapRange> uid_map{IdMapRange{0, 0, UINT32_MAX}};
  uint32_t overflow_uid = 65534;
};

// The id outside the namespace (host side of the map) of `id` inside it; nullopt when unmapped.
std::optional<uint32_t> outer_id(const std::vector<IdMapRange>& map, uint32_t id);
// The id inside the namespace of the outside id `host`; nullopt when unmapped.
std::optional<uint32_t> inner_id(const std::vector<IdMapRange>& map, uint32_t host);
// Whether host uid 0 is mapped into the namespace: when it is not, nothing in it (the engine,
// its containers, oci-harden) can ever be host root.
bool maps_host_root(const std::vector<IdMapRange>& map);
// Rootless: oci-harden itself is not host root (an unprivileged user, or root of a user
// namespace whose root is a user: rootless Podman runs the runtime in one).
bool is_rootless(const ProcessIdentity& who);
// The host uid oci-harden runs as (its euid through the map); nullopt when unmapped.
std::optional<uint32_t> host_uid_of(const ProcessIdentity& who);

// Whether a file owned by `st_uid` (as stat shows it from oci-harden's namespace) belongs to
// host root. kUnmapped: the owner is not mapped into the namespace (shown as the overflow uid),
// which from inside a rootless namespace is what a root-owned file looks like; whether anybody
// in the namespace could still write it is for the caller to test (the overflow uid can itself
// be a mapped id).
enum class OwnerIs { kHostRoot, kUnmapped, kOther };
OwnerIs judge_owner(uint32_t st_uid, const ProcessIdentity& who);

// The user's directories a rootless audit path may name. xdg_state_home: $XDG_STATE_HOME as
// set ("" when unset); home: $HOME, else the passwd entry of the host uid.
struct UserDirs {
  std::string xdg_state_home;
  std::string home;
};
// Expands `pattern` (policy key rootless.audit_log): a leading "~/" and "$HOME" are the home;
// "$XDG_STATE_HOME" is that variable when it is an absolute path (the XDG spec ignores a
// relative one), else <home>/.local/state. The result must be absolute and without "..".
Result<std::string> expand_user_path(const std::string& pattern, const UserDirs& dirs);

}  // namespace oci_harden
