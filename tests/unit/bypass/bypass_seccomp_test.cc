// Bypass corpus for seccomp by effect (issue 12, item 4): profiles handed in through
// `--security-opt seccomp=FILE` (or a whole spec) that look like a profile but let through what
// the policy's profile denies. Each goes through parse_spec and harden_spec as `oci-harden
// create` does, on Docker's captured config, and the hardened profile is then compiled with
// libseccomp and run in the interpreter: the escape call must be denied by what runc will load.
// runc's and crun's own behaviour with each is in tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>

#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/bpf_eval.hh"
#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/seccomp_check.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

std::string docker_config() { return test::repo_file("tests/golden/docker-captured/plain.json"); }

Json parsed(const std::string& text) {
  auto j = parse_json(text);
  REQUIRE(j);
  return std::move(*j);
}

Policy test_policy() { return bypass::policy(); }

// Docker's config with linux.seccomp changed by `edit`, hardened as oci-harden create does.
template <typename Edit>
Decision harden_with(Edit edit, const Policy& policy = test_policy()) {
  auto spec = parse_spec(docker_config());
  REQUIRE(spec);
  edit(*field_at(*spec, "linux.seccomp"));
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  return harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", "/bundles/c1"});
}

void add_rule(Json& profile, const std::string& rule) { field(&profile, "syscalls")->push_back(parsed(rule)); }

// What the hardened profile returns for one call, as runc will compile it.
uint32_t verdict(const Decision& d, uint32_t arch, int nr, uint64_t arg0) {
  auto again = parse_spec(to_json(d.spec));
  REQUIRE(again);
  const Json* profile = field_at(*again, "linux.seccomp");
  REQUIRE(profile != nullptr);
  auto prog = compile_runc_filter(*profile);
  REQUIRE(prog);
  seccomp_data data{};
  data.arch = arch;
  data.nr = nr;
  data.args[0] = arg0;
  auto r = bpf_run(*prog, data);
  REQUIRE(r);
  return *r & SECCOMP_RET_ACTION_FULL;
}

constexpr int kUnshareX86_64 = 272, kCloneX86_64 = 56, kVm86I386 = 166, kKeyctlX86_64 = 250;

std::string open_calls(const Decision& d) {
  for (const Change& c : d.changes)
    if (c.rule == "seccomp" && c.before.get("open") != nullptr) return to_json(*c.before.get("open"));
  return "";
}

}  // namespace

