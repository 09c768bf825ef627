// Rules "pids-limit" (CIS 5.28; practice 22), "memory-limit" (CIS 5.10; practice 20) and
// "cpu-limit" (CIS 5.11; practice 20): set the policy's default where the spec has no limit,
// and clamp (or refuse, when limits.above_max is "refuse") a limit above the policy maximum.
// Absent is not zero: only an absent field gets the default. A present value that runc 1.1
// reads as "no limit" — pids.limit <= 0 (0 leaves pids.max unset, negative writes "max"),
// memory.limit <= 0, cpu.quota <= 0 — counts as above every maximum. OCI's memory.swap is
// memory plus swap: set equal to the memory limit (no swap) where absent, unlimited or larger.
// linux.resources.unified entries naming these limits (pids.max; memory.max, memory.high,
// memory.swap.max; cpu.max, cpu.max.burst) are written by runc and crun after the typed values
// and override them: each is held to the same maximum (unified_limits.hh), clamped (rewritten to
// the maximum, recorded as a change) or refused as limits.above_max says; a value the kernel
// would read otherwise than as a plain decimal is refused either way. The result written last
// is then within the policy whichever of the typed value and the entry the runtime keeps. The
// typed value is then set to what the entry leaves in the cgroup (a plain decimal above 0), so
// the spec says what the kernel holds: the hook verifies the typed value.

#include <algorithm>
#include <climits>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "shim/core/unified_limits.hh"

