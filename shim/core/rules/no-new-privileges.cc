// Rule "no-new-privileges" (CIS 5.25; cheat-sheet practice 7): process.noNewPrivileges = true,
// so setuid binaries and file capabilities cannot raise privileges inside the container. It
// also makes setuid sudo and ping stop working: that is the point.

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

void rule_no_new_privileges(RuleContext& ctx) {
  Json* process = field(&ctx.spec(), "process");
  if (process == nullptr) return;  // no process: runc refuses such a spec for create
  ctx.set(*process, "noNewPrivileges", Json::boolean(true), "process.noNewPrivileges");
}

}  // namespace oci_harden
