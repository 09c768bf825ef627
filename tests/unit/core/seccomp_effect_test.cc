// Seccomp by effect: the classic-BPF interpreter on hand-built programs (every class seccomp
// allows, and the ones it refuses) and on libseccomp's own output; the judgement of profiles
// against the policy's and the engine defaults; the seccomp rule's outcomes (kept, replaced,
// refused) on the real Docker and Podman configs.

#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/bpf_eval.hh"
#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/seccomp_check.hh"
#include "shim/core/seccomp_effect.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

using test::repo_file;

Json json(const std::string& text) {
  auto j = parse_json(text);
  REQUIRE(j);
  return std::move(*j);
}

sock_filter stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return sock_filter{code, jt, jf, k}; }

seccomp_data call(int nr, uint32_t arch = AUDIT_ARCH_X86_64, uint64_t arg0 = 0) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  d.args[0] = arg0;
  return d;
}

uint32_t run(const BpfProgram& p, const seccomp_data& d) {
  auto r = bpf_run(p, d);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  return *r;
}

Json host_policy_profile() {
  Json p = json(repo_file("profiles/seccomp-default.json"));
  Json arches = Json::array();
  for (const std::string& a : host_seccomp_architectures()) arches.push_back(Json::string(a));
  p.set("architectures", arches);
  return p;
}

Json golden_profile(const std::string& rel) {
  Json spec = json(repo_file("tests/golden/" + rel));
  const Json* p = field_at(spec, "linux.seccomp");
  REQUIRE(p != nullptr);
  return *p;
}

}  // namespace

TEST_CASE("bpf_run: returns, loads, ALU and jumps as the kernel runs them", "[seccomp_effect]") {
  // if arch != x86_64: kill; if nr == 272 (unshare): errno EPERM; if (arg0 & 0x10000000): trap; allow
  const BpfProgram p = {
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 272, 0, 1),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      stmt(BPF_ALU | BPF_AND | BPF_K, 0x10000000),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  CHECK(run(p, call(0)) == SECCOMP_RET_ALLOW);
  CHECK(run(p, call(272)) == (SECCOMP_RET_ERRNO | 1));
  CHECK(run(p, call(56, AUDIT_ARCH_X86_64, CLONE_NEWUSER)) == SECCOMP_RET_TRAP);
  CHECK(run(p, call(0, AUDIT_ARCH_I386)) == SECCOMP_RET_KILL_PROCESS);

  std::vector<BpfComparison> seen;
  REQUIRE(bpf_run(p, call(56), &seen));
  REQUIRE(seen.size() == 3);
  CHECK(seen[2].offset == offsetof(seccomp_data, args[0]));
  CHECK(seen[2].mask == 0x10000000u);
  CHECK(seen[2].op == BPF_JEQ);
}

TEST_CASE("bpf_run: scratch memory, X, TAX/TXA, RET A, JGT/JGE/JSET", "[seccomp_effect]") {
  const BpfProgram p = {
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      stmt(BPF_ST, 3),
      stmt(BPF_LDX | BPF_IMM, 10),
      stmt(BPF_LD | BPF_MEM, 3),
      stmt(BPF_ALU | BPF_ADD | BPF_X, 0),   // A = nr + 10
      jump(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 38),
      jump(BPF_JMP | BPF_JGE | BPF_K, 50, 0, 1),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_LOG),
      jump(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 2),
      stmt(BPF_MISC | BPF_TAX, 0),
      stmt(BPF_RET | BPF_A, 0),               // odd sum: returns A itself
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  CHECK(run(p, call(95)) == (SECCOMP_RET_ERRNO | 38));
  CHECK(run(p, call(40)) == SECCOMP_RET_LOG);
  CHECK(run(p, call(1)) == 11u);
  CHECK(run(p, call(2)) == SECCOMP_RET_ALLOW);
}

