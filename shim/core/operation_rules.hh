// The rules of later operations on a running container: `runc exec` (rule id "exec", kind exec)
// and `runc update` (rule id "update", kind update), entries of the one rule table. Pure, like the
// container rules: the request and the container's hardened spec go in; a rewritten request,
// changes and refusals (recorded through a RuleContext) come out. A rule that is off for the
// container (disabled_rules, a granted opt-out: rule_runs) leaves the request as it came.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/runc_args.hh"

namespace oci_harden {

struct OperationDecision {
  Json process;                   // exec --process: the rewritten process object
  Json resources;                 // update -r: the rewritten resources object
  std::vector<std::string> argv;  // the argument vector to execute
  std::vector<Change> changes;
  std::vector<Refusal> refusals;
  bool refused() const { return !refusals.empty(); }
};

// exec with a --process file: `process` is that file's object.
OperationDecision harden_exec_process(const Json& process, const Json& container_spec,
                                      const Policy& policy, const Host& host,
                                      const std::vector<std::string>& argv);
// exec described by flags (--cap, --user, --additional-gids, --no-new-privs, --apparmor,
// --process-label, --cgroup): judged against the container; clamped flags are removed from
// or rewritten in the argument vector.
OperationDecision harden_exec_flags(const RuncArgs& args, const Json& container_spec,
                                    const Policy& policy, const Host& host);

// update: the flags (--memory, --memory-swap, --pids-limit, --cpu-quota, --cpu-period) and
// the -r resources object (`resources`, null when not given) held to the policy's maxima.
// `current`: the container's CPU bandwidth now, for an update that names only one of quota and
// period (nullopt: unknown, judged at the worst case).
// `container_spec`: the container's spec, for its opt-out annotation (nullptr: not looked up;
// needed only when update_needs_container_spec). Rule "update" off (disabled_rules, a granted
// opt-out): the update goes through as asked, as exec's functions do for rule "exec".
OperationDecision harden_update(const RuncArgs& args, const Json& resources, const Policy& policy,
                                const Host& host,
                                const std::optional<Host::CpuBandwidth>& current = std::nullopt,
                                const Json* container_spec = nullptr);
// Whether the policy lets a container opt out of "update" (then its spec is looked up).
bool update_needs_container_spec(const Policy& policy);
// Whether an update names one of the CPU quota and period but not the other (then the
// container's current bandwidth is looked up: `update --cpus` names both, and costs nothing).
bool update_needs_current_cpu(const RuncArgs& args, const Json& resources);

// Go's units.RAMInBytes as runc update reads --memory: "512m", "1g", "1073741824", "-1".
bool parse_ram_bytes(const std::string& text, int64_t* out);

}  // namespace oci_harden
