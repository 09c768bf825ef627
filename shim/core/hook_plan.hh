// Who verifies a container and records its stop (issue 14, "verification off the start path"):
// the oci-harden-hook entries the verify-hook rule adds to the spec, or oci-harden's own
// create and delete, which save the runtime a process each.
//
//   stop       Engines (dockerd, containerd, CRI, Podman) call `delete` through the runtime
//              they call `create` through: for a created container `oci-harden delete` records
//              the stop after the runtime's delete, and no poststop hook is added. `run` and
//              `restore` keep the hook: there the runtime deletes the container itself.
//   verify     runc (1.1) runs poststart hooks at the end of `create`, the init waiting for
//              `start` with its capabilities, no_new_privs and seccomp filter in place (checked:
//              verify_offpath_test.sh). So for a `create` under runc with --pid-file, as every
//              engine passes it, `oci-harden create` runs the runtime as a child and verifies at
//              that same moment, itself. crun installs its filter after `start`: the poststart
//              hook stays, and crun runs it at start.
// A rootless runtime (rootless Podman: oci-harden is not host root) keeps both hooks: the
// state_dir is root's, and create could leave no stop-at-delete there for its delete.
// A policy without a hook ("hook": "none", or not installed) verifies nothing and records no stop.
#pragma once

#include "shim/core/policy.hh"
#include "shim/core/rule.hh"

namespace oci_harden {

struct HookPlan {
  bool poststart_hook = false;       // the spec gets the poststart (verify) hook
  bool poststop_hook = false;        // the spec gets the poststop (stop record) hook
  bool verify_after_create = false;  // `oci-harden create` verifies after the runtime's create
  bool stop_at_delete = false;       // `oci-harden delete` records the stop (stop_token.hh)
};

HookPlan hook_plan(const Policy& policy, const Invocation& inv);

}  // namespace oci_harden
