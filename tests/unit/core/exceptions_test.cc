// Exceptions with an owner and an end: an opt-out's -reason, -owner and -until annotations,
// judged against opt_out_requires and a fixed clock; what the audit record carries.

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/harden.hh"
#include "shim/core/spec.hh"
#include "shim/host/audit.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

constexpr int64_t kEndOf20270131 = 1801439999;  // 2027-01-31T23:59:59Z
const char* const kOptOut = "org.oci-harden.opt-out";

std::string data_file(const std::string& name) {
  std::string here = __FILE__;
  std::string path = here.substr(0, here.rfind('/') + 1) + "../data/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Json spec_with(const std::vector<std::pair<std::string, std::string>>& annotations) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  field(&spec, "root")->set("readonly", Json::boolean(false));
  Json& ann = ensure_object(spec, "annotations");
  for (const auto& [k, v] : annotations) ann.set_exact(k, Json::string(v));
  return spec;
}

Policy test_policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  return out;
}

Decision decide(Json spec, const Policy& policy, std::optional<int64_t> now) {
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  Invocation inv{"create", "c1", "/bundles/c1"};
  inv.now = now;
  return harden_spec(std::move(spec), policy, host, inv);
}

bool granted(const Decision& d, const std::string& id) {
  return std::find(d.opt_outs.granted.begin(), d.opt_outs.granted.end(), id) != d.opt_outs.granted.end();
}

bool readonly_root(const Decision& d) {
  const Json* ro = field_at(d.spec, "root.readonly");
  return ro != nullptr && ro->is_bool() && ro->as_bool();
}

TEST_CASE("exceptions: a date still holds on its last second and ends the second after", "[exceptions]") {
  Policy policy = test_policy();
  Json spec = spec_with({{kOptOut, "readonly-rootfs"},
                         {"org.oci-harden.opt-out-until", "2027-01-31"},
                         {"org.oci-harden.opt-out-reason", "legacy app writes /opt"},
                         {"org.oci-harden.opt-out-owner", "team-a@example.com"}});
  SECTION("the morning of the day") {
    Decision d = decide(spec, policy, kEndOf20270131 - 12 * 3600);
    CHECK_FALSE(d.refused());
    CHECK(granted(d, "readonly-rootfs"));
    CHECK_FALSE(readonly_root(d));
  }
  SECTION("23:59:59Z") {
    Decision d = decide(spec, policy, kEndOf20270131);
    CHECK_FALSE(d.refused());
    CHECK(granted(d, "readonly-rootfs"));
    CHECK(d.opt_outs.until_end == kEndOf20270131);
    CHECK(d.opt_outs.reason == "legacy app writes /opt");
    CHECK(d.opt_outs.owner == "team-a@example.com");
  }
  SECTION("the second after: refused, saying when, and the rule runs again") {
    Decision d = decide(spec, policy, kEndOf20270131 + 1);
    REQUIRE(d.refused());
    CHECK(d.refusals[0].rule == "opt-out");
    CHECK_THAT(d.refusals[0].reason, Contains("annotations[\"org.oci-harden.opt-out-until\"]"));
    CHECK_THAT(d.refusals[0].reason, Contains("expired at 2027-01-31T23:59:59Z"));
    CHECK_THAT(d.refusals[0].reason, Contains("team-a@example.com"));
    CHECK_FALSE(granted(d, "readonly-rootfs"));
    CHECK(readonly_root(d));
  }
}

TEST_CASE("exceptions: a date-time with an offset ends at that instant", "[exceptions]") {
  Policy policy = test_policy();
  Json spec = spec_with({{kOptOut, "readonly-rootfs"},
                         {"org.oci-harden.opt-out-until", "2027-02-01T01:59:59+02:00"}});
  CHECK_FALSE(decide(spec, policy, kEndOf20270131).refused());
  CHECK(decide(spec, policy, kEndOf20270131 + 1).refused());
}

TEST_CASE("exceptions: a malformed date refuses, naming the field and why", "[exceptions]") {
  Policy policy = test_policy();
  for (const char* bad : {"2027-02-30", "31.01.2027", "2027-01-31T12:00:00", "tomorrow"}) {
    INFO(bad);
    Decision d = decide(spec_with({{kOptOut, "readonly-rootfs"}, {"org.oci-harden.opt-out-until", bad}}),
                        policy, kEndOf20270131 - 86400 * 30);
    REQUIRE(d.refused());
    CHECK(d.refusals[0].rule == "opt-out");
    CHECK_THAT(d.refusals[0].reason, Contains("org.oci-harden.opt-out-until"));
    CHECK_THAT(d.refusals[0].reason, Contains("not an RFC 3339 date"));
    CHECK_FALSE(granted(d, "readonly-rootfs"));
  }
}

TEST_CASE("exceptions: details without an opt-out except nothing and refuse nothing", "[exceptions]") {
  Policy policy = test_policy();
  Decision d = decide(spec_with({{"org.oci-harden.opt-out-until", "garbage"}}), policy, kEndOf20270131);
  CHECK_FALSE(d.refused());
  CHECK(d.opt_outs.until.empty());
}

