// Rule "privileged": refuse what `docker run --privileged` produces (CIS Docker 5.4 "do not use
// privileged containers"; cheat-sheet practice 15; Pod Security baseline). OCI has no privileged
// flag: the engine expands it into a bounding set holding every capability, a device cgroup
// rule allowing every device, empty masked paths and every host device node. This rule
// recognises that expansion. It runs before the capabilities rule, which would otherwise
// quietly strip the capabilities: the user asked for the host, and the answer is a clear no
// rather than a container that silently behaves differently from what was asked.
//
// Two signs, each refused on its own:
//   - process.capabilities.bounding holds every capability;
//   - linux.resources.devices allows every device while linux.maskedPaths is empty or absent.
// The device nodes themselves are the devices rule's concern.

#include <algorithm>
#include <set>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

// Whether the bounding set holds every capability --privileged gives. Engines list
// --privileged capabilities from their own table, not the kernel's: Docker 28 on a kernel whose
// cap_last_cap is 40 writes a bounding set of 0..37 (tests/golden/docker-captured/privileged.json).
// Why this is safe: holding 0..37 means holding CAP_SYS_ADMIN, CAP_SYS_MODULE and the rest;
// PERFMON, BPF and CHECKPOINT_RESTORE (38..40) add nothing CAP_SYS_ADMIN does not already give.
// Requiring only the capabilities up to min(cap_last_cap, 37) refuses more, never less, than
// requiring all of 0..cap_last_cap (last_capability_every_engine_knows; cap_last_cap
// unreadable: 37, which fails closed).

bool holds_every_capability(const Json& spec, int cap_last_cap) {
  std::set<int> held;
  for (const std::string& name : string_items(field_at(spec, "process.capabilities.bounding"))) {
    held.insert(capability_number(name));
  }
  int last = last_capability_every_engine_knows(cap_last_cap);
  for (int n = 0; n <= last; ++n) {
    if (held.count(n) == 0) return false;
  }
  return true;
}

// A device cgroup rule with type "a" (or no type: the runtime-spec's default) allows every
// device whatever its major, minor and access: the kernel's v1 controller and runc's emulator for
// v2 both reset the whole list on an "a" rule. Why this is safe: any such allow rule counts, even
// when a later rule denies again; refusing that contrived spec is the safe side, and no engine
// writes one.
bool allows_every_device(const Json& spec) {
  const Json* rules = field_at(spec, "linux.resources.devices");
  if (rules == nullptr) return false;
  for (const Json& rule : rules->items()) {
    if (!bool_field(&rule, "allow").value_or(false)) continue;
    std::string type = string_field(&rule, "type").value_or("a");
    if (type != "b" && type != "c") return true;
  }
  return false;
}

}  // namespace

void rule_privileged(RuleContext& ctx) {
  const Json& spec = ctx.spec();
  if (holds_every_capability(spec, ctx.host().cap_last_cap())) {
    ctx.refuse("process.capabilities.bounding", "privileged", "process.capabilities.bounding holds every capability (--privileged)");
  }
  const Json* masked = field_at(spec, "linux.maskedPaths");
  bool unmasked = masked == nullptr || masked->items().empty();
  if (unmasked && allows_every_device(spec)) {
    ctx.refuse("linux.resources.devices", "privileged",
        "linux.resources.devices allows every host device and linux.maskedPaths is empty "
        "(--privileged)");
  }
}

}  // namespace oci_harden
