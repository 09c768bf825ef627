// The Host the runtime uses: the rules' questions answered from the kernel (host.cc). See
// host.hh for what each question means; tests use tests/unit/fake_host.hh instead.
#pragma once

#include <cstdint>
#include <string>

#include "shim/core/host.hh"

namespace oci_harden {

// One instance for the process; answers that cannot change (cap_last_cap, the idmap probe per
// filesystem) are cached in it.
const Host& real_host();

// The uncached idmap probe behind supports_idmapped_mount: a detached clone of the mount at `dir`
// idmapped to the user namespace of the mapping "0 uid size" / "0 gid size"
// (shared_user_namespace, so the idmapped rootfs reuses it). bench/harden_bench.cc times it on
// its own.
bool probe_idmapped_mount(const std::string& dir, uint32_t uid, uint32_t gid, uint32_t size);

// Whether `list` (the text of /sys/kernel/security/apparmor/profiles: one "NAME (MODE)" line per
// loaded profile) names the profile `name` exactly.
// Whether the running kernel executes x32 system calls (Host::runs_x32_syscalls, uncached): a
// getpid with the x32 bit, made only where this process has no seccomp filter; true otherwise.
bool kernel_runs_x32_syscalls();

bool apparmor_profiles_list_has(const std::string& list, const std::string& name);

}  // namespace oci_harden
