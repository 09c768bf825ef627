// Rule "exec", flag form: --user and --additional-gids judged as runc reads them (strconv.Atoi
// and strconv.ParseInt base 0, then a cast to uint32), so that no spelling of uid or gid 0
// reaches a container that does not run as root, and no spelling throws; on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/operation_rules.hh"
#include "shim/core/policy.hh"
#include "shim/core/runc_args.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

// A container whose process runs as 1000:1000.
const char* const kContainer =
    R"({"process":{"user":{"uid":1000,"gid":1000},"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"]}}})";

OperationDecision judge(std::vector<std::string> flags, bool clamp = false) {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  policy->exec_escalation = clamp ? ExecEscalation::kClamp : ExecEscalation::kRefuse;
  auto spec = parse_spec(kContainer);
  REQUIRE(spec.ok());
  std::vector<std::string> argv = {"runc", "exec"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"c1", "sh"});
  auto args = parse_runc_args(argv);
  REQUIRE(args.ok());
  FakeHost host;
  return harden_exec_flags(*args, *spec, *policy, host);
}

std::string reasons(const OperationDecision& d) {
  std::string out;
  for (const Refusal& r : d.refusals) out += (out.empty() ? "" : "; ") + r.reason;
  return out;
}

}  // namespace

TEST_CASE("exec --user: uid and gid as runc stores them", "[exec]") {
  SECTION("the container's own user, and a uid that wraps to it, pass") {
    CHECK_FALSE(judge({"--user", "1000:1000"}).refused());
    CHECK_FALSE(judge({"--user", "4294968296"}).refused());  // 2^32 + 1000: uid 1000 to runc
  }
  SECTION("uid 0 in every spelling runc reads as 0 is refused") {
    for (const char* u : {"0", "00", "0:1000", "4294967296", "4294967296:1000", "8589934592"}) {
      INFO(u);
      OperationDecision d = judge({"--user", u});
      REQUIRE(d.refused());
      CHECK(reasons(d).find("the exec asks for --user") != std::string::npos);
    }
  }
  SECTION("gid 0, also as 2^32") {
    CHECK(judge({"--user", "1000:0"}).refused());
    CHECK(judge({"--user=1000:4294967296"}).refused());
  }
  SECTION("beyond int64, signs, empty parts: refused as not judged, never thrown") {
    for (const char* u : {"9223372036854775808", "99999999999999999999999", "-1", "+0", "1000:",
                          ":1000", "", "root", "0x0", "1000:1000:0",
                          "0888888888888888888888888888888888888888888888:0"}) {
      INFO(u);
      OperationDecision d = judge({"--user", u});
      REQUIRE(d.refused());
      CHECK(reasons(d).find("is not a numeric uid[:gid]") != std::string::npos);
    }
  }
  SECTION("clamp: a wrapped uid 0 is rewritten to the container's user") {
    OperationDecision d = judge({"--user", "4294967296"}, true);
    REQUIRE_FALSE(d.refused());
    CHECK(d.argv == std::vector<std::string>{"runc", "exec", "--user", "1000:1000", "c1", "sh"});
  }
}

TEST_CASE("exec --additional-gids: gid 0 in any spelling", "[exec]") {
  CHECK_FALSE(judge({"--additional-gids", "5"}).refused());
  CHECK_FALSE(judge({"--additional-gids", "4294967301"}).refused());  // gid 5 to runc
  SECTION("0 and 2^32 are gid 0: refused as an escalation") {
    for (const char* g : {"0", "4294967296"}) {
      INFO(g);
      OperationDecision d = judge({"--additional-gids", g});
      REQUIRE(d.refused());
      CHECK(reasons(d).find("supplementary gid 0") != std::string::npos);
    }
  }
  SECTION("spellings base 0 reads (octal, hex, binary, signs, underscores): refused, not guessed") {
    for (const char* g : {"00", "010", "0x0", "0o0", "0b0", "+0", "-0", "0_0", "", "9223372036854775808"}) {
      INFO(g);
      OperationDecision d = judge({"--additional-gids", g});
      REQUIRE(d.refused());
      CHECK(reasons(d).find("is not a plain decimal gid") != std::string::npos);
    }
  }
  SECTION("clamp drops a gid-0 flag") {
    OperationDecision d = judge({"--additional-gids", "4294967296"}, true);
    REQUIRE_FALSE(d.refused());
    CHECK(d.argv == std::vector<std::string>{"runc", "exec", "c1", "sh"});
  }
}

}  // namespace oci_harden
