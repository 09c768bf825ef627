// The whole decision for one spec: opt-outs read from the annotation, every enabled rule run,
// all refusals collected. Pure: nothing is written and nothing executed here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/host.hh"
#include "shim/core/json.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"

namespace oci_harden {

struct OptOuts {
  std::vector<std::string> requested;
  std::vector<std::string> granted;
  std::vector<std::string> denied;  // not allowed by policy, or unknown rule ids
  // Exceptions: who asked, why, and until when (the <opt_out_annotation>-owner, -reason and
  // -until annotations, as written); until_end is the last second the exception covers.
  std::string owner;
  std::string reason;
  std::string until;
  std::optional<int64_t> until_end;
};

struct Decision {
  Json spec;  // the hardened spec (in audit mode: what it would be)
  std::vector<Change> changes;
  std::vector<Refusal> refusals;
  std::vector<Note> notes;  // what a rule could not do on this host; changes nothing
  std::vector<HostAction> actions;
  OptOuts opt_outs;
  bool refused() const { return !refusals.empty(); }
};

// Parses the opt-out annotation value: comma-separated rule ids, whitespace around each ignored,
// empty items and duplicates dropped.
std::vector<std::string> parse_opt_out_list(const std::string& value);

// The annotation keys of an exception's details: <opt_out_annotation>-owner, -reason, -until.
std::string opt_out_detail_key(const Policy& policy, const char* detail);

// Whether rule `id` runs for the container whose spec is `container_spec`: not in
// disabled_rules, and not opted out of by the spec's annotation with the policy's leave. The one
// test harden_spec (create rules) and the exec and update operations apply.
// An exception with an end is judged against `now` (seconds, UTC; nullopt: it grants nothing).
bool rule_runs(const std::string& id, const Policy& policy, const Json& container_spec,
               std::optional<int64_t> now);

Decision harden_spec(Json spec, const Policy& policy, const Host& host, const Invocation& inv);

// One line per refusal, all rules named: "refused by a, b: reason; reason".
std::string refusal_message(const std::vector<Refusal>& refusals);

}  // namespace oci_harden
