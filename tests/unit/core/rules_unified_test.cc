// linux.resources.unified entries that carry a pids, memory or cpu limit (shim/core/unified_limits.cc),
// judged on their own and through the rules pids-limit, memory-limit, cpu-limit, cgroups-path.

#include <catch2/catch.hpp>

#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "shim/core/unified_limits.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

Json object(const std::string& text) {
  auto j = parse_json(text);
  INFO(text);
  REQUIRE(j.ok());
  return std::move(*j);
}

const UnifiedBounds kBounds{100, 1000000, 2000, 100000};  // 100 pids, 1 MB, 2 CPUs

size_t refused(const std::string& unified, UnifiedController c, const UnifiedBounds& b = kBounds) {
  return judge_unified(object(unified), c, b, "linux.resources.unified").size();
}

struct Outcome {
  std::vector<std::string> refusals;
  std::vector<Change> changes;
  Json unified;  // linux.resources.unified after the rule
  Json spec;     // the whole spec after the rule
};

Outcome apply(RuleFn fn, const char* id, const std::string& spec_text, AboveMax above) {
  auto spec = parse_spec(spec_text);
  REQUIRE(spec.ok());
  auto p = builtin_policy();  // pids.max 32768; memory and cpu "host": 8 GiB, 4 CPUs on FakeHost
  REQUIRE(p.ok());
  p->above_max = above;
  FakeHost host;
  Invocation inv{"create", "c1", "/bundles/c1"};
  RuleContext ctx(*spec, *p, host, inv);
  ctx.begin_rule(id);
  fn(ctx);
  Outcome out;
  for (const Refusal& r : ctx.refusals()) out.refusals.push_back(r.reason);
  out.changes = ctx.changes();
  if (const Json* u = field_at(*spec, "linux.resources.unified")) out.unified = *u;
  out.spec = *spec;
  return out;
}

// The refusals under limits.above_max "refuse".
std::vector<std::string> run(RuleFn fn, const char* id, const std::string& spec_text) {
  return apply(fn, id, spec_text, AboveMax::kRefuse).refusals;
}

std::string entry(const Outcome& o, const char* key) {
  const Json* v = o.unified.is_object() ? o.unified.get_exact(key) : nullptr;
  return v != nullptr && v->is_string() ? v->text() : "(absent)";
}

bool changed(const Outcome& o, const std::string& path) {
  for (const Change& c : o.changes) {
    if (c.path == path) return true;
  }
  return false;
}

std::string with_unified(const std::string& entries, const std::string& cpu = "") {
  return R"({"ociVersion":"1.0.2","linux":{"resources":{)" + cpu + R"("unified":)" + entries + "}}}";
}

}  // namespace

TEST_CASE("unified: pids.max within, above, unlimited, odd spellings") {
  CHECK(refused(R"({"pids.max":"100"})", UnifiedController::kPids) == 0);
  CHECK(refused(R"({"pids.max":" 50\n"})", UnifiedController::kPids) == 0);  // the kernel strips
  CHECK(refused(R"({"pids.max":"101"})", UnifiedController::kPids) == 1);
  CHECK(refused(R"({"pids.max":"max"})", UnifiedController::kPids) == 1);
  CHECK(refused(R"({"pids.max":" max\n"})", UnifiedController::kPids) == 1);
  CHECK(refused(R"({"pids.max":"0x1000"})", UnifiedController::kPids) == 1);
  CHECK(refused(R"({"pids.max":"-1"})", UnifiedController::kPids) == 1);
  CHECK(refused(R"({"pids.max":"99999999999999999999999"})", UnifiedController::kPids) == 1);
  // Another controller's key is not this controller's business.
  CHECK(refused(R"({"pids.max":"max"})", UnifiedController::kMemory) == 0);
}