TEST_CASE("bpf_run: what the kernel's checker refuses fails closed", "[seccomp_effect]") {
  const sock_filter ret = stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  auto fails = [](const BpfProgram& p) { return !bpf_check(p).ok() || !bpf_run(p, call(0)).ok(); };
  CHECK(fails({}));
  CHECK(fails({stmt(BPF_LD | BPF_W | BPF_ABS, sizeof(seccomp_data)), ret}));   // past the end
  CHECK(fails({stmt(BPF_LD | BPF_W | BPF_ABS, 2), ret}));                     // unaligned
  CHECK(fails({stmt(BPF_LD | BPF_B | BPF_ABS, 0), ret}));                     // byte load
  CHECK(fails({stmt(BPF_LD | BPF_W | BPF_IND, 0), ret}));                     // indirect load
  CHECK(fails({stmt(BPF_LD | BPF_MEM, 16), ret}));                            // scratch index
  CHECK(fails({stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ret}));                    // division by 0
  CHECK(fails({stmt(BPF_JMP | BPF_JA, 5), ret}));                             // jump past the end
  CHECK(fails({jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 9), ret}));
  CHECK(fails({stmt(BPF_LD | BPF_IMM, 1)}));                                  // no return
  CHECK(fails({stmt(BPF_MISC | 0x40, 0), ret}));                              // unknown MISC
  CHECK(fails({ret, stmt(BPF_LD | BPF_W | BPF_ABS, 1)}));                   // bad, never reached
  CHECK(fails(BpfProgram(BPF_MAXINSNS + 1, ret)));
  // Division by X = 0 at run time ends the program with 0 (SECCOMP_RET_KILL_THREAD).
  CHECK(run({stmt(BPF_LDX | BPF_IMM, 0), stmt(BPF_ALU | BPF_DIV | BPF_X, 0), ret}, call(0)) == 0u);
  CHECK(bpf_check({stmt(BPF_LDX | BPF_IMM, 0), stmt(BPF_ALU | BPF_DIV | BPF_X, 0), ret}));
}

TEST_CASE("bpf_run on libseccomp's own output matches the profile", "[seccomp_effect]") {
  auto prog = compile_runc_filter(json(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
                   {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                   {"names": ["Unshare", "no_such_call"], "action": "SCMP_ACT_ALLOW"}]})"));
  REQUIRE(prog);
  CHECK(run(*prog, call(0)) == SECCOMP_RET_ALLOW);                          // read
  CHECK(run(*prog, call(3, AUDIT_ARCH_I386)) == SECCOMP_RET_ALLOW);         // read on i386
  CHECK(run(*prog, call(56)) == SECCOMP_RET_ALLOW);                         // clone(0)
  CHECK(run(*prog, call(56, AUDIT_ARCH_X86_64, CLONE_NEWUSER)) == (SECCOMP_RET_ERRNO | 1));
  CHECK(run(*prog, call(435)) == (SECCOMP_RET_ERRNO | 38));                 // clone3
  CHECK(run(*prog, call(272)) == (SECCOMP_RET_ERRNO | 1));                  // "Unshare" is no name
  // x32 is not listed: libseccomp's x86_64 section refuses its numbers.
  CHECK((run(*prog, call(0x40000000, AUDIT_ARCH_X86_64)) & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW);
}

TEST_CASE("compile_runc_filter refuses what runc refuses", "[seccomp_effect]") {
  CHECK_FALSE(compile_runc_filter(json(R"({"defaultAction": "SCMP_ACT_NOPE"})")));
  CHECK_FALSE(compile_runc_filter(json(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]})")));
  CHECK_FALSE(compile_runc_filter(json(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]}]})")));
}

