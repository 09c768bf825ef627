// Rule "seccomp" (CIS 5.21): install the policy's seccomp profile where linux.seccomp is absent
// (Docker's --security-opt seccomp=unconfined removes it), or always when seccomp.replace is
// true. Capability-aware, like Docker's generator: the groups of
// profiles/seccomp-capability-groups.json (syscalls that only make sense with a capability:
// mount and unshare with CAP_SYS_ADMIN, reboot with CAP_SYS_BOOT, ...) are added only when the
// final bounding set — after the capabilities rule — keeps that capability, so dropping a
// capability also shrinks the syscall list.
//
// Architectures: a profile written for several kinds of host (the shipped ones list x86_64, x86,
// x32, aarch64 and arm) is installed with only the architectures this host's kernel can present
// to a filter: the one oci-harden was built for and its compat ABIs. runc and crun compile a
// filter section for every architecture listed, and one that can never match costs as much as
// one that can (bench/results.md: 12.6 ms of runc's start for the two arm ones on x86_64).
// A profile that lists none of them is installed as written.
//
// The audit record gets a summary of the profile (default action, number of syscall names,
// architectures), not the whole profile: a 10 KB profile in every record would drown the log.

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
  if (const Json* arches = field(profile, "architectures")) s.set("architectures", *arches);
  return s;
}

// The seccomp architectures (OCI names) a kernel of the architecture this binary was built for
// can present: its own and its compat ABIs. Empty where not known: nothing is dropped.
const std::vector<std::string>& host_architectures() {
  static const std::vector<std::string> arches =
#if defined(__x86_64__)
      {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
      {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#elif defined(__s390x__)
      {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"};
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
      {"SCMP_ARCH_PPC64LE"};
#elif defined(__riscv) && __riscv_xlen == 64
      {"SCMP_ARCH_RISCV64"};
#else
      {};
#endif
  return arches;
}

void keep_host_architectures(Json& profile) {
  Json* arches = field(&profile, "architectures");
  if (arches == nullptr || !arches->is_array()) return;
  const std::vector<std::string>& host = host_architectures();
  Json kept = Json::array();
  for (const Json& a : arches->items()) {
    if (a.is_string() && std::find(host.begin(), host.end(), a.text()) != host.end()) kept.push_back(a);
  }
  if (kept.items().empty() || kept.items().size() == arches->items().size()) return;
  *arches = std::move(kept);
}

}  // namespace

void rule_seccomp(RuleContext& ctx) {
  Json& linux = ensure_object(ctx.spec(), "linux");
  const Json* current = field(&linux, "seccomp");
  if (current != nullptr && !ctx.policy().seccomp_replace) return;

  Json profile = ctx.policy().seccomp_profile;
  keep_host_architectures(profile);
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