TEST_CASE("unified: memory.max with suffixes, memory.swap.max only 0") {
  CHECK(refused(R"({"memory.max":"1000000"})", UnifiedController::kMemory) == 0);
  CHECK(refused(R"({"memory.max":"1000001"})", UnifiedController::kMemory) == 1);
  CHECK(refused(R"({"memory.max":"max"})", UnifiedController::kMemory) == 1);
  CHECK(refused(R"({"memory.max":"1G"})", UnifiedController::kMemory) == 1);  // memparse would read 1 GiB
  CHECK(refused(R"({"memory.swap.max":"0"})", UnifiedController::kMemory) == 0);
  CHECK(refused(R"({"memory.swap.max":"max"})", UnifiedController::kMemory) == 1);
  CHECK(refused(R"({"memory.swap.max":"1"})", UnifiedController::kMemory) == 1);
  // memory.high is the throttle limit: held to the same maximum. memory.low and memory.min are
  // protections (kept from reclaim, under memory.max): kept as written.
  CHECK(refused(R"({"memory.high":"max"})", UnifiedController::kMemory) == 1);
  CHECK(refused(R"({"memory.high":"1000001"})", UnifiedController::kMemory) == 1);
  CHECK(refused(R"({"memory.high":"1000000"})", UnifiedController::kMemory) == 0);
  CHECK(refused(R"({"memory.low":"max","memory.min":"max"})", UnifiedController::kMemory) == 0);
}

TEST_CASE("unified: cpu.max quota and period together, cpu.max.burst only 0") {
  CHECK(refused(R"({"cpu.max":"200000 100000"})", UnifiedController::kCpu) == 0);
  CHECK(refused(R"({"cpu.max":"200000"})", UnifiedController::kCpu) == 0);  // the cgroup's 100000
  CHECK(refused(R"({"cpu.max":"200001"})", UnifiedController::kCpu) == 1);
  CHECK(refused(R"({"cpu.max":"max 100000"})", UnifiedController::kCpu) == 1);
  CHECK(refused(R"({"cpu.max":"max"})", UnifiedController::kCpu) == 1);
  // Same quota at a shorter period is more CPU.
  CHECK(refused(R"({"cpu.max":"200000 10000"})", UnifiedController::kCpu) == 1);
  CHECK(refused(R"({"cpu.max":"20000 10000"})", UnifiedController::kCpu) == 0);
  CHECK(refused(R"({"cpu.max":"200000 abc"})", UnifiedController::kCpu) == 1);
  CHECK(refused(R"({"cpu.max":"200000 0"})", UnifiedController::kCpu) == 1);
  CHECK(refused(R"({"cpu.max.burst":"0"})", UnifiedController::kCpu) == 0);
  CHECK(refused(R"({"cpu.max.burst":"100000"})", UnifiedController::kCpu) == 1);
  CHECK(refused(R"({"cpu.weight":"10000"})", UnifiedController::kCpu) == 0);
  // Without a period and none known (update, container's unknown): refused.
  UnifiedBounds unknown = kBounds;
  unknown.period = 0;
  CHECK(refused(R"({"cpu.max":"1000"})", UnifiedController::kCpu, unknown) == 1);
  CHECK(refused(R"({"cpu.max":"1000 100000"})", UnifiedController::kCpu, unknown) == 0);
  // A value that is not a string is refused, not skipped.
  CHECK(refused(R"({"cpu.max":5})", UnifiedController::kCpu) == 1);
}

TEST_CASE("unified: the clamped form of each entry, and what cannot be clamped") {
  auto clamped = [](const std::string& unified, UnifiedController c, const UnifiedBounds& b = kBounds) {
    auto e = judge_unified(object(unified), c, b, "linux.resources.unified");
    REQUIRE(e.size() == 1);
    return e[0].clamped;
  };
  CHECK(clamped(R"({"pids.max":"max"})", UnifiedController::kPids) == "100");
  CHECK(clamped(R"({"pids.max":"101"})", UnifiedController::kPids) == "100");
  CHECK(clamped(R"({"memory.max":" max\n"})", UnifiedController::kMemory) == "1000000");
  CHECK(clamped(R"({"memory.high":"max"})", UnifiedController::kMemory) == "1000000");
  CHECK(clamped(R"({"memory.swap.max":"max"})", UnifiedController::kMemory) == "0");
  CHECK(clamped(R"({"memory.swap.max":"4096"})", UnifiedController::kMemory) == "0");
  CHECK(clamped(R"({"cpu.max":"max 100000"})", UnifiedController::kCpu) == "200000 100000");
  CHECK(clamped(R"({"cpu.max":"max"})", UnifiedController::kCpu) == "200000 100000");  // the cgroup's period
  CHECK(clamped(R"({"cpu.max":"300000 10000"})", UnifiedController::kCpu) == "20000 10000");
  CHECK(clamped(R"({"cpu.max.burst":"5000"})", UnifiedController::kCpu) == "0");
  // Spellings the kernel reads otherwise than judged here: never clamped, refused.
  CHECK(clamped(R"({"pids.max":"0x1000"})", UnifiedController::kPids).empty());
  CHECK(clamped(R"({"memory.max":"1G"})", UnifiedController::kMemory).empty());
  CHECK(clamped(R"({"memory.swap.max":"1G"})", UnifiedController::kMemory).empty());
  CHECK(clamped(R"({"cpu.max":"max abc"})", UnifiedController::kCpu).empty());
  CHECK(clamped(R"({"cpu.max":5})", UnifiedController::kCpu).empty());
  UnifiedBounds unknown = kBounds;
  unknown.period = 0;
  CHECK(clamped(R"({"cpu.max":"max"})", UnifiedController::kCpu, unknown).empty());
  // No maximum in the policy (INT64_MAX): "max" and any decimal are within.
  UnifiedBounds none = kBounds;
  none.pids = INT64_MAX;
  CHECK(refused(R"({"pids.max":"max"})", UnifiedController::kPids, none) == 0);
  CHECK(refused(R"({"pids.max":"0x10"})", UnifiedController::kPids, none) == 1);
}

