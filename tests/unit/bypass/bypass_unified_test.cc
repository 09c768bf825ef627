// [bypass] linux.resources.unified: cgroup v2 files runc 1.1.5 and crun 1.8.1 write after the
// typed resources, at create and (crun) at `update -r`. Each attempt to lift the pids, memory or
// cpu limit through it, or to name a file outside the container's cgroup, goes through
// parse_spec + harden_spec (or harden_update) as oci-harden does, and must be refused.
// What runc and crun do with each: tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/runc_args.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

std::string runc_spec_text() { return test::data_file("runc-spec.json"); }

Policy test_policy(AboveMax above) {
  Policy out = bypass::policy();  // pids.max 32768, memory and cpu "host" (8 GiB, 4 CPUs on FakeHost)
  out.above_max = above;
  return out;
}

// `runc spec` with a writable root and linux.resources.unified = `unified` (JSON text), and
// `typed` merged into linux.resources.
Decision create(const std::string& unified, AboveMax above = AboveMax::kClamp, const std::string& typed = "{}",
                const std::string& spelled = "unified") {
  auto r = parse_spec(runc_spec_text());
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  field(&spec, "root")->set("readonly", Json::boolean(false));
  Json* resources = field_at(spec, "linux.resources");
  REQUIRE(resources != nullptr);
  auto t = parse_json(typed);
  REQUIRE(t.ok());
  for (const auto& [k, v] : t->members()) resources->set(k, v);
  auto u = parse_json(unified);
  REQUIRE(u.ok());
  resources->set("unified", *u);
  // Written out and read back as oci-harden reads a bundle.
  std::string text = to_json(spec);
  size_t at = text.find("\"unified\":");
  REQUIRE(at != std::string::npos);
  text.replace(at + 1, 7, spelled);
  auto again = parse_spec(text);
  REQUIRE(again.ok());
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  return harden_spec(std::move(*again), test_policy(above), host, Invocation{"create", "c1", "/bundles/c1"});
}

