// What an edge command (create/run/restore, exec, update, delete, pass-through) hands back to
// main(): go on and execute the runtime with the argument vector the command decided, or stop
// with a message and an exit status. main() decides nothing more: it executes or reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shim/host/audit.hh"

namespace oci_harden {

struct Outcome {
  bool exec_runtime = false;
  int exit_code = 0;
  std::string message;            // for stderr and runc's --log, without the "oci-harden: " prefix
  std::vector<std::string> argv;  // exec_runtime: the runtime's argument vector (argv[0] included)
  // exec_runtime after a recorded decision: the record to write, as refused, should the runtime
  // fail to execute (it owns what it says: no change list, the event's identity only).
  std::optional<AuditEvent> if_exec_fails;
  int64_t start_us = 0;
  // issue 14 (delete): stop with exit_code and print nothing (the runtime already spoke).
  bool quiet = false;
};

// Go on: execute the runtime with `argv`.
inline Outcome proceed(std::vector<std::string> argv) {
  Outcome o;
  o.exec_runtime = true;
  o.argv = std::move(argv);
  return o;
}

// Stop: report `message`, exit with `code`.
inline Outcome stop(int code, std::string message) {
  Outcome o;
  o.exit_code = code;
  o.message = std::move(message);
  return o;
}

}  // namespace oci_harden
