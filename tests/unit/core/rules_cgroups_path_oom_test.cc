// Rules "cgroups-path" (a linux.cgroupsPath that is the root cgroup is refused; absent, empty and
// engines' paths pass) and "oom-score-adj" (process.oomScoreAdj below the policy's minimum is
// raised to it), on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using rule_test::parse;

Policy policy(const std::string& text = "{}") { return rule_test::policy_from(text); }

using Outcome = rule_test::RuleRun;

Outcome run(RuleFn fn, const char* id, Json spec, const Policy& p = policy()) {
  return rule_test::run_rule(fn, id, std::move(spec), p, FakeHost());
}

Json with_cgroups_path(const std::string& path) {
  return parse(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
                   "linux": {"cgroupsPath": ")" + path + R"("}})");
}

std::vector<std::string> cgroups_refusals(const std::string& path) {
  return run(rule_cgroups_path, "cgroups-path", with_cgroups_path(path)).refusals;
}

Json with_oom(const std::string& value) {
  return parse(R"({"process": {"args": ["sh"], "oomScoreAdj": )" + value +
               R"(}, "root": {"path": "rootfs"}})");
}

}  // namespace

TEST_CASE("cgroups-path: engines' paths, absent and empty pass unchanged", "[cgroups-path]") {
  for (const char* path : {"/docker/91594c9e7e49", "/default/ctr-run",
                           "/libpod_parent/libpod-fc4f27f73d9b",
                           "kubepods-burstable-pod1234.slice:cri-containerd:abcd",
                           "system.slice:docker:abcd", "-.slice:docker:abcd", "relative/child",
                           "", "/a/../b"}) {
    INFO(path);
    Outcome o = run(rule_cgroups_path, "cgroups-path", with_cgroups_path(path));
    CHECK(o.refusals.empty());
    CHECK(o.changes.empty());
  }
  Json absent = parse(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "linux": {}})");
  CHECK(run(rule_cgroups_path, "cgroups-path", absent).refusals.empty());
}

TEST_CASE("cgroups-path: the root cgroup is refused, however it is spelled", "[cgroups-path]") {
  CHECK(cgroups_refusals("/") ==
        std::vector<std::string>{"linux.cgroupsPath \"/\" is the root cgroup (/): no limit can be "
                                 "written there and every host process shares it"});
  for (const char* path : {"//", "/..", "/../..", "/./", "/docker/..", "///.//"}) {
    INFO(path);
    CHECK(cgroups_refusals(path).size() == 1);
  }
  SECTION("a relative path naming no cgroup: the caller's own") {
    for (const char* path : {".", "..", "./", "a/..", "../.."}) {
      INFO(path);
      REQUIRE(cgroups_refusals(path).size() == 1);
      CHECK(cgroups_refusals(path)[0].find("names no cgroup of its own") != std::string::npos);
    }
  }
  SECTION("systemd's root slice as the container's unit") {
    CHECK(cgroups_refusals("system.slice:docker:-.slice") ==
          std::vector<std::string>{"linux.cgroupsPath \"system.slice:docker:-.slice\" names "
                                   "systemd's root slice (-.slice) as the container's unit: the "
                                   "root cgroup, where no limit can be written"});
    CHECK(cgroups_refusals("-.slice::-.slice").size() == 1);
  }
}

TEST_CASE("oom-score-adj: below the minimum is raised to it", "[oom-score-adj]") {
  Outcome o = run(rule_oom_score_adj, "oom-score-adj", with_oom("-1000"));
  CHECK(int_field(field_at(o.spec, "process"), "oomScoreAdj") == -997);
  REQUIRE(o.changes.size() == 1);
  CHECK(o.changes[0].path == "process.oomScoreAdj");
  CHECK(to_json(o.changes[0].before) == "-1000");
  CHECK(to_json(o.changes[0].after) == "-997");
  CHECK(o.refusals.empty());
  SECTION("values the kernel would refuse too") {
    CHECK(int_field(field_at(run(rule_oom_score_adj, "oom-score-adj", with_oom("-999999")).spec,
                             "process"),
                    "oomScoreAdj") == -997);
  }
  SECTION("the policy's minimum") {
    Policy p = policy(R"({"oom_score_adj_min": 0})");
    Outcome z = run(rule_oom_score_adj, "oom-score-adj", with_oom("-500"), p);
    CHECK(int_field(field_at(z.spec, "process"), "oomScoreAdj") == 0);
  }
}

TEST_CASE("oom-score-adj: at or above the minimum, or absent, is unchanged", "[oom-score-adj]") {
  for (const char* v : {"-997", "0", "1000", "-500"}) {
    INFO(v);
    Json spec = with_oom(v);
    Outcome o = run(rule_oom_score_adj, "oom-score-adj", spec);
    CHECK(o.spec == spec);
    CHECK(o.changes.empty());
  }
  Json absent = parse(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}})");
  CHECK(run(rule_oom_score_adj, "oom-score-adj", absent).changes.empty());
}

TEST_CASE("oom-score-adj: the policy key", "[oom-score-adj]") {
  CHECK(policy().oom_score_adj_min == -997);
  CHECK(policy(R"({"oom_score_adj_min": -1000})").oom_score_adj_min == -1000);
  for (const char* bad : {R"({"oom_score_adj_min": -1001})", R"({"oom_score_adj_min": 1001})",
                          R"({"oom_score_adj_min": "-997"})", R"({"oom_score_adj_min": -1.5})"}) {
    INFO(bad);
    auto p = parse_policy(bad, "/etc/oci-harden/policy.json");
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message.find("oom_score_adj_min") != std::string::npos);
  }
  SECTION("a string where runc reads an int is refused at load") {
    auto spec = parse_spec(R"({"process": {"args": ["sh"], "oomScoreAdj": "-1000"}, "root": {"path": "r"}})");
    CHECK_FALSE(spec.ok());
  }
}

TEST_CASE("cgroups-path and oom-score-adj through harden_spec", "[cgroups-path][oom-score-adj]") {
  FakeHost host;
  Policy p = policy();
  Json spec = parse(R"({"process": {"args": ["sh"], "oomScoreAdj": -1000}, "root": {"path": "rootfs"},
                        "linux": {"cgroupsPath": "/.."}})");
  Decision d = harden_spec(spec, p, host, Invocation{"create", "c1", "/bundles/c1"});
  bool cgroups = false;
  for (const Refusal& r : d.refusals) cgroups = cgroups || r.rule == "cgroups-path";
  CHECK(cgroups);
  CHECK(int_field(field_at(d.spec, "process"), "oomScoreAdj") == -997);
}

}  // namespace oci_harden
