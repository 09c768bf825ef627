// Rule "exec": an exec asking for every capability the engine holds is --privileged, also where
// the engine's own bounding set lacks some capability the kernel knows (Podman 4.3's
// `exec --privileged` on a host whose root lacks CAP_SYS_RESOURCE), on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/operation_rules.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

// Capabilities 0..last, except `missing`, as a JSON array of names.
std::string caps_json(int last, std::set<int> missing) {
  std::string out = "[";
  for (int n = 0; n <= last; ++n) {
    if (missing.count(n) != 0) continue;
    if (out.size() > 1) out += ",";
    out += "\"" + capability_name(n) + "\"";
  }
  return out + "]";
}

Json process_with(const std::string& caps) {
  auto p = parse_process(R"({"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},"capabilities":{"bounding":)" +
                         caps + R"(,"effective":)" + caps + R"(,"permitted":)" + caps + "}}");
  REQUIRE(p.ok());
  return std::move(*p);
}

// What Podman wrote for an ordinary container: its default capabilities.
const char* const kContainer =
    R"({"process":{"user":{"uid":0,"gid":0},"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL","CAP_SETUID","CAP_SETGID"]}}})";

OperationDecision judge(const Json& process, const FakeHost& host, const std::string& escalation) {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  policy->exec_escalation = escalation == "clamp" ? ExecEscalation::kClamp : ExecEscalation::kRefuse;
  auto spec = parse_spec(kContainer);
  REQUIRE(spec.ok());
  return harden_exec_process(process, *spec, *policy, host, {"runc", "exec", "c1"});
}

bool refused_as_privileged(const OperationDecision& d) {
  for (const Refusal& r : d.refusals) {
    if (r.reason.find("every capability") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("exec: every capability the engine holds is exec --privileged", "[exec]") {
  FakeHost host;
  host.last_cap = 40;
  SECTION("the engine holds every capability: 0..40 is refused") {
    CHECK(refused_as_privileged(judge(process_with(caps_json(40, {})), host, "refuse")));
  }
  SECTION("the engine lacks CAP_SYS_RESOURCE: what Podman sends, 0..40 without 24, is refused") {
    host.not_in_own_bounding = {24};
    CHECK(refused_as_privileged(judge(process_with(caps_json(40, {24})), host, "refuse")));
  }
  SECTION("missing one capability the engine does hold: not every capability") {
    host.not_in_own_bounding = {24};
    CHECK_FALSE(refused_as_privileged(judge(process_with(caps_json(40, {24, 12})), host, "refuse")));
  }
  SECTION("an engine without CAP_SYS_ADMIN: an ordinary exec is not --privileged") {
    for (int n = 0; n <= 40; ++n) {
      if (n != 0 && n != 5) host.not_in_own_bounding.insert(n);
    }
    CHECK_FALSE(refused_as_privileged(
        judge(process_with(R"(["CAP_CHOWN","CAP_KILL"])"), host, "refuse")));
  }
  SECTION("cap_last_cap unreadable: an ordinary exec is not --privileged") {
    host.last_cap = -1;
    CHECK_FALSE(refused_as_privileged(
        judge(process_with(R"(["CAP_CHOWN","CAP_KILL"])"), host, "refuse")));
  }
  SECTION("clamp: the exec goes on with the container's capabilities only") {
    host.not_in_own_bounding = {24};
    OperationDecision d = judge(process_with(caps_json(40, {24})), host, "clamp");
    CHECK_FALSE(d.refused());
    auto kept = string_items(field_at(d.process, "capabilities.bounding"));
    CHECK(kept == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL", "CAP_SETGID", "CAP_SETUID"});
  }
}

}  // namespace oci_harden
