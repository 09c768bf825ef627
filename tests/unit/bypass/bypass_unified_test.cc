// [bypass] linux.resources.unified: cgroup v2 files runc 1.1.5 and crun 1.8.1 write after the
// typed resources, at create and (crun) at `update -r`. Each attempt to lift the pids, memory or
// cpu limit through it, or to name a file outside the container's cgroup, goes through
// parse_spec + harden_spec (or harden_update) as oci-harden does, and must be refused, or
// (limits.above_max "clamp") leave an entry the kernel reads as within the maximum.
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

TEST_CASE("bypass: unified entries lifting the limits at create are refused or clamped", "[bypass][unified]") {
  struct Case {
    const char* unified;
    const char* rule;
    const char* says;
    const char* clamped;  // the entry after hardening under "clamp"; nullptr: refused under both
  };
  const std::string host_memory = std::to_string(FakeHost().memory_bytes());
  const Case cases[] = {
      {R"({"pids.max":"max"})", "pids-limit", "[\"pids.max\"] is unlimited", "32768"},
      {R"({"pids.max":"1000000"})", "pids-limit", "above the policy maximum 32768", "32768"},
      {R"({"pids.max":" max\n"})", "pids-limit", "unlimited", "32768"},
      {R"({"pids.max":"0x100000"})", "pids-limit", "not a plain decimal", nullptr},
      {R"({"memory.max":"max"})", "memory-limit", "[\"memory.max\"] is unlimited", host_memory.c_str()},
      {R"({"memory.max":"64G"})", "memory-limit", "not a plain decimal", nullptr},
      {R"({"memory.max":"68719476736"})", "memory-limit", "above the policy maximum", host_memory.c_str()},
      {R"({"memory.high":"max"})", "memory-limit", "[\"memory.high\"] is unlimited", host_memory.c_str()},
      {R"({"memory.swap.max":"max"})", "memory-limit", "swap beyond the memory limit", "0"},
      {R"({"memory.swap.max":"1G"})", "memory-limit", "swap beyond the memory limit", nullptr},
      {R"({"cpu.max":"max 100000"})", "cpu-limit", "[\"cpu.max\"] is unlimited", "400000 100000"},
      {R"({"cpu.max":"max"})", "cpu-limit", "unlimited", "400000 100000"},
      {R"({"cpu.max":"1000000 100000"})", "cpu-limit", "quota 1000000", "400000 100000"},
      {R"({"cpu.max":"400000 1000"})", "cpu-limit", "per period 1000", "4000 1000"},
      {R"({"cpu.max":"max 1e5"})", "cpu-limit", "the period is not a plain decimal", nullptr},
      {R"({"cpu.max.burst":"1000000"})", "cpu-limit", "CPU time beyond the quota", "0"},
      {R"({"../pids.max":"max"})", "cgroups-path", "contains \"/\"", nullptr},
      {R"({"..":"max"})", "cgroups-path", "contains \"..\"", nullptr},
  };
  for (const Case& c : cases) {
    INFO(c.unified);
    Decision refused = create(c.unified, AboveMax::kRefuse);
    INFO("refuse: " << describe(refused));
    CHECK(refused_by(refused, c.rule, c.says));
    Decision clamped = create(c.unified, AboveMax::kClamp);
    INFO("clamp: " << describe(clamped));
    if (c.clamped == nullptr) {
      CHECK(refused_by(clamped, c.rule, c.says));
      continue;
    }
    CHECK_FALSE(clamped.refused());
    auto u = parse_json(c.unified);
    REQUIRE(u.ok());
    const std::string key = u->members().front().first;
    const Json* entry = field_at(clamped.spec, "linux.resources.unified");
    REQUIRE(entry != nullptr);
    entry = entry->get_exact(key);
    REQUIRE(entry != nullptr);
    CHECK(entry->text() == c.clamped);
    bool recorded = false;
    for (const Change& ch : clamped.changes) recorded |= ch.rule == c.rule && ch.path == "linux.resources.unified[\"" + key + "\"]";
    CHECK(recorded);
  }
}

TEST_CASE("bypass: unified spelled as Go's decoder reads it (case-folded struct field)", "[bypass][unified]") {
  for (const char* spelled : {"Unified", "UNIFIED", "uNiFiEd"}) {
    INFO(spelled);
    Decision d = create(R"({"pids.max":"max"})", AboveMax::kRefuse, "{}", spelled);
    INFO(describe(d));
    CHECK(refused_by(d, "pids-limit", "pids.max"));
  }
}

TEST_CASE("bypass: the adversary's whole unified map, beside typed limits within the policy", "[bypass][unified]") {
  const char* map = R"({"pids.max":"max","memory.max":"max","cpu.max":"max 100000","memory.swap.max":"max"})";
  const char* typed = R"({"pids":{"limit":100},"memory":{"limit":1048576},"cpu":{"quota":100000,"period":100000}})";
  // Clamped: every entry within the maxima, whichever of typed and unified the runtime writes last.
  Decision c = create(map, AboveMax::kClamp, typed);
  INFO(describe(c));
  CHECK_FALSE(c.refused());
  const Json* u = field_at(c.spec, "linux.resources.unified");
  REQUIRE(u != nullptr);
  CHECK(u->get_exact("pids.max")->text() == "32768");
  CHECK(u->get_exact("memory.max")->text() == std::to_string(FakeHost().memory_bytes()));
  CHECK(u->get_exact("cpu.max")->text() == "400000 100000");
  CHECK(u->get_exact("memory.swap.max")->text() == "0");
  Decision d = create(map,
                      AboveMax::kRefuse,
                      typed);
  INFO(describe(d));
  CHECK(refused_by(d, "pids-limit", "pids.max"));
  CHECK(refused_by(d, "memory-limit", "memory.max"));
  CHECK(refused_by(d, "memory-limit", "memory.swap.max"));
  CHECK(refused_by(d, "cpu-limit", "cpu.max"));
}

