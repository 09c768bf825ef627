// Rootless engines (issue 17.3): oci-harden's own identity read from the kernel, once per
// process, and the user's directories from its environment. What they mean is
// shim/core/rootless.hh's.
#pragma once

#include "shim/core/rootless.hh"

namespace oci_harden {

// geteuid(), /proc/self/uid_map and /proc/sys/fs/overflowuid, read on first use. An unreadable
// uid map counts as the initial namespace's only when the euid is not 0 (then rootless either
// way); root with no readable map is taken as host root.
const ProcessIdentity& own_identity();

// $XDG_STATE_HOME and $HOME; without $HOME, the home of the host uid's passwd entry (in a
// rootless namespace the euid is 0, whose entry is host root's, not the user's).
UserDirs own_user_dirs();

// Whether a file or directory at `path` is writable by this process (faccessat, effective ids:
// a namespace's root writes what is owned by an id mapped into it).
bool writable_here(const std::string& path);

// Why an unprivileged runtime cannot set cgroup limits here ("" when it can, or when this process
// is host root): /sys/fs/cgroup is not cgroup2 (v1 or hybrid: only root creates cgroups), or
// this process's cgroup v2 directory is not writable by it (not delegated).
std::string rootless_cgroup_limits_unsettable();

}  // namespace oci_harden
