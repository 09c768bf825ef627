// Seccomp profile checks: unknown names (everywhere: error; on some arches: note), duplicates
// and conflicts, an empty syscalls list, malformed input, and the shipped profiles clean.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/bounded_read.hh"
#include "shim/core/json.hh"
#include "shim/core/policy.hh"
#include "shim/core/seccomp_check.hh"

namespace oci_harden {
namespace {

ProfileCheck check_one(const std::string& text) {
  auto doc = parse_json(text);
  REQUIRE(doc);
  auto checks = check_seccomp_json(*doc);
  REQUIRE(checks);
  REQUIRE(checks->size() == 1);
  return checks->front();
}

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const auto& l : lines)
    if (l.find(what) != std::string::npos) return true;
  return false;
}

const char* const kArches = R"("architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"])";

std::string profile(const std::string& syscalls) {
  return std::string(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, )") + kArches +
         R"(, "syscalls": )" + syscalls + "}";
}

}  // namespace

TEST_CASE("seccomp_check: a clean profile has sizes for every arch", "[seccomp_check]") {
  ProfileCheck pc = check_one(profile(R"([{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}])"));
  CHECK(pc.errors.empty());
  CHECK(pc.names == 2);
  REQUIRE(pc.sizes.size() == 2);
  CHECK(pc.sizes[0].arch == "SCMP_ARCH_X86_64");
  CHECK(pc.sizes[1].arch == "SCMP_ARCH_AARCH64");
  for (const ArchSize& s : pc.sizes) CHECK(s.instructions > 2);
}

TEST_CASE("seccomp_check: unknown names", "[seccomp_check]") {
  SECTION("unknown on every arch is an error") {
    ProfileCheck pc = check_one(profile(R"([{"names": ["read", "no_such_call"], "action": "SCMP_ACT_ALLOW"}])"));
    CHECK(mentions(pc.errors, "\"no_such_call\""));
    CHECK(pc.sizes.size() == 2);  // still compiled, as runc would skip the name
  }
  SECTION("absent on some arches only is a note") {
    // open(2) does not exist on aarch64.
    ProfileCheck pc = check_one(profile(R"([{"names": ["open"], "action": "SCMP_ACT_ALLOW"}])"));
    CHECK(pc.errors.empty());
    CHECK(mentions(pc.notes, "SCMP_ARCH_AARCH64 has no syscall (runc skips it): open"));
    CHECK_FALSE(mentions(pc.notes, "SCMP_ARCH_X86_64"));
  }
}

TEST_CASE("seccomp_check: duplicates and conflicts", "[seccomp_check]") {
  SECTION("the same name twice for one action") {
    ProfileCheck pc = check_one(profile(R"([{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                                           {"names": ["write"], "action": "SCMP_ACT_ALLOW"}])"));
    CHECK(mentions(pc.errors, "duplicate: \"write\""));
    CHECK_FALSE(mentions(pc.errors, "\"read\""));
  }
  SECTION("different conditions are not duplicates") {
    ProfileCheck pc = check_one(profile(R"([
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}])"));
    CHECK(pc.errors.empty());
  }
  SECTION("two actions for one syscall") {
    ProfileCheck pc = check_one(profile(R"([{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                                           {"names": ["read"], "action": "SCMP_ACT_KILL"}])"));
    CHECK(mentions(pc.errors, "conflict: \"read\""));
  }
  SECTION("two conditions on one argument are ORed by runc") {
    ProfileCheck pc = check_one(profile(R"([{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
      {"index": 0, "value": 40, "op": "SCMP_CMP_NE"}, {"index": 0, "value": 38, "op": "SCMP_CMP_NE"}]}])"));
    CHECK(mentions(pc.errors, "ORed"));
  }
}

TEST_CASE("seccomp_check: an empty syscalls list", "[seccomp_check]") {
  ProfileCheck pc = check_one(profile("[]"));
  CHECK(pc.errors.empty());
  CHECK(pc.names == 0);
  CHECK(mentions(pc.notes, "no syscalls"));
  CHECK(pc.sizes.size() == 2);
}

TEST_CASE("seccomp_check: malformed entries are errors, non-profiles are input errors", "[seccomp_check]") {
  ProfileCheck pc = check_one(profile(R"([{"names": ["read"], "action": "SCMP_ACT_MAYBE"},
                                         {"names": [], "action": "SCMP_ACT_ALLOW"}])"));
  CHECK(mentions(pc.errors, "syscalls[0]: unknown action SCMP_ACT_MAYBE"));
  CHECK(mentions(pc.errors, "syscalls[1]: \"names\" must be a non-empty array"));
  for (const char* text : {"[]", R"({"syscalls": []})", R"({"defaultAction": "SCMP_ACT_NOPE"})",
                           R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}})"}) {
    auto doc = parse_json(text);
    REQUIRE(doc);
    auto checks = check_seccomp_json(*doc);
    CHECK_FALSE(checks);
  }
}

TEST_CASE("seccomp_check: the shipped profiles are clean", "[seccomp_check]") {
  for (const char* file : {"profiles/seccomp-default.json", "profiles/seccomp-strict.json",
                           "profiles/seccomp-capability-groups.json"}) {
    INFO(file);
    auto text = read_file_bounded(file, kMaxCheckedProfileBytes);
    REQUIRE(text);
    auto doc = parse_json(*text);
    REQUIRE(doc);
    auto checks = check_seccomp_json(*doc);
    REQUIRE(checks);
    CHECK_FALSE(checks->empty());
    for (const ProfileCheck& pc : *checks) {
      INFO(pc.label << ": " << (pc.errors.empty() ? "" : pc.errors.front()));
      CHECK(pc.errors.empty());
      CHECK(pc.sizes.size() == 5);
      for (const ArchSize& s : pc.sizes) CHECK(s.instructions > 0);
    }
  }
}

}  // namespace oci_harden