TEST_CASE("bypass: unified entries within the policy, and other controllers', pass", "[bypass][unified]") {
  Decision d = create(R"({"pids.max":"1024","memory.max":"1073741824","memory.swap.max":"0",)"
                      R"("cpu.max":"200000 100000","memory.high":"1073741824","memory.low":"max","memory.min":"max",)"
                      R"("io.weight":"default 100","cpu.weight":"10000"})");
  INFO(describe(d));
  CHECK_FALSE(d.refused());
  // Quota alone, judged at the spec's typed period: 4 CPUs at 10000 is 40000.
  CHECK(create(R"({"cpu.max":"50000"})", AboveMax::kRefuse, R"({"cpu":{"period":10000}})").refused());
  Decision clamped = create(R"({"cpu.max":"50000"})", AboveMax::kClamp, R"({"cpu":{"period":10000}})");
  CHECK(field_at(clamped.spec, "linux.resources.unified")->get_exact("cpu.max")->text() == "40000 10000");
  CHECK_FALSE(create(R"({"cpu.max":"40000"})", AboveMax::kClamp, R"({"cpu":{"period":10000}})").refused());
}

TEST_CASE("bypass: update -r with a unified map lifting the limits is refused or clamped", "[bypass][unified]") {
  const char* lifting = R"({"unified":{"pids.max":"max","memory.max":"max","memory.swap.max":"max",)"
                        R"("memory.high":"max","cpu.max":"max 100000"}})";
  {
    OperationDecision d = update(lifting, AboveMax::kRefuse);
    CHECK(update_refused(d, "unified[\"pids.max\"] is unlimited"));
    CHECK(update_refused(d, "unified[\"memory.max\"] is unlimited"));
    CHECK(update_refused(d, "unified[\"memory.high\"] is unlimited"));
    CHECK(update_refused(d, "unified[\"memory.swap.max\"]"));
    CHECK(update_refused(d, "unified[\"cpu.max\"] is unlimited"));
  }
  {
    // Clamped in the -r object the runtime reads, each rewrite recorded.
    OperationDecision d = update(lifting, AboveMax::kClamp);
    CHECK_FALSE(d.refused());
    const Json* u = field(&d.resources, "unified");
    REQUIRE(u != nullptr);
    const std::string host_memory = std::to_string(FakeHost().memory_bytes());
    CHECK(u->get_exact("pids.max")->text() == "32768");
    CHECK(u->get_exact("memory.max")->text() == host_memory);
    CHECK(u->get_exact("memory.high")->text() == host_memory);
    CHECK(u->get_exact("memory.swap.max")->text() == "0");
    CHECK(u->get_exact("cpu.max")->text() == "400000 100000");
    CHECK(d.changes.size() == 5);
  }
  for (AboveMax above : {AboveMax::kClamp, AboveMax::kRefuse}) {
    OperationDecision d = update(R"({"unified":{"../x":"1","pids.max":"0x100","cpu.max":"max"}})", above);
    CHECK(update_refused(d, "unified[\"../x\"] contains \"/\""));
    CHECK(update_refused(d, "unified[\"pids.max\"] is \"0x100\" is not a plain decimal"));
    CHECK(update_refused(d, "names no period"));  // no period and the container's unknown: not clampable
  }
  // Quota alone: at the typed period of the same object, else the container's, else refused.
  CHECK(update_refused(update(R"({"unified":{"cpu.max":"1000"}})"), "names no period"));
  CHECK_FALSE(update(R"({"unified":{"cpu.max":"1000"}})", AboveMax::kClamp, Host::CpuBandwidth{1000, 100000}).refused());
  CHECK(update(R"({"unified":{"cpu.max":"50000"}})", AboveMax::kRefuse, Host::CpuBandwidth{1000, 10000}).refused());
  {
    // Clamped at the container's period, which the clamped entry then names.
    OperationDecision d = update(R"({"unified":{"cpu.max":"50000"}})", AboveMax::kClamp, Host::CpuBandwidth{1000, 10000});
    CHECK_FALSE(d.refused());
    CHECK(field(&d.resources, "unified")->get_exact("cpu.max")->text() == "40000 10000");
  }
  CHECK_FALSE(update(R"({"cpu":{"period":100000},"unified":{"cpu.max":"400000"}})").refused());
  CHECK_FALSE(update(R"({"unified":{"pids.max":"100","memory.high":"max"}})").refused());
}

TEST_CASE("bypass: update -r with a key twice: runc applies the last, so it is refused (the fuzzer's find)", "[bypass][unified]") {
  // The clamp rewrote the first "memory.max"; runc's decoder keeps the last ("max").
  for (AboveMax above : {AboveMax::kClamp, AboveMax::kRefuse}) {
    OperationDecision d = update(R"({"unified":{"memory.max":"max","memory.max":"max"}})", above);
    CHECK(update_refused(d, "duplicate key"));
    CHECK(d.changes.empty());
    // Typed fields too, in any case (runc matches struct fields ignoring case).
    CHECK(update_refused(update(R"({"pids":{"limit":100},"Pids":{"limit":0}})", above), "duplicate key"));
    CHECK(update_refused(update(R"({"memory":{"limit":1024,"limit":-1}})", above), "duplicate key"));
  }
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
