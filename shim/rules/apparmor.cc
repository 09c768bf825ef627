// Rule "apparmor" (CIS 5.1): where the host has AppArmor and the spec names no profile
// (process.apparmorProfile absent or empty), set the policy's profile (apparmor.profile;
// "" means docker-default, the profile Docker loads). A profile the spec already names is kept,
// "unconfined" included, and SELinux labels are never touched: the engine chose them, and a
// different profile could break what it set up. Where the host has no AppArmor, or the profile
// is not loaded (runc would fail to start the container), the spec is left alone and the audit
// record carries a note saying so.

#include "../rule.hh"
#include "../spec.hh"

namespace oci_harden {

namespace {

constexpr const char* kDefaultProfile = "docker-default";

}  // namespace

void rule_apparmor(RuleContext& ctx) {
  Json* process = field(&ctx.spec(), "process");
  if (process == nullptr) return;  // no process: runc refuses such a spec for create
  std::string current = string_field(process, "apparmorProfile").value_or("");
  if (!current.empty()) {
    if (current == "unconfined") {
      ctx.note("process.apparmorProfile is \"unconfined\" (the engine asked for no AppArmor "
               "confinement); kept");
    }
    return;
  }
  std::string wanted = ctx.policy().apparmor_profile.empty() ? kDefaultProfile
                                                             : ctx.policy().apparmor_profile;
  if (!ctx.host().apparmor_enabled()) {
    ctx.note("the host has no AppArmor (/sys/module/apparmor/parameters/enabled is not Y): "
             "no profile set");
    return;
  }
  if (!ctx.host().apparmor_profile_loaded(wanted)) {
    ctx.note("AppArmor profile \"" + wanted +
             "\" is not loaded on the host (/sys/kernel/security/apparmor/profiles): no profile set");
    return;
  }
  ctx.set(*process, "apparmorProfile", Json::string(wanted), "process.apparmorProfile");
}

}  // namespace oci_harden
