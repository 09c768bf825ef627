// The runtime as a child, for the commands whose work comes after the runtime's (issue 14):
// `delete` records the stop after the runtime's delete, `create` under runc verifies after the
// runtime's create (hook_plan.hh). Every other command hands over with execv (runtime_exec.hh).
// What the caller sees stays the runtime's: stdio, descriptors (--preserve-fds, the console
// socket) are inherited; the signals a caller sends to end the command (HUP, INT, QUIT, TERM,
// USR1, USR2) are passed on to it, and a SIGKILL of this process kills it (PR_SET_PDEATHSIG);
// and pass_on makes its status this process's.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace oci_harden {

// Forks and executes the runtime, waits for it; the wait status, or -1 when fork failed.
// `on_exec_failure` runs in the child when the runtime cannot be executed; the child then exits
// with `failure_code` (also the status when the wait itself fails).
int run_runtime_child(const std::string& runtime, const std::vector<std::string>& argv, int failure_code,
                      const std::function<void(const std::string& message)>& on_exec_failure);

// Whether a wait status says the runtime exited 0.
bool runtime_succeeded(int status);

// The runtime's wait status as this process's exit code: its exit code, or death by the same
// signal (raised here, default action); `failure_code` for any other status.
int pass_on(int status, int failure_code);

}  // namespace oci_harden
