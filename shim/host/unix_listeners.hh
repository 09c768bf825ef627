// Who listens on a UNIX socket file: the kernel's own answer, not the socket's name. An engine's
// API socket can be bound at any path (dockerd -H unix:///srv/x.sock), hard-linked or reached
// through a bind; the listening socket is found by the (device, inode) of its file through
// sock_diag (UNIX_DIAG_VFS), and its holders by the socket inode in /proc/<pid>/fd.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "shim/core/host.hh"  // UnixListener

namespace oci_harden {

// The executables (/proc/<pid>/exe) of the processes holding a listening UNIX socket bound to
// the file (dev, ino), in oci-harden's network namespace (sock_diag lists that one: the engine's).
// Empty when none is, or when the kernel cannot be asked.
std::vector<std::string> unix_socket_listeners(dev_t dev, ino_t ino);


// Every listening UNIX socket (UnixListener, shim/core/host.hh) bound to a file in oci-harden's network namespace (sock_diag with
// UDIAG_SHOW_NAME and UDIAG_SHOW_VFS), with its holders (one walk of /proc/<pid>/fd). Abstract
// and unnamed sockets are left out. Empty when the kernel cannot be asked.
std::vector<UnixListener> all_unix_listeners();

}  // namespace oci_harden
