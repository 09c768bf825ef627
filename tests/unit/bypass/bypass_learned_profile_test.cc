// Bypass corpus for learned seccomp profiles (issue 15, `oci-hardenctl profile learn`):
// recordings written to make the learned profile let through what the policy's profile denies
// (calls it denies listed as seen or always allowed, clone/unshare/socket with the values its
// argument rules refuse, a foreign architecture, spellings), and a base wider than the policy's.
// Each learned profile is compiled as runc compiles it (compile_runc_filter) and run in the
// BPF interpreter: the escape call must be denied by what runc would load, and the never-wider
// check by effect must pass; the wider base must fail it. runc's and crun's behaviour with a
// learned profile is in tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>

#include <string>
#include <vector>

#include "shim/core/bpf_eval.hh"
#include "shim/core/embedded.hh"
#include "shim/core/learned_profile.hh"
#include "shim/core/seccomp_check.hh"
#include "shim/core/spec.hh"

namespace oci_harden {
namespace {

constexpr int kUnshareX86_64 = 272, kCloneX86_64 = 56, kKeyctlX86_64 = 250, kPtraceX86_64 = 101,
              kSocketX86_64 = 41, kPersonalityX86_64 = 135;
constexpr uint64_t kAfAlg = 38, kAfVsock = 40, kReadImpliesExec = 0x0400000;
const std::vector<std::string> kArches = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};

Json policy_profile() {
  auto p = parse_json(embedded_file("seccomp-default.json"));
  REQUIRE(p.ok());
  return *p;
}

std::string recording(const std::string& calls, const std::string& always = R"(["write"])",
                      const std::string& arches = R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])") {
  return R"({"oci_harden_recording": 1, "learn": "attack", "container_id": "c1",
    "started": "2026-12-04T23:50:00Z", "ended": "2026-12-04T23:50:03Z",
    "base_profile": {"digest": "sha256:)" + std::string(64, '0') + R"("}, "architectures": )" + arches +
         R"(, "always_allowed": )" + always + R"(, "syscalls": [)" + calls + R"(], "notifications": 1, "dropped": 0})";
}

// The profile learned from `text` on the policy's own profile, never wider than it.
Json learned_from(const std::string& text, const Json& base) {
  auto r = parse_recording(text, "attack/c1.json");
  INFO((r ? "" : r.error().message));
  REQUIRE(r.ok());
  auto m = merge_recordings({*r});
  REQUIRE(m.ok());
  auto l = learn_profile(base, *m);
  INFO((l ? "" : l.error().message));
  REQUIRE(l.ok());
  auto st = check_never_wider(l->profile, policy_profile(), kArches);
  INFO((st ? "" : st.error().message));
  CHECK(st.ok());
  return l->profile;
}

uint32_t verdict(const Json& profile, uint32_t arch, int nr, uint64_t arg0) {
  auto prog = compile_runc_filter(profile);
  REQUIRE(prog.ok());
  seccomp_data data{};
  data.arch = arch;
  data.nr = nr;
  data.args[0] = arg0;
  auto r = bpf_run(*prog, data);
  REQUIRE(r.ok());
  return *r & SECCOMP_RET_ACTION_FULL;
}

}  // namespace

