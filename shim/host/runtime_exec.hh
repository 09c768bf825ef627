// Handing over to the real runtime: execv with the argument vector unchanged (argv[0] aside),
// never fork-and-wait, so pid, signals, stdio, console socket, --preserve-fds and the exit code
// stay the runtime's.
#pragma once

#include <string>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

// Refuses a runtime that is not an absolute path to an executable file, or that is oci-harden
// itself (same device and inode as /proc/self/exe, after symlinks).
Status check_runtime(const std::string& runtime);

// Replaces this process with the runtime. Returns only on failure.
Error exec_runtime(const std::string& runtime, const std::vector<std::string>& argv);

// Runs `runtime --version`, copying its output unchanged; returns its exit status.
int run_runtime_version(const std::string& runtime);

}  // namespace oci_harden
