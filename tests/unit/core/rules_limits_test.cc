// Rules "pids-limit", "memory-limit" and "cpu-limit" (shim/core/rules/limits.cc) on FakeHost
// (4 CPUs, 8 GiB): an absent limit gets the policy's default; a limit above the maximum, or one
// runc reads as unlimited, is clamped under limits.above_max "clamp" and refused, naming the
// field and leaving it as it was, under "refuse"; a limit within the maximum is kept either way.

#include <catch2/catch.hpp>

#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

using rule_test::parse;

// pids default 100 max 1000; memory default 64 MiB max 1 GiB; cpu default 1 max 2 (period 100000).
Policy limits_policy(const std::string& above_max) {
  std::string text = R"({"limits": {"above_max": ")" + above_max + R"(",
      "pids": {"default": 100, "max": 1000},
      "memory": {"default": 67108864, "max": 1073741824},
      "cpu": {"default": 1, "max": 2, "period": 100000}}})";
  return rule_test::policy_from(text);
}

using Outcome = rule_test::RuleRun;

Outcome run(RuleFn fn, const char* id, const std::string& resources, const Policy& p) {
  return rule_test::run_rule(fn, id, parse(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
                                             "linux": {"resources": )" + resources + "}}"),
                             p, FakeHost());
}

std::optional<int64_t> int_at(const Json& spec, const std::string& path) {
  size_t dot = path.rfind('.');
  return int_field(field_at(spec, path.substr(0, dot)), path.substr(dot + 1));
}

struct Case {
  const char* what;
  RuleFn fn;
  const char* id;
  const char* resources;  // linux.resources of the spec
  const char* field;      // the limit judged
  int64_t clamped;        // what "clamp" writes
};

const Case kAboveMax[] = {
    {"pids above the maximum", rule_pids_limit, "pids-limit", R"({"pids": {"limit": 5000}})",
     "linux.resources.pids.limit", 1000},
    {"pids unlimited (-1)", rule_pids_limit, "pids-limit", R"({"pids": {"limit": -1}})",
     "linux.resources.pids.limit", 1000},
    {"pids 0 (pids.max left unset)", rule_pids_limit, "pids-limit", R"({"pids": {"limit": 0}})",
     "linux.resources.pids.limit", 1000},
    {"memory above the maximum", rule_memory_limit, "memory-limit",
     R"({"memory": {"limit": 4294967296}})", "linux.resources.memory.limit", 1073741824},
    {"memory unlimited (-1)", rule_memory_limit, "memory-limit", R"({"memory": {"limit": -1}})",
     "linux.resources.memory.limit", 1073741824},
    {"cpu quota above the maximum", rule_cpu_limit, "cpu-limit",
     R"({"cpu": {"quota": 400000, "period": 100000}})", "linux.resources.cpu.quota", 200000},
    {"cpu quota unlimited (-1)", rule_cpu_limit, "cpu-limit",
     R"({"cpu": {"quota": -1, "period": 100000}})", "linux.resources.cpu.quota", 200000},
};

TEST_CASE("limits: above_max \"refuse\" refuses a limit above the maximum, naming the field, and leaves it", "[limits]") {
  Policy refuse = limits_policy("refuse");
  for (const Case& c : kAboveMax) {
    DYNAMIC_SECTION(c.what) {
      Json before = parse(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
                              "linux": {"resources": )" + std::string(c.resources) + "}}");
      Outcome o = run(c.fn, c.id, c.resources, refuse);
      REQUIRE(o.refusals.size() == 1);
      CHECK_THAT(o.refusals[0], Contains(c.field) && Contains("above the policy maximum"));
      CHECK(int_at(o.spec, c.field) == int_at(before, c.field));
      for (const Change& ch : o.changes) CHECK(ch.path != c.field);
    }
  }
}

TEST_CASE("limits: above_max \"clamp\" writes the maximum and refuses nothing", "[limits]") {
  Policy clamp = limits_policy("clamp");
  for (const Case& c : kAboveMax) {
    DYNAMIC_SECTION(c.what) {
      Outcome o = run(c.fn, c.id, c.resources, clamp);
      CHECK(o.refusals.empty());
      CHECK(int_at(o.spec, c.field) == c.clamped);
    }
  }
}

TEST_CASE("limits: a limit within the maximum is kept under either above_max", "[limits]") {
  for (const char* mode : {"clamp", "refuse"}) {
    DYNAMIC_SECTION(mode) {
      Policy p = limits_policy(mode);
      Outcome pids = run(rule_pids_limit, "pids-limit", R"({"pids": {"limit": 1000}})", p);
      CHECK(pids.refusals.empty());
      CHECK(int_at(pids.spec, "linux.resources.pids.limit") == 1000);
      Outcome mem = run(rule_memory_limit, "memory-limit", R"({"memory": {"limit": 1048576}})", p);
      CHECK(mem.refusals.empty());
      CHECK(int_at(mem.spec, "linux.resources.memory.limit") == 1048576);
      CHECK(int_at(mem.spec, "linux.resources.memory.swap") == 1048576);  // no swap
      Outcome cpu = run(rule_cpu_limit, "cpu-limit", R"({"cpu": {"quota": 150000, "period": 100000}})", p);
      CHECK(cpu.refusals.empty());
      CHECK(int_at(cpu.spec, "linux.resources.cpu.quota") == 150000);
    }
  }
}

TEST_CASE("limits: an absent limit gets the policy's default, refused by neither mode", "[limits]") {
  for (const char* mode : {"clamp", "refuse"}) {
    DYNAMIC_SECTION(mode) {
      Policy p = limits_policy(mode);
      Outcome pids = run(rule_pids_limit, "pids-limit", "{}", p);
      CHECK(pids.refusals.empty());
      CHECK(int_at(pids.spec, "linux.resources.pids.limit") == 100);
      Outcome mem = run(rule_memory_limit, "memory-limit", "{}", p);
      CHECK(int_at(mem.spec, "linux.resources.memory.limit") == 67108864);
      Outcome cpu = run(rule_cpu_limit, "cpu-limit", "{}", p);
      CHECK(int_at(cpu.spec, "linux.resources.cpu.quota") == 100000);
      CHECK(int_at(cpu.spec, "linux.resources.cpu.period") == 100000);
    }
  }
}

}  // namespace
}  // namespace oci_harden
