// What would make a refusal pass, in one line an operator can act on: the engine flag that
// caused it (named for the engine that asked, when the bundle says which one: Docker, Podman,
// containerd, a Kubernetes pod spec), the policy key to change, and the opt-out annotation with
// the details the policy's opt_out_requires demands, when the policy lets this rule be opted out
// of. Also what a container that runs as host root (no user namespace) needs, and why it does.
// Pure: the refusal, the policy and the engine's name go in, text comes out.
#pragma once

#include <string>
#include <vector>

#include "shim/core/harden.hh"
#include "shim/core/json.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"

namespace oci_harden {

// The fix for `r`. `engine` is bundle_engine()'s word ("docker", "podman", "containerd",
// "kubernetes", "" = unknown: every engine's spelling); `policy` nullptr: no opt-out part (not
// known); `spec` (nullptr: not known) lends a mount's source and destination to the flag.
// Never empty.
std::string refusal_fix(const Refusal& r, const Policy* policy, const std::string& engine, const Json* spec);

// refusal_message() (first line unchanged), then one "  fix: ..." line per distinct fix, in the
// order of the refusals; a refusal without a fix gets refusal_fix(r, nullptr, "", nullptr).
std::string refusal_message_with_fixes(const std::vector<Refusal>& refusals);

// Why a container runs as host root: the user-namespace rule's last note, or why the rule did not run
// (disabled_rules, a granted opt-out); "" when neither says.
std::string root_on_host_reason(const std::vector<Note>& notes, const OptOuts* opt_outs, const Policy* policy);

// What would give a container a user namespace, for the engine that asked ("" = every engine's).
std::string root_on_host_fix(const std::string& engine);

}  // namespace oci_harden
