// delete at the edge (issue 14: the poststop work off the hook). The runtime's delete runs as a
// child with this process's standard streams; its exit status (or the signal that ended it) is
// passed on unchanged, and oci-harden prints nothing of its own. Only when that delete
// succeeded does oci-harden do what the poststop hook did: remove the container's idmapped root
// and, when the policy injects the hook and the hook answered the claim from inside this delete
// (the runtime had the container), record the "stop" event. A failure of that work is recorded
// (cleanup_error), never the delete's. The hook stands down on the runtime's claim
// (shim/host/delete_claim.hh), so each stop is recorded once; a delete that does not come
// through oci-harden leaves the work to the hook.
#pragma once

#include "shim/cli/outcome.hh"
#include "shim/core/rule.hh"  // Refusal, complete for Outcome's AuditEvent
#include "shim/core/policy.hh"
#include "shim/core/runc_args.hh"

namespace oci_harden {

// Runs the delete. Returns a quiet stop carrying the runtime's exit status; when it cannot
// fork, the old way: the cleanup first, then proceed (exec the runtime's delete).
Outcome delete_command(const RuncArgs& args, const Policy& policy);

}  // namespace oci_harden
