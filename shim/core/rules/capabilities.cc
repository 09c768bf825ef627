// Rule "capabilities" (CIS 5.3; cheat-sheet practice 14): keep only the policy's allow-list in
// the bounding, effective, permitted and inheritable sets, and empty the ambient set. Never adds
// a capability the engine did not ask for. Names runc does not know (lower case, no "CAP_"
// prefix, made-up names) are not in the allow-list, so they are dropped too: runc would reject
// them, and dropping is the neutral outcome.

#include <algorithm>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

void rule_capabilities(RuleContext& ctx) {
  Json* caps = field_at(ctx.spec(), "process.capabilities");
  if (caps == nullptr) return;  // absent: runc grants none
  const auto& allow = ctx.policy().capabilities;
  for (const char* set : {"bounding", "effective", "permitted", "inheritable"}) {
    const Json* list = field(caps, set);
    if (list == nullptr) continue;
    std::vector<std::string> kept;
    for (const auto& name : string_items(list)) {
      bool allowed = std::find(allow.begin(), allow.end(), name) != allow.end();
      if (allowed && std::find(kept.begin(), kept.end(), name) == kept.end()) kept.push_back(name);
    }
    ctx.set(*caps, set, string_array(kept), std::string("process.capabilities.") + set);
  }
  // Why empty: ambient capabilities survive execve of unprivileged programs.
  const Json* ambient = field(caps, "ambient");
  if (ambient != nullptr && !ambient->items().empty()) {
    ctx.set(*caps, "ambient", Json::array(), "process.capabilities.ambient");
  }
}

}  // namespace oci_harden
