// Who verifies a container and records its stop (see hook_plan.hh).

#include "shim/core/hook_plan.hh"

#include "shim/core/lexical_path.hh"

namespace oci_harden {

HookPlan hook_plan(const Policy& policy, const Invocation& inv) {
  HookPlan plan;
  if (policy.hook_path.empty()) return plan;
  if (inv.event != "create" || inv.rootless) {
    plan.poststart_hook = true;
    plan.poststop_hook = true;
    return plan;
  }
  plan.stop_at_delete = true;
  plan.verify_after_create = inv.pid_file && base_name(policy.runtime) == "runc";
  plan.poststart_hook = !plan.verify_after_create;
  return plan;
}

}  // namespace oci_harden
