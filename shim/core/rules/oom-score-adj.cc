// Rule "oom-score-adj": process.oomScoreAdj below the policy's oom_score_adj_min is raised to
// it. A process at -1000 is never chosen by the kernel's OOM killer, so a container there that
// exhausts the host's memory makes the kernel kill host processes (sshd, the engine) instead;
// -999..-998 are nearly as safe from it. The default minimum, -997, is what Kubernetes gives
// the containers of its Guaranteed pods, so those keep their value. An absent field is left
// absent (the container inherits the engine's score), and values above the minimum are kept.
//
// Why a clamp and not a refusal: the value is a hint to the OOM killer, not a request the
// container's program depends on; the clamp keeps every engine's containers starting.

#include <string>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

void rule_oom_score_adj(RuleContext& ctx) {
  Json* process = field(&ctx.spec(), "process");
  std::optional<int64_t> have = int_field(process, "oomScoreAdj");
  if (!have) return;
  int64_t min = ctx.policy().oom_score_adj_min;
  if (*have >= min) return;
  ctx.set(*process, "oomScoreAdj", Json::integer(min), "process.oomScoreAdj");
}

}  // namespace oci_harden