TEST_CASE("judge_seccomp_effect: allow, log and trace open; errno, kill, trap and notify do not", "[seccomp_effect]") {
  Json policy = host_policy_profile();
  std::vector<ReferenceProfile> refs{{"policy", &policy}};
  const auto& arches = host_seccomp_architectures();
  auto judge = [&](const std::string& text) {
    auto r = judge_seccomp_effect(json(text), refs, arches);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
    return *r;
  };
  SECTION("the policy's own profile, and one that only changes the errno") {
    auto same = judge_seccomp_effect(policy, refs, arches);
    REQUIRE(same);
    CHECK_FALSE(same->weaker);
    Json other = policy;
    other.set("defaultErrnoRet", Json::unsigned_integer(38));
    auto r = judge_seccomp_effect(other, refs, arches);
    REQUIRE(r);
    CHECK_FALSE(r->weaker);
  }
  for (const char* action : {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"}) {
    SeccompEffect e = judge(std::string(R"({"defaultAction": ")") + action + R"("})");
    INFO(action);
    CHECK(e.weaker);
    CHECK(e.closest == "policy");
    CHECK_FALSE(e.open.empty());
  }
  for (const char* action : {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
                             "SCMP_ACT_NOTIFY"}) {
    INFO(action);
    CHECK_FALSE(judge(std::string(R"({"defaultAction": ")") + action + R"("})").weaker);
  }
  SECTION("an unconditional unshare is named with its flags") {
    Json p = policy;
    field(&p, "syscalls")->push_back(json(R"({"names": ["unshare"], "action": "SCMP_ACT_ALLOW"})"));
    auto r = judge_seccomp_effect(p, refs, arches);
    REQUIRE(r);
    CHECK(r->weaker);
    bool newuser = false;
    for (const auto& o : r->open) newuser |= o.rfind("unshare(CLONE_NEWUSER) on x86_64", 0) == 0;
    CHECK(newuser);
  }
  SECTION("a profile libseccomp refuses cannot be judged") {
    CHECK_FALSE(judge_seccomp_effect(json(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": 3})"), refs, arches));
  }
}

TEST_CASE("judge_seccomp_effect: Docker's and Podman's defaults pass against the engine references",
          "[seccomp_effect]") {
  Json policy = host_policy_profile();
  Json docker = json(repo_file("profiles/engine-seccomp-docker.json"));
  Json podman = json(repo_file("profiles/engine-seccomp-podman.json"));
  std::vector<ReferenceProfile> refs{{"policy", &policy}, {"docker", &docker}, {"podman", &podman}};
  const auto& arches = host_seccomp_architectures();
  // Judged by effect, not by identity: the captured configs' profiles, compiled and run.
  for (const char* rel : {"docker-captured/plain.json", "podman-captured/podman-run.json"}) {
    INFO(rel);
    auto r = judge_seccomp_effect(golden_profile(rel), refs, arches);
    REQUIRE(r);
    CHECK_FALSE(r->weaker);
  }
  // Against the policy's profile alone neither passes: both open calls it denies.
  auto strict = judge_seccomp_effect(docker, {refs[0]}, arches);
  REQUIRE(strict);
  CHECK(strict->weaker);
}

TEST_CASE("seccomp rule: a spec's own profile kept, replaced or refused by its effect", "[seccomp_effect]") {
  auto base = builtin_policy();
  REQUIRE(base);
  Policy policy = std::move(*base);
  policy.hook_path.clear();
  FakeHost host;
  auto harden = [&](Json spec, const Policy& p) {
    return harden_spec(std::move(spec), p, host, Invocation{"create", "c1", "/bundles/c1"});
  };
  auto seccomp_change = [](const Decision& d) -> const Change* {
    for (const Change& c : d.changes)
      if (c.rule == "seccomp") return &c;
    return nullptr;
  };
  Json docker = json(repo_file("tests/golden/docker-captured/plain.json"));

  SECTION("Docker's and Podman's configs keep their profiles (Podman's in Podman's bundle)") {
    const std::string id = "fc4f27f73d9b6ecee4f85d2d847a4e7fa757287f068ceb3c779d2af08db1fc90";
    const Invocation docker_inv{"create", "c1", "/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/c1"};
    const Invocation podman_inv{"create", id, "/var/lib/containers/storage/overlay-containers/" + id + "/userdata"};
    for (const auto& [rel, inv] : {std::make_pair("docker-captured/plain.json", docker_inv),
                                   std::make_pair("podman-captured/podman-run.json", podman_inv)}) {
      Json spec = json(repo_file(std::string("tests/golden/") + rel));
      Json before = *field_at(spec, "linux.seccomp");
      Decision d = harden_spec(spec, policy, host, inv);
      INFO(rel);
      CHECK(seccomp_change(d) == nullptr);
      CHECK(*field_at(d.spec, "linux.seccomp") == before);
    }
  }
  SECTION("Podman's config outside Podman's bundle: its profile is replaced, judged against Docker's") {
    Json spec = json(repo_file("tests/golden/podman-captured/podman-run.json"));
    Decision d = harden(spec, policy);
    const Change* c = seccomp_change(d);
    REQUIRE(c != nullptr);
    CHECK(c->before.get("compared_with")->text() == "docker");
    CHECK(to_json(*c->before.get("references")) == R"(["policy","docker"])");
    CHECK_THAT(c->before.get("not_used")->get("podman")->text(), Catch::Matchers::Contains("is not Podman's"));
  }
  SECTION("an allow-all profile is replaced, and the record names what was open") {
    field_at(docker, "linux")->set("seccomp", json(R"({"defaultAction": "SCMP_ACT_ALLOW"})"));
    Decision d = harden(docker, policy);
    CHECK_FALSE(d.refused());
    const Change* c = seccomp_change(d);
    REQUIRE(c != nullptr);
    REQUIRE(c->before.get("open") != nullptr);
    CHECK_FALSE(c->before.get("open")->items().empty());
    CHECK(*field_at(d.spec, "linux.seccomp.defaultAction") == Json::string("SCMP_ACT_ERRNO"));
  }
  SECTION("seccomp.weaker refuse names the calls") {
    policy.seccomp_weaker = SeccompWeaker::kRefuse;
    field_at(docker, "linux.seccomp")->get("syscalls")->items()[0].get("names")->push_back(Json::string("unshare"));
    Decision d = harden(docker, policy);
    REQUIRE(d.refusals.size() == 1);
    CHECK(d.refusals[0].rule == "seccomp");
    CHECK_THAT(d.refusals[0].reason, Catch::Matchers::Contains("unshare(CLONE_NEWUSER)"));
    CHECK_THAT(d.refusals[0].reason, Catch::Matchers::Contains("docker profile"));
  }
  SECTION("with no accepted engine defaults, Docker's own profile is replaced") {
    policy.seccomp_accepted_defaults.clear();
    Decision d = harden(docker, policy);
    const Change* c = seccomp_change(d);
    REQUIRE(c != nullptr);
    CHECK(c->before.get("compared_with")->text() == "policy");
  }
  SECTION("seccomp.replace replaces without judging") {
    policy.seccomp_replace = true;
    CHECK(seccomp_change(harden(docker, policy)) != nullptr);
  }
}

TEST_CASE("policy: seccomp.weaker, accepted_defaults, allowed_listeners", "[seccomp_effect]") {
  auto p = builtin_policy();
  REQUIRE(p);
  CHECK(p->seccomp_weaker == SeccompWeaker::kReplace);
  CHECK(p->seccomp_accepted_defaults == std::vector<std::string>{"docker", "podman"});
  CHECK(p->seccomp_allowed_listeners.empty());
  auto refuse = parse_policy(R"({"seccomp": {"weaker": "refuse", "allowed_listeners": ["/run/seccomp-agent.sock"]}})",
                             "/etc/oci-harden/policy.json");
  REQUIRE(refuse);
  CHECK(refuse->seccomp_weaker == SeccompWeaker::kRefuse);
  CHECK(refuse->seccomp_allowed_listeners == std::vector<std::string>{"/run/seccomp-agent.sock"});
  CHECK_FALSE(parse_policy(R"({"seccomp": {"weaker": "ignore"}})", "/etc/oci-harden/policy.json"));
  CHECK_FALSE(parse_policy(R"({"seccomp": {"accepted_defaults": ["lxc"]}})", "/etc/oci-harden/policy.json"));
  CHECK_FALSE(parse_policy(R"({"seccomp": {"allowed_listeners": ["agent.sock"]}})", "/etc/oci-harden/policy.json"));
}

}  // namespace oci_harden