bool refused_by(const Decision& d, const std::string& rule, const std::string& text) {
  for (const Refusal& r : d.refusals) {
    if (r.rule == rule && r.reason.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string describe(const Decision& d) {
  std::string s;
  for (const Refusal& r : d.refusals) s += "refusal " + r.rule + ": " + r.reason + "\n";
  return s.empty() ? "not refused" : s;
}

OperationDecision update(const std::string& resources, AboveMax above = AboveMax::kClamp,
                         std::optional<Host::CpuBandwidth> current = std::nullopt) {
  auto args = parse_runc_args({"runc", "update", "-r", "/tmp/r.json", "c1"});
  REQUIRE(args.ok());
  auto r = parse_json(resources);
  REQUIRE(r.ok());
  FakeHost host;
  return harden_update(*args, *r, test_policy(above), host, current);
}

bool update_refused(const OperationDecision& d, const std::string& text) {
  for (const Refusal& r : d.refusals) {
    if (r.rule == "update" && r.reason.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("bypass: unified entries lifting the limits at create are refused", "[bypass][unified]") {
  struct Case {
    const char* unified;
    const char* rule;
    const char* says;
  };
  const Case cases[] = {
      {R"({"pids.max":"max"})", "pids-limit", "[\"pids.max\"] is unlimited"},
      {R"({"pids.max":"1000000"})", "pids-limit", "above the policy maximum 32768"},
      {R"({"pids.max":" max\n"})", "pids-limit", "unlimited"},
      {R"({"pids.max":"0x100000"})", "pids-limit", "not a plain decimal"},
      {R"({"memory.max":"max"})", "memory-limit", "[\"memory.max\"] is unlimited"},
      {R"({"memory.max":"64G"})", "memory-limit", "not a plain decimal"},
      {R"({"memory.max":"68719476736"})", "memory-limit", "above the policy maximum"},
      {R"({"memory.swap.max":"max"})", "memory-limit", "swap beyond the memory limit"},
      {R"({"cpu.max":"max 100000"})", "cpu-limit", "[\"cpu.max\"] is unlimited"},
      {R"({"cpu.max":"max"})", "cpu-limit", "unlimited"},
      {R"({"cpu.max":"1000000 100000"})", "cpu-limit", "quota 1000000"},
      {R"({"cpu.max":"400000 1000"})", "cpu-limit", "per period 1000"},
      {R"({"cpu.max.burst":"1000000"})", "cpu-limit", "CPU time beyond the quota"},
      {R"({"../pids.max":"max"})", "cgroups-path", "contains \"/\""},
      {R"({"..":"max"})", "cgroups-path", "contains \"..\""},
  };
  for (AboveMax above : {AboveMax::kClamp, AboveMax::kRefuse}) {
    for (const Case& c : cases) {
      INFO(c.unified << (above == AboveMax::kClamp ? " (clamp)" : " (refuse)"));
      Decision d = create(c.unified, above);
      INFO(describe(d));
      CHECK(refused_by(d, c.rule, c.says));
    }
  }
}

TEST_CASE("bypass: unified spelled as Go's decoder reads it (case-folded struct field)", "[bypass][unified]") {
  for (const char* spelled : {"Unified", "UNIFIED", "uNiFiEd"}) {
    INFO(spelled);
    Decision d = create(R"({"pids.max":"max"})", AboveMax::kClamp, "{}", spelled);
    INFO(describe(d));
    CHECK(refused_by(d, "pids-limit", "pids.max"));
  }
}

TEST_CASE("bypass: the adversary's whole unified map, beside typed limits within the policy", "[bypass][unified]") {
  Decision d = create(R"({"pids.max":"max","memory.max":"max","cpu.max":"max 100000","memory.swap.max":"max"})",
                      AboveMax::kClamp,
                      R"({"pids":{"limit":100},"memory":{"limit":1048576},"cpu":{"quota":100000,"period":100000}})");
  INFO(describe(d));
  CHECK(refused_by(d, "pids-limit", "pids.max"));
  CHECK(refused_by(d, "memory-limit", "memory.max"));
  CHECK(refused_by(d, "memory-limit", "memory.swap.max"));
  CHECK(refused_by(d, "cpu-limit", "cpu.max"));
}

TEST_CASE("bypass: unified entries within the policy, and other controllers', pass", "[bypass][unified]") {
  Decision d = create(R"({"pids.max":"1024","memory.max":"1073741824","memory.swap.max":"0",)"
                      R"("cpu.max":"200000 100000","memory.high":"max","io.weight":"default 100","cpu.weight":"100"})");
  INFO(describe(d));
  CHECK_FALSE(d.refused());
  // Quota alone, judged at the spec's typed period: 4 CPUs at 10000 is 40000.
  CHECK(create(R"({"cpu.max":"50000"})", AboveMax::kClamp, R"({"cpu":{"period":10000}})").refused());
  CHECK_FALSE(create(R"({"cpu.max":"40000"})", AboveMax::kClamp, R"({"cpu":{"period":10000}})").refused());
}

TEST_CASE("bypass: update -r with a unified map lifting the limits is refused", "[bypass][unified]") {
  for (AboveMax above : {AboveMax::kClamp, AboveMax::kRefuse}) {
    OperationDecision d = update(R"({"unified":{"pids.max":"max","memory.max":"max","memory.swap.max":"max",)"
                                 R"("cpu.max":"max 100000","../x":"1"}})", above);
    CHECK(update_refused(d, "unified[\"pids.max\"] is unlimited"));
    CHECK(update_refused(d, "unified[\"memory.max\"] is unlimited"));
    CHECK(update_refused(d, "unified[\"memory.swap.max\"]"));
    CHECK(update_refused(d, "unified[\"cpu.max\"] is unlimited"));
    CHECK(update_refused(d, "unified[\"../x\"] contains \"/\""));
  }
  // Quota alone: at the typed period of the same object, else the container's, else refused.
  CHECK(update_refused(update(R"({"unified":{"cpu.max":"1000"}})"), "names no period"));
  CHECK_FALSE(update(R"({"unified":{"cpu.max":"1000"}})", AboveMax::kClamp, Host::CpuBandwidth{1000, 100000}).refused());
  CHECK(update(R"({"unified":{"cpu.max":"50000"}})", AboveMax::kClamp, Host::CpuBandwidth{1000, 10000}).refused());
  CHECK_FALSE(update(R"({"cpu":{"period":100000},"unified":{"cpu.max":"400000"}})").refused());
  CHECK_FALSE(update(R"({"unified":{"pids.max":"100","memory.high":"max"}})").refused());
}

TEST_CASE("bypass: update -r with a unified cpu.max asks for the container's period", "[bypass][unified]") {
  auto args = parse_runc_args({"runc", "update", "-r", "/tmp/r.json", "c1"});
  REQUIRE(args.ok());
  auto with = parse_json(R"({"unified":{"cpu.max":"1000"}})");
  auto typed = parse_json(R"({"cpu":{"period":100000,"quota":1000},"unified":{"cpu.max":"1000"}})");
  REQUIRE(with.ok());
  REQUIRE(typed.ok());
  CHECK(update_needs_current_cpu(*args, *with));
  CHECK_FALSE(update_needs_current_cpu(*args, *typed));
}

}  // namespace oci_harden
