// delete at the edge (issue 14). The runtime's delete runs as a child with this process's
// standard streams; its exit status (or the signal that ended it) is passed on unchanged, and
// oci-harden prints nothing of its own. The stop's work (the stop record, the idmapped root's
// removal) is the poststop hook's, inside the runtime's delete, whenever it runs; this command
// does only what the hook did not: it takes over a stop token whose taker died before its
// record, and removes the idmapped root (idempotent) once the runtime's delete succeeded. It
// holds <state_dir>/<id> meanwhile, so the token outlives every hook of concurrent deletes and
// each container's stop is recorded once (shim/host/stop_token.hh).
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
