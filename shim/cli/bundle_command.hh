// The I/O edge of `create`, `run` and `restore`: load config.json, decide, carry out host
// actions, write the audit record durably, replace config.json, then hand over to the runtime.
#pragma once

#include <string>

#include "shim/cli/outcome.hh"
#include "shim/core/host.hh"
#include "shim/core/policy.hh"
#include "shim/core/result.hh"
#include "shim/core/runc_args.hh"

namespace oci_harden {

// The absolute bundle directory of a create/run/restore command line.
Result<std::string> bundle_dir(const RuncArgs& args);

Outcome harden_bundle(const RuncArgs& args, const Policy& policy, const Host& host);

}  // namespace oci_harden
