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

std::vector<std::string> run(RuleFn fn, const char* id, const std::string& spec_text) {
  auto spec = parse_spec(spec_text);
  REQUIRE(spec.ok());
  auto p = builtin_policy();  // pids.max 32768; memory and cpu "host": 8 GiB, 4 CPUs on FakeHost
  REQUIRE(p.ok());
  FakeHost host;
  Invocation inv{"create", "c1", "/bundles/c1"};
  RuleContext ctx(*spec, *p, host, inv);
  ctx.begin_rule(id);
  fn(ctx);
  std::vector<std::string> out;
  for (const Refusal& r : ctx.refusals()) out.push_back(r.reason);
  return out;
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
  // memory.high throttles below memory.max, never above it: not judged.
  CHECK(refused(R"({"memory.high":"max","memory.low":"max"})", UnifiedController::kMemory) == 0);
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

TEST_CASE("unified: key names that are not one file name") {
  CHECK(unified_key_bad_name("memory.high").empty());
  CHECK_FALSE(unified_key_bad_name("../memory.max").empty());
  CHECK_FALSE(unified_key_bad_name("..").empty());
  CHECK_FALSE(unified_key_bad_name("a/b").empty());
  CHECK_FALSE(unified_key_bad_name("").empty());
}

TEST_CASE("unified: the limit rules refuse, naming the field") {
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
