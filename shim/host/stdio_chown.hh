// Standard streams a runtime would chown on the host. crun (1.8.1; fixed upstream in 1.24)
// chowns each non-terminal standard stream to the container's root as host root, before it
// enters the user namespace: a regular file or named pipe given as stdin/stdout/stderr
// (`oci-harden run ... > /tmp/file`) changes owner on the host. Device nodes are replaced by
// private ones (kPrivateStdio, host_actions.hh); a file cannot be, so it is refused.
// runc 1.1.5 is not affected: its fixStdioPermissions runs inside the user namespace, where a
// file of an unmapped owner (host root's) cannot be chowned (EPERM, skipped).
#pragma once

#include <string>
#include <vector>

#include "shim/core/rule.hh"

namespace oci_harden {

// Descriptors 0-2 that are a linked regular file or a FIFO outside pipefs (a named pipe), each
// as "stdout (descriptor 1) is PATH, a regular file". Anonymous pipes, sockets, terminals,
// devices, unlinked files and closed descriptors are not listed.
std::vector<std::string> stdio_files_on_host();

// Whether the file oci-harden executes for `runtime` is crun: the name of the file it leads to
// (symlinks followed, as execv follows them) is "crun" or starts with "crun-" (crun-1.8.1).
// Why a name is enough here: the runtime path is the administrator's (the policy), not the
// spec author's, and the caller controls only the streams; a renamed crun is the
// administrator's choice. Not by asking `--version`: that would run the runtime an extra time
// for each start (fake runtimes in tests log every call).
bool runtime_is_crun(const std::string& runtime);

// One refusal reason per standard stream the runtime would chown: empty unless `actions`
// asks for private stdio (a user namespace is in effect), such a stream exists and the
// runtime is crun. The common path costs three fstat calls.
std::vector<std::string> stdio_the_runtime_would_chown(const std::vector<HostAction>& actions,
                                                       const std::string& runtime);

}  // namespace oci_harden
