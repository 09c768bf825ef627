// The I/O edge of `exec` and `update`: find the container's hardened spec through the runtime's
// own `state`, judge the request, record it, rewrite what must be rewritten, and go on.
#pragma once

#include "bundle_command.hh"
#include "host.hh"
#include "policy.hh"
#include "runc_args.hh"

namespace oci_harden {

Outcome harden_exec_command(const RuncArgs& args, const Policy& policy, const Host& host);
Outcome harden_update_command(const RuncArgs& args, const Policy& policy, const Host& host);

}  // namespace oci_harden