namespace oci_harden {

namespace {

// Judges one limit value: returns the value to write, or nullopt after refusing.
std::optional<int64_t> judge(RuleContext& ctx, const std::string& path, std::optional<int64_t> have,
                             std::optional<int64_t> def, int64_t max, bool unlimited) {
  if (!have) return def;
  if (!unlimited && *have <= max) return have;
  if (ctx.policy().above_max == AboveMax::kRefuse) {
    ctx.refuse(path + " is " + (unlimited ? std::string("unlimited") : std::to_string(*have)) +
               ", above the policy maximum " + std::to_string(max));
    return std::nullopt;
  }
  return max;
}

// Clamps or refuses each unified entry of controller c beyond the bounds. The map's keys are
// file names, matched exactly (a Go map, not struct fields).
void judge_unified_entries(RuleContext& ctx, UnifiedController c, const UnifiedBounds& bounds) {
  Json* unified = field_at(ctx.spec(), "linux.resources.unified");
  if (unified == nullptr) return;
  for (const UnifiedExcess& e : judge_unified(*unified, c, bounds, "linux.resources.unified")) {
    Json* entry = unified->get_exact(e.key);
    if (e.clamped.empty() || ctx.policy().above_max == AboveMax::kRefuse || entry == nullptr) {
      ctx.refuse(e.reason);
      continue;
    }
    Json after = Json::string(e.clamped);
    ctx.record("linux.resources.unified[\"" + e.key + "\"]", *entry, after);
    *entry = std::move(after);
  }
}

Json& resources(RuleContext& ctx) {
  return ensure_object(ensure_object(ctx.spec(), "linux"), "resources");
}

// Rootless engines (issue 17.3): a default limit the runtime cannot set (unprivileged on a
// cgroup v1 host: runc fails "container could not join or create cgroup") is not added, and the
// note says the container runs without it -- the record never claims a limit it does not have.
bool cannot_add_limit(RuleContext& ctx, const std::string& field_path) {
  std::string why = ctx.host().cgroup_limits_unsettable();
  if (why.empty()) return false;
  ctx.note(field_path + " not set, the container runs without this limit: " + why);
  return true;
}

}  // namespace

void rule_pids_limit(RuleContext& ctx) {
  const Limit& lim = ctx.policy().pids;
  const Json* pids = field_at(ctx.spec(), "linux.resources.pids");
  std::optional<int64_t> have = int_field(pids, "limit");
  int64_t max = lim.max.value_or(INT64_MAX);
  UnifiedBounds bounds;
  bounds.pids = max;
  judge_unified_entries(ctx, UnifiedController::kPids, bounds);
  auto use = judge(ctx, "linux.resources.pids.limit", have, lim.default_value, max, have && *have <= 0);
  if (!use) return;
  // runc and crun write the unified entry last: the typed value says what it leaves.
  if (auto u = unified_decimal(field_at(ctx.spec(), "linux.resources.unified"), "pids.max"); u && *u <= max) use = u;
  if ((!have || *have <= 0) && cannot_add_limit(ctx, "linux.resources.pids.limit")) return;
  Json& p = ensure_object(resources(ctx), "pids");
  ctx.set(p, "limit", Json::integer(*use), "linux.resources.pids.limit");
}

void rule_memory_limit(RuleContext& ctx) {
  const Limit& lim = ctx.policy().memory;
  const Json* mem = field_at(ctx.spec(), "linux.resources.memory");
  std::optional<int64_t> have = int_field(mem, "limit");
  int64_t max = lim.max.value_or(ctx.host().memory_bytes());
  UnifiedBounds bounds;
  bounds.memory = max;
  judge_unified_entries(ctx, UnifiedController::kMemory, bounds);
  auto use = judge(ctx, "linux.resources.memory.limit", have, lim.default_value, max, have && *have <= 0);
  if (!use) return;
  if (auto u = unified_decimal(field_at(ctx.spec(), "linux.resources.unified"), "memory.max"); u && *u <= max) use = u;
  if ((!have || *have <= 0) && cannot_add_limit(ctx, "linux.resources.memory.limit")) return;
  Json& m = ensure_object(resources(ctx), "memory");
  ctx.set(m, "limit", Json::integer(*use), "linux.resources.memory.limit");
  // Why: without a swap bound the container could page its way past the memory limit.
  std::optional<int64_t> swap = int_field(&m, "swap");
  if (!swap || *swap < 0 || *swap > *use || *swap == 0) {
    ctx.set(m, "swap", Json::integer(*use), "linux.resources.memory.swap");
  }
}

void rule_cpu_limit(RuleContext& ctx) {
  const Policy& policy = ctx.policy();
  const Json* cpu = field_at(ctx.spec(), "linux.resources.cpu");
  std::optional<int64_t> quota = int_field(cpu, "quota");
  const Json* period_json = field(cpu, "period");
  uint64_t period = policy.cpu_period;
  if (period_json != nullptr) period_json->to_uint64(&period);
  if (period == 0) period = policy.cpu_period;
  int64_t max_milli = policy.cpu.max.value_or(static_cast<int64_t>(ctx.host().cpu_count()) * 1000);
  // In 128 bits, saturated: a period near 2^64 (a uint64 to runc) cast to int64 made a negative
  // bound, and a quota of -2 is "no limit".
  auto quota_for = [period](int64_t milli) {
    __int128 q = static_cast<__int128>(milli) * static_cast<__int128>(period) / 1000;
    return q > INT64_MAX ? INT64_MAX : static_cast<int64_t>(q);
  };
  int64_t max_quota = quota_for(max_milli);
  std::optional<int64_t> def;
  if (policy.cpu.default_value) def = quota_for(*policy.cpu.default_value);
  UnifiedBounds bounds;
  bounds.cpu_milli = max_milli;
  // A cpu.max without a period keeps the cgroup's: the spec's (runc writes it with the quota),
  // else the policy's (this rule writes it) or runc's and the kernel's 100000: the shorter.
  uint64_t spec_period = 0;
  bool has_period = period_json != nullptr && period_json->to_uint64(&spec_period) && spec_period > 0;
  bounds.period = has_period ? spec_period : std::min<uint64_t>(period, 100000);
  judge_unified_entries(ctx, UnifiedController::kCpu, bounds);
  auto use = judge(ctx, "linux.resources.cpu.quota", quota, def, max_quota, quota && *quota <= 0);
  if (!use) return;
  if ((!quota || *quota <= 0) && cannot_add_limit(ctx, "linux.resources.cpu.quota")) return;
  Json& c = ensure_object(resources(ctx), "cpu");
  // A cpu.max within the bounds (judged, or clamped, above) is what the cgroup keeps: the typed
  // quota, and its period where it names one, say the same.
  auto u = unified_cpu_max(field_at(ctx.spec(), "linux.resources.unified"));
  if (u && u->period == 0 && u->quota <= quota_for(max_milli)) {
    use = u->quota;
  } else if (u && u->period > 0) {
    __int128 q = static_cast<__int128>(max_milli) * static_cast<__int128>(u->period) / 1000;
    if (static_cast<__int128>(u->quota) <= q) {
      use = u->quota;
      ctx.set(c, "period", Json::unsigned_integer(u->period), "linux.resources.cpu.period");
    }
  }
  if (field(&c, "period") == nullptr) ctx.set(c, "period", Json::unsigned_integer(period), "linux.resources.cpu.period");
  ctx.set(c, "quota", Json::integer(*use), "linux.resources.cpu.quota");
}

}  // namespace oci_harden
