// Whether a word names a rule: the policy checks its disabled_rules and opt_out_allowed with
// it, without knowing the rule interface (rule.hh includes policy.hh, not the other way round).
// Defined beside the rule table (rules/registry.cc), which is the one list of ids.
#pragma once

#include <string>

namespace oci_harden {

// A rule of the container table or of a later operation (exec, update).
bool is_rule_id(const std::string& id);

}  // namespace oci_harden
