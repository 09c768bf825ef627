// The I/O edge of `create`, `run` and `restore`: load config.json, decide, carry out host
// actions, write the audit record durably, replace config.json, then hand over to the runtime.
#pragma once

#include <string>
#include <vector>

#include "shim/core/host.hh"
#include "shim/core/policy.hh"
#include "shim/core/result.hh"
#include "shim/core/runc_args.hh"

namespace oci_harden {

// What happened, for main() to report: either go on and exec the runtime, or stop with a
// message and exit status.
struct Outcome {
  bool exec_runtime = false;
  int exit_code = 0;
  std::string message;  // for stderr and runc's --log, without the "oci-harden: " prefix
  std::vector<std::string> argv;  // when not empty: execute with this argv instead (exec, update)
  bool replace_stdin = false;     // update -r -: the runtime reads `stdin_data` from stdin
  std::string stdin_data;
};

// Go on: execute the runtime with the original arguments.
inline Outcome proceed() {
  Outcome o;
  o.exec_runtime = true;
  return o;
}

// The absolute bundle directory of a create/run/restore command line.
Result<std::string> bundle_dir(const RuncArgs& args);

Outcome harden_bundle(const RuncArgs& args, const Policy& policy, const Host& host);

}  // namespace oci_harden