TEST_CASE("bypass seccomp: defaultAction SCMP_ACT_ALLOW is replaced", "[bypass][seccomp_effect]") {
  Decision d = harden_with([](Json& p) { p = parsed(R"({"defaultAction": "SCMP_ACT_ALLOW"})"); });
  CHECK_FALSE(d.refused());
  // Listed against the closest accepted profile (Docker's: Podman's counts only in Podman's bundles).
  CHECK_THAT(open_calls(d), Contains("unshare(CLONE_NEWUSER) on x86_64"));
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass seccomp: Docker's profile with unshare added is replaced", "[bypass][seccomp_effect]") {
  Decision d = harden_with([](Json& p) { add_rule(p, R"({"names": ["unshare"], "action": "SCMP_ACT_ALLOW"})"); });
  std::string open = open_calls(d);
  CHECK_THAT(open, Contains("unshare(CLONE_NEWUSER) on x86_64, x86, x32"));
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass seccomp: clone with CLONE_NEWUSER allowed by an argument rule", "[bypass][seccomp_effect]") {
  // Only for one exact value (CLONE_NEWUSER|CLONE_FILES|SIGCHLD): found by following the filter's comparisons.
  Decision d = harden_with([](Json& p) {
    add_rule(p, R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 268436497, "op": "SCMP_CMP_EQ"}]})");
  });
  CHECK_THAT(open_calls(d), Contains("clone(CLONE_NEWUSER)"));
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kCloneX86_64, CLONE_NEWUSER | CLONE_FILES | 17) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass seccomp: calls opened only on the i386 compat ABI", "[bypass][seccomp_effect]") {
  // vm86 and vm86old exist only on i386: a check of x86_64 numbers never sees them.
  Decision d = harden_with([](Json& p) { add_rule(p, R"({"names": ["vm86", "vm86old"], "action": "SCMP_ACT_ALLOW"})"); });
  std::string open = open_calls(d);
  CHECK_THAT(open, Contains("vm86 on x86\""));
  CHECK(verdict(d, AUDIT_ARCH_I386, kVm86I386, 0) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass seccomp: a deny list whose names differ in case denies nothing", "[bypass][seccomp_effect]") {
  // libseccomp knows no "Unshare" or "KEYCTL": runc skips them, so this profile allows all.
  Decision d = harden_with([](Json& p) {
    p = parsed(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                   "syscalls": [{"names": ["Unshare", "KEYCTL", "Kexec_Load"], "action": "SCMP_ACT_ERRNO"}]})");
  });
  CHECK_THAT(open_calls(d), Contains("unshare(CLONE_NEWUSER) on x86_64"));
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kKeyctlX86_64, 0) == SECCOMP_RET_ERRNO);
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass seccomp: SCMP_ACT_NOTIFY hands decisions to a host process", "[bypass][seccomp_effect]") {
  auto notify = [](Json& p) {
    add_rule(p, R"({"names": ["mount", "unshare"], "action": "SCMP_ACT_NOTIFY"})");
    p.set("listenerPath", Json::string("/var/run/agent.sock"));
  };
  Decision refused = harden_with(notify);
  REQUIRE(refused.refusals.size() == 1);
  CHECK(refused.refusals[0].rule == "seccomp");
  CHECK_THAT(refused.refusals[0].reason, Contains("/var/run/agent.sock"));
  CHECK_THAT(refused.refusals[0].reason, Contains("seccomp.allowed_listeners"));

  // Named by the policy (through another spelling of the same path): the listener decides.
  Policy allowed = test_policy();
  allowed.seccomp_allowed_listeners = {"/run/agent.sock"};
  Decision kept = harden_with(notify, allowed);
  CHECK_FALSE(kept.refused());
  CHECK(*field_at(kept.spec, "linux.seccomp.listenerPath") == Json::string("/var/run/agent.sock"));

  // A NOTIFY default action without any listener is refused too.
  Decision none = harden_with([](Json& p) { p = parsed(R"({"defaultAction": "SCMP_ACT_NOTIFY"})"); });
  CHECK(none.refused());
}

TEST_CASE("bypass seccomp: seccomp.weaker refuse refuses instead", "[bypass][seccomp_effect]") {
  Policy refuse = test_policy();
  refuse.seccomp_weaker = SeccompWeaker::kRefuse;
  Decision d = harden_with([](Json& p) { p = parsed(R"({"defaultAction": "SCMP_ACT_LOG"})"); }, refuse);
  REQUIRE(d.refusals.size() == 1);
  CHECK_THAT(d.refusals[0].reason, Contains("linux.seccomp lets through"));
}

}  // namespace oci_harden

namespace oci_harden {

TEST_CASE("bypass seccomp: \"seccomp\": null is no profile", "[bypass][seccomp_effect]") {
  Decision d = harden_with([](Json& p) { p = Json(); });
  CHECK_FALSE(d.refused());
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ERRNO);
}

}  // namespace oci_harden

