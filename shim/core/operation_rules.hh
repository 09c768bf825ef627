// The rules of later operations on a running container: `runc exec` (rule id "exec") and
// `runc update` (rule id "update"). Pure, like the container rules: the request and the
// container's hardened spec go in; a rewritten request, changes and refusals come out.
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
OperationDecision harden_update(const RuncArgs& args, const Json& resources, const Policy& policy,
                                const Host& host,
                                const std::optional<Host::CpuBandwidth>& current = std::nullopt);
// Whether an update names one of the CPU quota and period but not the other (then the
// container's current bandwidth is looked up: `update --cpus` names both, and costs nothing).
bool update_needs_current_cpu(const RuncArgs& args, const Json& resources);

// Go's units.RAMInBytes as runc update reads --memory: "512m", "1g", "1073741824", "-1".
bool parse_ram_bytes(const std::string& text, int64_t* out);

}  // namespace oci_harden
