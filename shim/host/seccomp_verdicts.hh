// Judging a spec's own seccomp profile by effect compiles it and runs two filters over some
// thousand argument vectors: 20–30 ms on this project's VM (bench/results.md, "Seccomp by
// effect"). Every container of one kind carries the same profile (containerd's default, which
// `ctr run --seccomp` and Kubernetes' RuntimeDefault install; a Localhost profile of a
// Deployment), so the verdict "this profile holds" is remembered between processes (issue 14):
// one empty file per verdict, <state_dir>/seccomp-held/<name>, where <name> is the SHA-256 of the
// caller's key (a digest of everything the judgement read: the spec's profile, the policy's
// profile as installed for this container, the references, the architectures) and of this
// oci-harden binary's identity (device, inode, size, change time of /proc/self/exe), so another
// build never reads this one's verdicts. Only "holds" is remembered: a profile found weaker is
// judged again, and its record names the calls each time.
//
// Trust: a verdict is read only from a directory owned by this process's euid and writable by
// no one else, as a regular file owned by the euid, mode 0600; anything else is no verdict. The
// state directory is root's (/run/oci-harden by default, cleared at boot).
#pragma once

#include <string>

namespace oci_harden {

// <state_dir>/seccomp-held/<sha256(key, binary identity)>; "" when the binary cannot be named.
std::string seccomp_verdict_path(const std::string& state_dir, const std::string& key);

// Whether the verdict "holds" is remembered for `key`.
bool seccomp_verdict_remembered(const std::string& state_dir, const std::string& key);

// Remembers it (best effort: a cache; any failure is silent and costs only a later judgement).
void remember_seccomp_verdict(const std::string& state_dir, const std::string& key);

}  // namespace oci_harden
