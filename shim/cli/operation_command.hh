// The I/O edge of `exec` and `update`: find the container's hardened spec through the runtime's
// own `state`, judge the request, record it, rewrite what must be rewritten, and go on.
#pragma once

#include "shim/cli/bundle_command.hh"
#include "shim/core/host.hh"
#include "shim/core/policy.hh"
#include "shim/core/runc_args.hh"

namespace oci_harden {

Outcome harden_exec_command(const RuncArgs& args, const Policy& policy, const Host& host);
Outcome harden_update_command(const RuncArgs& args, const Policy& policy, const Host& host);

}  // namespace oci_harden
