// The seccomp rule installs the policy's profile with only the architectures this host's kernel
// runs: x32 (a third of the default profile's compilation in runc and crun) only where the kernel
// runs x32 system calls (Host::runs_x32_syscalls).

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "shim/core/seccomp_effect.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

using namespace oci_harden;
using namespace oci_harden::rule_test;

namespace {

std::vector<std::string> installed_architectures(const FakeHost& host) {
  RuleRun run = run_rule(rule_seccomp, "seccomp",
                         parse(R"({"ociVersion":"1.0.2","process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{}})"),
                         builtin(), host);
  std::vector<std::string> out;
  const Json* arches = field_at(run.spec, "linux.seccomp.architectures");
  REQUIRE(arches != nullptr);
  for (const Json& a : arches->items()) out.push_back(a.text());
  return out;
}

bool has(const std::vector<std::string>& v, const char* s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("kernel_seccomp_architectures leaves x32 out only where the kernel does not run it", "[seccomp_arch]") {
  std::vector<std::string> with = kernel_seccomp_architectures(true);
  CHECK(with == host_seccomp_architectures());
  std::vector<std::string> without = kernel_seccomp_architectures(false);
  CHECK_FALSE(has(without, "SCMP_ARCH_X32"));
  for (const std::string& a : with)
    if (a != "SCMP_ARCH_X32") CHECK(has(without, a.c_str()));
}

#if defined(__x86_64__)
TEST_CASE("the installed default profile has an x32 section only on a kernel that runs x32", "[seccomp_arch]") {
  FakeHost host;
  host.x32 = true;
  std::vector<std::string> with = installed_architectures(host);
  CHECK(has(with, "SCMP_ARCH_X86_64"));
  CHECK(has(with, "SCMP_ARCH_X86"));
  CHECK(has(with, "SCMP_ARCH_X32"));
  CHECK_FALSE(has(with, "SCMP_ARCH_AARCH64"));

  host.x32 = false;
  std::vector<std::string> without = installed_architectures(host);
  CHECK(has(without, "SCMP_ARCH_X86_64"));
  CHECK(has(without, "SCMP_ARCH_X86"));
  CHECK_FALSE(has(without, "SCMP_ARCH_X32"));
}
#endif
