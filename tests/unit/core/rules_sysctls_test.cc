// Rule "sysctls": names in the safe list pass under either separator; others, and names that
// are not well formed, are refused, on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";

using Reasons = std::vector<std::string>;

std::string spec_text(const std::string& sysctl) {
  return R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
             "linux": {"sysctl": )" + sysctl + "}}";
}

using rule_test::parse;

Policy policy() { return rule_test::builtin(); }

Reasons run(const std::string& text) {
  return rule_test::judge(rule_sysctls, "sysctls", text, policy(), FakeHost(), Invocation{"create", "c1", kBundle});
}

Reasons run_one(const std::string& name) {
  return run(spec_text(R"({")" + name + R"(": "1"})"));
}

}  // namespace

TEST_CASE("sysctls: safe names are unchanged", "[sysctls]") {
  SECTION("Docker's defaults") {
    REQUIRE(run(spec_text(R"({"net.ipv4.ip_unprivileged_port_start": "0",
                              "net.ipv4.ping_group_range": "0 2147483647"})"))
                .empty());
  }
  SECTION("none at all") {
    REQUIRE(run(spec_text("{}")).empty());
    REQUIRE(run(spec_text("null")).empty());
  }
  SECTION("slash separators reach the same file") {
    REQUIRE(run_one("kernel/shm_rmid_forced").empty());
    REQUIRE(run_one("net/ipv4.tcp_syncookies").empty());
  }
  SECTION("a prefix entry") {
    REQUIRE(run_one("net.ipv4.tcp_keepalive_time").empty());
    REQUIRE(run_one("net/ipv4/tcp_keepalive_intvl").empty());
  }
}

TEST_CASE("sysctls: other names are refused", "[sysctls]") {
  SECTION("--sysctl kernel.core_pattern") {
    REQUIRE(run_one("kernel.core_pattern") ==
            Reasons{"sysctl kernel.core_pattern (linux.sysctl) is not in the policy's "
                    "allowed_sysctls"});
  }
  SECTION("the same with slashes") {
    REQUIRE(run_one("kernel/core_pattern") ==
            Reasons{"sysctl kernel/core_pattern (read as kernel.core_pattern) (linux.sysctl) is "
                    "not in the policy's allowed_sysctls"});
  }
  SECTION("names are exact: case, and an exact entry is no prefix") {
    REQUIRE(run_one("Kernel.shm_rmid_forced").size() == 1);
    REQUIRE(run_one("net.ipv4.tcp_syncookies_x").size() == 1);
    REQUIRE(run_one("net.ipv4").size() == 1);
  }
  SECTION("every entry is judged") {
    REQUIRE(run(spec_text(R"({"kernel.shm_rmid_forced": "1", "vm.overcommit_memory": "1",
                              "kernel.modprobe": "/x"})"))
                .size() == 2);
  }
}

TEST_CASE("sysctls: names that are not well formed are refused", "[sysctls]") {
  for (const char* name : {"", "/kernel/shm_rmid_forced", ".kernel.shm_rmid_forced",
                           "kernel.shm_rmid_forced/", "kernel//shm_rmid_forced",
                           "net.ipv4..tcp_syncookies",
                           "net/ipv4/tcp_keepalive_time/../../../kernel/core_pattern"}) {
    DYNAMIC_SECTION("name \"" << name << "\"") {
      REQUIRE(run_one(name) == Reasons{"sysctl \"" + std::string(name) +
                                       "\" (linux.sysctl) is not a well-formed name: it has an "
                                       "empty component"});
    }
  }
}

TEST_CASE("sysctls: refused through harden_spec", "[sysctls]") {
  FakeHost host;
  Policy p = policy();
  Decision d = harden_spec(parse(spec_text(R"({"kernel.shm_rmid_forced": "1",
                                               "kernel.core_pattern": "|/x"})")),
                           p, host, Invocation{"create", "c1", kBundle});
  Reasons reasons;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "sysctls") reasons.push_back(r.reason);
  }
  REQUIRE(reasons == Reasons{"sysctl kernel.core_pattern (linux.sysctl) is not in the policy's "
                             "allowed_sysctls"});
}

}  // namespace oci_harden