TEST_CASE("unified: key names that are not one file name") {
  CHECK(unified_key_bad_name("memory.high").empty());
  CHECK_FALSE(unified_key_bad_name("../memory.max").empty());
  CHECK_FALSE(unified_key_bad_name("..").empty());
  CHECK_FALSE(unified_key_bad_name("a/b").empty());
  CHECK_FALSE(unified_key_bad_name("").empty());
}

TEST_CASE("unified: the limit rules clamp under above_max clamp, recording the change") {
  const std::string spec = with_unified(
      R"({"pids.max":"max","memory.max":"max","memory.high":"max","memory.swap.max":"max","memory.low":"max",)"
      R"("cpu.max":"max 100000","cpu.max.burst":"100000","cpu.weight":"10000","io.max":"8:0 rbps=max"})");
  Outcome p = apply(rule_pids_limit, "pids-limit", spec, AboveMax::kClamp);
  CHECK(p.refusals.empty());
  CHECK(entry(p, "pids.max") == "32768");
  CHECK(changed(p, "linux.resources.unified[\"pids.max\"]"));
  Outcome m = apply(rule_memory_limit, "memory-limit", spec, AboveMax::kClamp);
  CHECK(m.refusals.empty());
  const std::string host_memory = std::to_string(FakeHost().memory_bytes());
  CHECK(entry(m, "memory.max") == host_memory);
  CHECK(entry(m, "memory.high") == host_memory);
  CHECK(entry(m, "memory.swap.max") == "0");
  CHECK(entry(m, "memory.low") == "max");  // a protection, kept
  CHECK(changed(m, "linux.resources.unified[\"memory.high\"]"));
  Outcome c = apply(rule_cpu_limit, "cpu-limit", spec, AboveMax::kClamp);
  CHECK(c.refusals.empty());
  CHECK(entry(c, "cpu.max") == "400000 100000");  // 4 CPUs on FakeHost
  CHECK(entry(c, "cpu.max.burst") == "0");
  CHECK(entry(c, "cpu.weight") == "10000");  // the policy bounds no share: kept
  CHECK(entry(c, "io.max") == "8:0 rbps=max");
  // Within the maximum: nothing recorded for the entry.
  Outcome within = apply(rule_pids_limit, "pids-limit", with_unified(R"({"pids.max":"100"})"), AboveMax::kClamp);
  CHECK_FALSE(changed(within, "linux.resources.unified[\"pids.max\"]"));
  CHECK(entry(within, "pids.max") == "100");
  // A spelling that cannot be judged is refused under clamp too, and left as it was.
  Outcome odd = apply(rule_memory_limit, "memory-limit", with_unified(R"({"memory.max":"64G"})"), AboveMax::kClamp);
  REQUIRE(odd.refusals.size() == 1);
  CHECK(odd.refusals[0].find("not a plain decimal") != std::string::npos);
  CHECK(entry(odd, "memory.max") == "64G");
}

