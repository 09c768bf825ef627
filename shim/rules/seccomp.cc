// Rule "seccomp" (CIS 5.21): install the policy's seccomp profile where linux.seccomp is absent
// (Docker's --security-opt seccomp=unconfined removes it), or always when seccomp.replace is
// true. Capability-aware, like Docker's generator: the groups of
// profiles/seccomp-capability-groups.json (syscalls that only make sense with a capability:
// mount and unshare with CAP_SYS_ADMIN, reboot with CAP_SYS_BOOT, ...) are added only when the
// final bounding set — after the capabilities rule — keeps that capability, so dropping a
// capability also shrinks the syscall list.
//
// The audit record gets a summary of the profile (default action, number of syscall names), not
// the whole profile: a 10 KB profile in every record would drown the log.

#include <algorithm>

#include "../embedded.hh"
#include "../rule.hh"
#include "../spec.hh"

namespace oci_harden {

namespace {

const Json& capability_groups() {
  static const Json groups = [] {
    auto parsed = parse_json(embedded_file("seccomp-capability-groups.json"));
    return parsed ? *parsed : Json::object();
  }();
  return groups;
}

Json summary(const Json* profile) {
  if (profile == nullptr) return Json();
  Json s = Json::object();
  s.set("defaultAction", Json::string(string_field(profile, "defaultAction").value_or("")));
  size_t names = 0;
  if (const Json* calls = field(profile, "syscalls")) {
    for (const Json& rule : calls->items()) names += string_items(field(&rule, "names")).size();
  }
  s.set("syscalls", Json::unsigned_integer(names));
  return s;
}

}  // namespace

void rule_seccomp(RuleContext& ctx) {
  Json& linux = ensure_object(ctx.spec(), "linux");
  const Json* current = field(&linux, "seccomp");
  if (current != nullptr && !ctx.policy().seccomp_replace) return;

  Json profile = ctx.policy().seccomp_profile;
  std::vector<std::string> bounding = string_items(field_at(ctx.spec(), "process.capabilities.bounding"));
  Json* calls = field(&profile, "syscalls");
  if (calls == nullptr) calls = &profile.set("syscalls", Json::array());
  if (const Json* groups = field(&capability_groups(), "groups")) {
    for (const Json& group : groups->items()) {
      std::string cap = string_field(&group, "capability").value_or("");
      if (std::find(bounding.begin(), bounding.end(), cap) == bounding.end()) continue;
      if (const Json* rules = field(&group, "syscalls")) {
        for (const Json& rule : rules->items()) calls->push_back(rule);
      }
    }
  }
  if (current != nullptr && *current == profile) return;
  ctx.record("linux.seccomp", summary(current), summary(&profile));
  linux.set("seccomp", std::move(profile));
}

}  // namespace oci_harden