TEST_CASE("exceptions: no clock, an end date cannot be judged: refused", "[exceptions]") {
  Policy policy = test_policy();
  Decision d = decide(spec_with({{kOptOut, "readonly-rootfs"}, {"org.oci-harden.opt-out-until", "2099-01-01"}}),
                      policy, std::nullopt);
  REQUIRE(d.refused());
  CHECK_THAT(d.refusals[0].reason, Contains("no clock"));
}

TEST_CASE("exceptions: opt_out_requires names each missing annotation", "[exceptions]") {
  Policy policy = test_policy();
  policy.opt_out_requires = {"reason", "until", "owner"};
  SECTION("none given") {
    Decision d = decide(spec_with({{kOptOut, "readonly-rootfs"}}), policy, kEndOf20270131);
    REQUIRE(d.refusals.size() == 3);
    CHECK_THAT(d.refusals[0].reason, Contains("org.oci-harden.opt-out-reason\"] is missing"));
    CHECK_THAT(d.refusals[1].reason, Contains("org.oci-harden.opt-out-until\"] is missing"));
    CHECK_THAT(d.refusals[2].reason, Contains("org.oci-harden.opt-out-owner\"] is missing"));
    CHECK_THAT(d.refusals[0].reason, Contains("opt_out_requires"));
    CHECK_FALSE(granted(d, "readonly-rootfs"));
  }
  SECTION("an empty value counts as missing") {
    Decision d = decide(spec_with({{kOptOut, "readonly-rootfs"},
                                   {"org.oci-harden.opt-out-reason", ""},
                                   {"org.oci-harden.opt-out-owner", "ops"},
                                   {"org.oci-harden.opt-out-until", "2027-01-31"}}),
                        policy, kEndOf20270131);
    REQUIRE(d.refusals.size() == 1);
    CHECK_THAT(d.refusals[0].reason, Contains("opt-out-reason"));
  }
  SECTION("all given") {
    Decision d = decide(spec_with({{kOptOut, "readonly-rootfs"},
                                   {"org.oci-harden.opt-out-reason", "why"},
                                   {"org.oci-harden.opt-out-owner", "ops"},
                                   {"org.oci-harden.opt-out-until", "2027-01-31"}}),
                        policy, kEndOf20270131);
    CHECK_FALSE(d.refused());
    CHECK(granted(d, "readonly-rootfs"));
  }
}

TEST_CASE("exceptions: an expired one is refused even where denied opt-outs are ignored", "[exceptions]") {
  Policy policy = test_policy();
  policy.opt_out_denied = OptOutDenied::kIgnore;
  Decision d = decide(spec_with({{kOptOut, "readonly-rootfs"}, {"org.oci-harden.opt-out-until", "2027-01-31"}}),
                      policy, kEndOf20270131 + 1);
  REQUIRE(d.refusals.size() == 1);
  CHECK_THAT(d.refusals[0].reason, Contains("expired"));
}

TEST_CASE("exceptions: the key follows a renamed opt_out_annotation", "[exceptions]") {
  Policy policy = test_policy();
  policy.opt_out_annotation = "example.com/skip";
  Decision d = decide(spec_with({{"example.com/skip", "readonly-rootfs"},
                                 {"example.com/skip-until", "2027-01-31"}}),
                      policy, kEndOf20270131 + 1);
  REQUIRE(d.refused());
  CHECK_THAT(d.refusals[0].reason, Contains("example.com/skip-until"));
}

TEST_CASE("exceptions: the audit record carries owner, reason, until and the end", "[exceptions]") {
  Policy policy = test_policy();
  Decision d = decide(spec_with({{kOptOut, "readonly-rootfs"},
                                 {"org.oci-harden.opt-out-until", "2027-01-31"},
                                 {"org.oci-harden.opt-out-reason", "legacy"},
                                 {"org.oci-harden.opt-out-owner", "team-a"}}),
                      policy, kEndOf20270131);
  AuditEvent e;
  e.event = "create";
  e.decision = "applied";
  e.policy = &policy;
  e.opt_outs = &d.opt_outs;
  auto rec = parse_json(audit_record(e, 0));
  REQUIRE(rec.ok());
  const Json* opt = rec->get_exact("opt_outs");
  REQUIRE(opt != nullptr);
  CHECK(opt->get_exact("owner")->text() == "team-a");
  CHECK(opt->get_exact("reason")->text() == "legacy");
  CHECK(opt->get_exact("until")->text() == "2027-01-31");
  CHECK(opt->get_exact("expires")->text() == "2027-01-31T23:59:59Z");
}

TEST_CASE("exceptions: policy opt_out_requires takes only owner, reason, until", "[exceptions]") {
  auto ok = parse_policy(R"({"opt_out_requires": ["reason", "until", "owner"]})", "");
  REQUIRE(ok.ok());
  CHECK(ok->opt_out_requires.size() == 3);
  auto bad = parse_policy(R"({"opt_out_requires": ["ticket"]})", "");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Contains("opt_out_requires: \"ticket\""));
}

}  // namespace
}  // namespace oci_harden
