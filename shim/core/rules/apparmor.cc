// Rule "apparmor" (CIS 5.1): where the host has AppArmor and the spec names no profile
// (process.apparmorProfile absent or empty), set the policy's profile (apparmor.profile;
// "" means docker-default, the profile Docker loads). A spec that names a profile which confines
// nothing — "unconfined" (what --security-opt apparmor=unconfined and --privileged produce), or a
// profile loaded in "unconfined" or "complain" mode, which allows everything — gets the policy's
// profile instead (apparmor.unconfined "replace", the default) or is refused ("refuse"), as
// seccomp=unconfined gets the policy's seccomp profile. Any other profile the spec names is kept,
// and SELinux labels are never touched: the engine chose them, and a different profile could
// break what it set up. Where the host has no AppArmor, a profile means nothing (the kernel
// confines nobody) and the spec is left alone; where the policy's profile is not loaded (runc
// would fail to start the container) nothing is set, with a note, and an unconfined spec is
// refused since it cannot be replaced.
//
// Why the name alone is not trusted: the kernel applies the profile of that exact name, in the
// mode it is loaded in; "unconfined" is the one name the kernel reads as no profile (it is
// case-sensitive: "Unconfined" is a profile name like any other, and runc fails to start a
// container whose profile is not loaded).

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

constexpr const char* kDefaultProfile = "docker-default";

bool confines(const std::string& mode) { return mode != "unconfined" && mode != "complain"; }

// Why the named profile confines nothing, or "" when it confines (or is not loaded: runc then
// fails to start the container).
std::string unconfined_reason(const Host& host, const std::string& name) {
  if (name == "unconfined") return "\"unconfined\" (no AppArmor confinement)";
  std::optional<std::string> mode = host.apparmor_profile_mode(name);
  if (mode && !confines(*mode)) {
    return "\"" + name + "\", loaded in " + *mode + " mode (it confines nothing)";
  }
  return "";
}

}  // namespace

void rule_apparmor(RuleContext& ctx) {
  Json* process = field(&ctx.spec(), "process");
  if (process == nullptr) return;  // no process: runc refuses such a spec for create
  std::string current = string_field(process, "apparmorProfile").value_or("");
  std::string wanted = ctx.policy().apparmor_profile.empty() ? kDefaultProfile
                                                             : ctx.policy().apparmor_profile;
  if (!ctx.host().apparmor_enabled()) {
    if (current.empty() || current == "unconfined") {
      ctx.note("the host has no AppArmor (/sys/module/apparmor/parameters/enabled is not Y): " +
               std::string(current.empty() ? "no profile set" : "\"unconfined\" kept"));
    }
    return;
  }
  std::string why;
  if (!current.empty()) {
    why = unconfined_reason(ctx.host(), current);
    if (why.empty()) return;
    if (ctx.policy().apparmor_unconfined == AppArmorUnconfined::kRefuse) {
      ctx.refuse("process.apparmorProfile", "unconfined", "process.apparmorProfile is " + why + " (the policy's apparmor.unconfined is "
                 "\"refuse\")");
      return;
    }
  }
  // The policy's profile is the administrator's choice, in whatever mode it is loaded.
  if (!ctx.host().apparmor_profile_loaded(wanted)) {
    std::string state = "is not loaded on the host (/sys/kernel/security/apparmor/profiles)";
    if (!why.empty()) {
      ctx.refuse("process.apparmorProfile", "profile-not-loaded", "process.apparmorProfile is " + why + ", and the policy's profile \"" + wanted +
                 "\" that would replace it " + state);
    } else {
      ctx.note("AppArmor profile \"" + wanted + "\" " + state + ": no profile set");
    }
    return;
  }
  ctx.set(*process, "apparmorProfile", Json::string(wanted), "process.apparmorProfile");
}

}  // namespace oci_harden