TEST_CASE("unified: the typed limit says what the unified entry leaves in the cgroup") {
  auto typed = [](const Outcome& o, const char* path) {
    int64_t v = -1;
    const Json* j = field_at(o.spec, path);
    if (j == nullptr || !j->to_int64(&v)) return int64_t{-1};
    return v;
  };
  // Clamped entries: the typed values are the maxima too (the hook verifies the typed value).
  const std::string lifting = with_unified(R"({"pids.max":"max","memory.max":"max","cpu.max":"max 100000"})");
  CHECK(typed(apply(rule_pids_limit, "pids-limit", lifting, AboveMax::kClamp), "linux.resources.pids.limit") == 32768);
  Outcome m = apply(rule_memory_limit, "memory-limit", lifting, AboveMax::kClamp);
  CHECK(typed(m, "linux.resources.memory.limit") == FakeHost().memory_bytes());
  CHECK(typed(m, "linux.resources.memory.swap") == FakeHost().memory_bytes());
  Outcome c = apply(rule_cpu_limit, "cpu-limit", lifting, AboveMax::kClamp);
  CHECK(typed(c, "linux.resources.cpu.quota") == 400000);
  CHECK(typed(c, "linux.resources.cpu.period") == 100000);
  // Within the policy: the entry, not the default, is what the cgroup holds.
  const std::string within = with_unified(R"({"pids.max":"100","memory.max":"1048576","cpu.max":"20000 10000"})");
  CHECK(typed(apply(rule_pids_limit, "pids-limit", within, AboveMax::kClamp), "linux.resources.pids.limit") == 100);
  CHECK(typed(apply(rule_memory_limit, "memory-limit", within, AboveMax::kClamp), "linux.resources.memory.limit") == 1048576);
  Outcome cw = apply(rule_cpu_limit, "cpu-limit", within, AboveMax::kClamp);
  CHECK(typed(cw, "linux.resources.cpu.quota") == 20000);
  CHECK(typed(cw, "linux.resources.cpu.period") == 10000);
  // A quota alone keeps the typed period.
  Outcome q = apply(rule_cpu_limit, "cpu-limit", with_unified(R"({"cpu.max":"30000"})", R"("cpu":{"period":10000},)"),
                    AboveMax::kClamp);
  CHECK(typed(q, "linux.resources.cpu.quota") == 30000);
  CHECK(typed(q, "linux.resources.cpu.period") == 10000);
  // "0" (no process may start) is left to the entry: a typed 0 reads as no limit to runc.
  CHECK(typed(apply(rule_pids_limit, "pids-limit", with_unified(R"({"pids.max":"0"})"), AboveMax::kClamp),
              "linux.resources.pids.limit") == 1024);
}

TEST_CASE("unified: the limit rules refuse under above_max refuse, naming the field") {
  auto r = run(rule_pids_limit, "pids-limit", with_unified(R"({"pids.max":"max"})"));
  REQUIRE(r.size() == 1);
  CHECK(r[0].find("linux.resources.unified[\"pids.max\"] is unlimited") != std::string::npos);
  CHECK(run(rule_pids_limit, "pids-limit", with_unified(R"({"pids.max":"32768"})")).empty());
  CHECK(run(rule_memory_limit, "memory-limit", with_unified(R"({"memory.max":"max","memory.swap.max":"max"})")).size() == 2);
  CHECK(run(rule_memory_limit, "memory-limit", with_unified(R"({"memory.max":"1048576"})")).empty());
  CHECK(run(rule_cpu_limit, "cpu-limit", with_unified(R"({"cpu.max":"max 100000"})")).size() == 1);
  CHECK(run(rule_cpu_limit, "cpu-limit", with_unified(R"({"cpu.max":"400000 100000"})")).empty());
  // Quota alone: judged at the spec's period (10000 here: 4 CPUs = 40000).
  CHECK(run(rule_cpu_limit, "cpu-limit", with_unified(R"({"cpu.max":"50000"})", R"("cpu":{"period":10000},)")).size() == 1);
  CHECK(run(rule_cpu_limit, "cpu-limit", with_unified(R"({"cpu.max":"40000"})", R"("cpu":{"period":10000},)")).empty());
  auto c = run(rule_cgroups_path, "cgroups-path", with_unified(R"({"../pids.max":"max","memory.high":"1"})"));
  REQUIRE(c.size() == 1);
  CHECK(c[0].find("linux.resources.unified[\"../pids.max\"]") != std::string::npos);
}

}  // namespace oci_harden
