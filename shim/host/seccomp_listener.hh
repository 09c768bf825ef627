// Learn mode (issue 15): the socket runc/crun hand a container's seccomp notify descriptor to
// (linux.seccomp.listenerPath), bound and listening before the runtime is executed, and the
// recorder (`oci-harden-hook record`, hooks/seccomp_recorder.hh) started on it, detached from
// the runtime as the hook's verification worker is (shim/host/detached_worker.hh): double fork, new session,
// standard streams on /dev/null, cwd "/". The listening socket is the recorder's descriptor 3;
// nothing else of oci-harden's is inherited (close_range from 4). A runtime that connects before
// the recorder runs waits in the socket's backlog; should the recorder never start, the
// runtime's notified calls fail with ENOSYS once the descriptor it holds is closed (fail closed).
#pragma once

#include <string>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

// Binds and listens on `socket_path` (mode 0600, its directory made 0700 where missing; a
// stale socket there is replaced), then starts `hook_path record <args...>` detached with the
// socket as descriptor 3. Returns once the socket listens and the recorder has been forked.
Status start_seccomp_recorder(const std::string& hook_path, const std::string& socket_path,
                              const std::vector<std::string>& args);

}  // namespace oci_harden