namespace oci_harden {

TEST_CASE("bypass seccomp: the opening value hidden behind many others", "[bypass][seccomp_effect]") {
  // 300 harmless exact values of clone's flags before the one that makes a user namespace: the
  // search tries the other branch of every comparison the filter makes, not a fixed few.
  Decision d = harden_with([](Json& p) {
    for (int i = 0; i < 300; ++i)
      add_rule(p, R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": )" +
                      std::to_string(0x80000100u + i) + R"(, "op": "SCMP_CMP_EQ"}]})");
    add_rule(p, R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 268436497, "op": "SCMP_CMP_EQ"}]})");
  });
  CHECK_THAT(open_calls(d), Contains("clone(CLONE_NEWUSER)"));
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kCloneX86_64, CLONE_NEWUSER | CLONE_FILES | 17) == SECCOMP_RET_ERRNO);
}

}  // namespace oci_harden

namespace oci_harden {
namespace {

Json podman_default() { return parsed(test::repo_file("profiles/engine-seccomp-podman.json")); }

// Docker's config carrying Podman's default profile (annotated as Podman's, which anyone can
// write), hardened for the bundle `bundle` and the container id `id`.
Decision podman_profile_in(const std::string& id, const std::string& bundle) {
  auto spec = parse_spec(docker_config());
  REQUIRE(spec);
  *field_at(*spec, "linux.seccomp") = podman_default();
  ensure_object(*spec, "annotations").set("io.container.manager", Json::string("libpod"));
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  return harden_spec(std::move(*spec), test_policy(), host, Invocation{"create", id, bundle});
}

constexpr const char* kPodmanId = "fc4f27f73d9b6ecee4f85d2d847a4e7fa757287f068ceb3c779d2af08db1fc90";

}  // namespace

TEST_CASE("bypass seccomp: Podman's default profile handed to a container that is not Podman's",
          "[bypass][seccomp_effect]") {
  // Podman's default allows unshare (CLONE_NEWUSER) and keyctl; `ctr run --config` or
  // `docker run --security-opt seccomp=podman.json` hands it to any container. It counts as a
  // reference only in Podman's own bundle, whatever the annotations say.
  const std::string id = kPodmanId;
  for (const std::string& bundle : {std::string("/bundles/c1"),
                                    "/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" + id,
                                    "/run/containerd/io.containerd.runtime.v2.task/overlay-containers/" + id,
                                    std::string("/var/lib/containers/storage/overlay-containers/another/userdata")}) {
    INFO(bundle);
    Decision d = podman_profile_in(id, bundle);
    CHECK_FALSE(d.refused());
    std::string open = open_calls(d);
    CHECK_THAT(open, Contains("unshare(CLONE_NEWUSER)"));
    CHECK(verdict(d, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ERRNO);
    CHECK(verdict(d, AUDIT_ARCH_X86_64, kKeyctlX86_64, 0) == SECCOMP_RET_ERRNO);
  }
  // Control: in Podman's own bundle it is Podman's default and stays.
  Decision own = podman_profile_in(id, "/var/lib/containers/storage/overlay-containers/" + id + "/userdata");
  CHECK(open_calls(own).empty());
  CHECK(*field_at(own.spec, "linux.seccomp") == podman_default());
}

TEST_CASE("bypass seccomp: the policy's profile plus unshare and keyctl (breaker finding 5)",
          "[bypass][seccomp_effect]") {
  auto spec = parse_spec(docker_config());
  REQUIRE(spec);
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  Decision first = harden_spec(std::move(*spec), test_policy(), host, Invocation{"create", "c1", "/bundles/c1"});
  auto again = parse_spec(to_json(first.spec));
  REQUIRE(again);
  add_rule(*field_at(*again, "linux.seccomp"), R"({"names": ["unshare", "keyctl"], "action": "SCMP_ACT_ALLOW"})");
  Decision d = harden_spec(std::move(*again), test_policy(), host, Invocation{"create", "c1", "/bundles/c1"});
  std::string open = open_calls(d);
  CHECK_THAT(open, Contains("unshare(CLONE_NEWUSER)"));
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ERRNO);
  CHECK(verdict(d, AUDIT_ARCH_X86_64, kKeyctlX86_64, 0) == SECCOMP_RET_ERRNO);
}

}  // namespace oci_harden
