// Reading a whole file or descriptor, never more than a named limit: every input oci-harden
// reads comes from someone else (an engine, a spec author, the kernel), and none may make it
// allocate without bound. The limits are here, one name each, so that one input has one limit
// wherever it is read.
#pragma once

#include <cstddef>
#include <string>

#include "shim/core/result.hh"

namespace oci_harden {

// A bundle's config.json (create, run, restore, the hook, oci-hardenctl harden/explain).
constexpr size_t kMaxSpecBytes = 64 << 20;
// runc exec --process FILE.
constexpr size_t kMaxProcessBytes = 16 << 20;
// A container's state (runc state, the hook's stdin) and runc update's resources.
constexpr size_t kMaxStateBytes = 1 << 20;
// The policy file.
constexpr size_t kMaxPolicyBytes = 1 << 20;
// A seccomp profile the policy names.
constexpr size_t kMaxProfileBytes = 4 << 20;
// A profile given to oci-hardenctl profile check (a generous one: it is only checked).
constexpr size_t kMaxCheckedProfileBytes = 16 << 20;
// /proc/self/mountinfo: one line per mount; a host with thousands of mounts fits.
constexpr size_t kMaxMountinfoBytes = 16 << 20;
// The AppArmor profiles list: one short line per loaded profile (a few hundred on a desktop).
constexpr size_t kMaxApparmorProfilesBytes = 4 << 20;
// Small kernel files: /proc/PID/cgroup, uid_map, gid_map.
constexpr size_t kMaxProcFileBytes = 1 << 20;

// Everything `fd` gives until end of file; an error naming `name` when a read fails or the
// text would exceed `max_bytes` (that error carries `too_big`).
Result<std::string> read_fd_bounded(int fd, const std::string& name, size_t max_bytes,
                                    ErrorCode too_big = ErrorCode::kIo);
// The same for the file at `path` (opened O_RDONLY | O_CLOEXEC, symlinks followed).
Result<std::string> read_file_bounded(const std::string& path, size_t max_bytes,
                                      ErrorCode too_big = ErrorCode::kIo);

}  // namespace oci_harden