TEST_CASE("bypass learned profile: calls the policy denies, listed as seen or always allowed", "[bypass][learned-profile]") {
  const Json p = learned_from(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "unshare", "count": 1, "args": [{"index": 0, "values": [268435456]}]},
                                           {"arch": "SCMP_ARCH_X86_64", "name": "keyctl", "count": 1})",
                                        R"(["write", "ptrace", "unshare", "keyctl"])"),
                              policy_profile());
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ERRNO);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kKeyctlX86_64, 0) == SECCOMP_RET_ERRNO);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kPtraceX86_64, 0) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass learned profile: argument values the base's rules refuse", "[bypass][learned-profile]") {
  // clone seen with CLONE_NEWUSER (and with a bit above 32), socket with AF_ALG and AF_VSOCK,
  // personality with READ_IMPLIES_EXEC: none of the base's conditional entries matches, so none
  // is added, and an unconditional one is never made from them.
  const Json p = learned_from(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "clone", "count": 1, "args": [{"index": 0, "values": [268435456, 4563402752]}]},
                                           {"arch": "SCMP_ARCH_X86_64", "name": "socket", "count": 1, "args": [{"index": 0, "values": [38, 40]}]},
                                           {"arch": "SCMP_ARCH_X86_64", "name": "personality", "count": 1, "args": [{"index": 0, "values": [4194304]}]})"),
                              policy_profile());
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kCloneX86_64, CLONE_NEWUSER | 17) == SECCOMP_RET_ERRNO);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kCloneX86_64, 17) == SECCOMP_RET_ERRNO);  // clone itself not added
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kSocketX86_64, kAfAlg) == SECCOMP_RET_ERRNO);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kSocketX86_64, kAfVsock) == SECCOMP_RET_ERRNO);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kPersonalityX86_64, kReadImpliesExec) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass learned profile: a value the rule allows keeps the rule, not the call", "[bypass][learned-profile]") {
  // clone seen once without CLONE_NEW* flags and once with CLONE_NEWUSER: the base's rule is
  // kept as written, so CLONE_NEWUSER stays denied; AF_UNIX seen keeps socket for families < 32
  // only.
  const Json p = learned_from(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "clone", "count": 2, "args": [{"index": 0, "values": [17, 268435473]}]},
                                           {"arch": "SCMP_ARCH_X86_64", "name": "socket", "count": 2, "args": [{"index": 0, "values": [1, 38]}]})"),
                              policy_profile());
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kCloneX86_64, 17) == SECCOMP_RET_ALLOW);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kCloneX86_64, CLONE_NEWUSER | 17) == SECCOMP_RET_ERRNO);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kSocketX86_64, 1) == SECCOMP_RET_ALLOW);
  CHECK(verdict(p, AUDIT_ARCH_X86_64, kSocketX86_64, kAfAlg) == SECCOMP_RET_ERRNO);
}

TEST_CASE("bypass learned profile: an architecture the base does not list adds none", "[bypass][learned-profile]") {
  const Json p = learned_from(recording(R"({"arch": "SCMP_ARCH_AARCH64", "name": "getpid", "count": 1})", R"(["write"])",
                                        R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS"])"),
                              policy_profile());
  CHECK(string_items(field(&p, "architectures")) == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"});
}

TEST_CASE("bypass learned profile: spellings a recording cannot use", "[bypass][learned-profile]") {
  // Upper case, a trailing NUL, an architecture alias: refused with the field, never matched to
  // a name of the base.
  for (const char* name : {"UNSHARE", "unshare\\u0000", "unshare ", "__NR_unshare"}) {
    auto r = parse_recording(recording(std::string(R"({"arch": "SCMP_ARCH_X86_64", "name": ")") + name + R"(", "count": 1})"), "a.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("a.json: syscalls[0].name: ") == 0);
  }
  auto alias = parse_recording(recording("", R"(["write"])", R"(["x86_64"])"), "a.json");
  REQUIRE_FALSE(alias.ok());
  CHECK(alias.error().message == "a.json: architectures[0]: \"x86_64\" is not an OCI seccomp architecture");
}

TEST_CASE("bypass learned profile: a base wider than the policy's is caught by effect", "[bypass][learned-profile]") {
  // `profile learn --base` with Podman's default (unshare, clone with CLONE_NEWUSER allowed):
  // everything learned from it is the base's, and still wider than the policy's profile.
  auto podman = parse_json(embedded_file("engine-seccomp-podman.json"));
  REQUIRE(podman.ok());
  auto r = parse_recording(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "unshare", "count": 1})"), "a.json");
  REQUIRE(r.ok());
  auto m = merge_recordings({*r});
  REQUIRE(m.ok());
  auto l = learn_profile(*podman, *m);
  REQUIRE(l.ok());
  CHECK(verdict(l->profile, AUDIT_ARCH_X86_64, kUnshareX86_64, CLONE_NEWUSER) == SECCOMP_RET_ALLOW);
  auto st = check_never_wider(l->profile, policy_profile(), kArches);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("unshare") != std::string::npos);
}

}  // namespace oci_harden
