// What oci-harden-hook checks after a container has started: from the kernel's own view of the
// container's init process (/proc/PID/status, uid_map, mountinfo, its cgroup's limit files),
// that what the hardened spec promised holds. Pure apart from reading the files it is given.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "shim/core/json.hh"

namespace oci_harden {

struct Check {
  std::string name;      // e.g. "no_new_privs", "cap_bounding", "rootfs_readonly"
  std::string expected;
  std::string actual;
  bool ok = false;
};

// The kernel's view of one process, as read from /proc and the cgroup filesystem.
struct ProcessView {
  bool readable = false;   // /proc/PID/status could be read at all
  std::string status;      // /proc/PID/status
  std::string uid_map;     // /proc/PID/uid_map
  std::string mountinfo;   // path of /proc/PID/mountinfo (parsed by shim/core/mountinfo)
  // Its text, read by read_process_view (so the view is whole when it is taken, issue 14);
  // mountinfo_over when it was larger than the bound (then unreadable, never judged in part).
  std::string mountinfo_text;
  bool mountinfo_over = false;
  // Limit files of the process's cgroup, by name: "pids.max", "memory.max" (v2) or
  // "pids/pids.max", "memory/memory.limit_in_bytes", "cpu/cpu.cfs_quota_us" (v1); "" if absent.
  std::map<std::string, std::string> cgroup;
};

// Reads the view of `pid` (bounded reads; an unreadable entry stays empty).
ProcessView read_process_view(int pid);

// Every check the spec calls for; an unreadable /proc entry is a failed check, not a crash.
std::vector<Check> verify_process(const Json& spec, const ProcessView& view);

// The hex capability mask the kernel would show for a list of capability names.
uint64_t capability_mask(const std::vector<std::string>& names);

}  // namespace oci_harden
