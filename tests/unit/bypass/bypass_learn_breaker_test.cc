// Bypass corpus, issue 15's breaker (live finds, runc 1.1.5 / crun 1.8.1): a container binding
// learn_dir to poison another workload's recordings; the learn annotation trading an enforced
// learned profile for the generic one; a learned profile judged against the policy's widest
// profile but installed for a container that lacks one of its capabilities.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "shim/core/seccomp_learn.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

Json parsed(const std::string& text) {
  auto j = parse_json(text);
  REQUIRE(j);
  return *j;
}

std::string spec_with(const std::string& extra) {
  return std::string(R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
    "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
    {"type": "mount"}, {"type": "network"}]})") + extra + "}";
}

bool allows_name(const Json& profile, const std::string& name) {
  const Json* calls = field(&profile, "syscalls");
  if (calls == nullptr) return false;
  for (const Json& e : calls->items()) {
    const std::string action = string_field(&e, "action").value_or("");
    if (action != "SCMP_ACT_ALLOW" && action != "SCMP_ACT_LOG") continue;
    const Json* names = field(&e, "names");
    if (names == nullptr) continue;
    for (const Json& n : names->items())
      if (n.is_string() && n.text() == name) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("bypass learn breaker: a bind of learn_dir (or under it) is refused as sensitive", "[bypass][learn]") {
  FakeHost host;
  Policy p = bypass::policy();
  p.learn.dir = "/var/lib/oci-harden/learn";
  for (const char* source : {"/var/lib/oci-harden/learn", "/var/lib/oci-harden/learn/victim", "/var/lib/oci-harden"}) {
    INFO(source);
    auto v = bypass::attempt(spec_with(std::string(R"(, "mounts": [{"destination": "/l", "type": "bind", "source": ")") +
                                       source + R"(", "options": ["rbind", "rw"]}])"),
                             host, p);
    CHECK(v.refused_by("sensitive-mounts"));
  }
}

TEST_CASE("bypass learn breaker: the learn annotation does not switch off an enforced learned profile", "[bypass][learn]") {
  FakeHost host;
  Policy p = bypass::policy();
  p.hook_path = "/usr/bin/oci-harden-hook";
  p.learn.annotation = true;
  p.learn.learned_path = "/etc/oci-harden/learned/web.json";
  p.learn.learned = parsed(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["read", "write", "execve", "exit_group"], "action": "SCMP_ACT_ALLOW"}]})");
  Decision d = bypass::decide(spec_with(R"(, "annotations": {"org.oci-harden.learn": "anything"})"), host, p);
  LearnPlan plan = plan_learn(d.spec, p, p, "c1");
  CHECK(string_field(&plan.seccomp_record, "source").value_or("") == "learned");
  CHECK(plan.why_not.find("ignored") != std::string::npos);
  const Json* installed = field_at(d.spec, "linux.seccomp");
  REQUIRE(installed != nullptr);
  CHECK_FALSE(allows_name(*installed, "unshare"));
}

TEST_CASE("bypass learn breaker: a learned profile is cut to the generic profile installed for this container", "[bypass][learn]") {
  FakeHost host;
  Policy p = bypass::policy();
  p.hook_path = "/usr/bin/oci-harden-hook";
  // The policy allows CAP_SYS_ADMIN (so unshare and setns pass the load check by its group),
  // but this container does not hold it.
  if (std::find(p.capabilities.begin(), p.capabilities.end(), "CAP_SYS_ADMIN") == p.capabilities.end())
    p.capabilities.push_back("CAP_SYS_ADMIN");
  p.learn.learned_path = "/etc/oci-harden/learned/web.json";
  p.learn.learned = parsed(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["read", "write", "execve", "exit_group", "unshare", "setns"], "action": "SCMP_ACT_ALLOW"},
                 {"names": ["clone"], "action": "SCMP_ACT_ALLOW"}]})");
  Decision d = bypass::decide(spec_with(""), host, p);
  const Json* generic = field_at(d.spec, "linux.seccomp");
  REQUIRE(generic != nullptr);
  REQUIRE_FALSE(allows_name(*generic, "unshare"));  // the container has no CAP_SYS_ADMIN
  LearnPlan plan = plan_learn(d.spec, p, p, "c1");
  const Json* installed = field_at(d.spec, "linux.seccomp");
  REQUIRE(installed != nullptr);
  CHECK_FALSE(allows_name(*installed, "unshare"));
  CHECK_FALSE(allows_name(*installed, "setns"));
  // clone: the generic profile allows it only with its argument rules; an unconditional clone
  // from the learned profile is cut (it would let CLONE_NEWUSER through).
  const Json* calls = field(installed, "syscalls");
  REQUIRE(calls != nullptr);
  for (const Json& e : calls->items()) {
    const Json* names = field(&e, "names");
    bool clone = false;
    for (const Json& n : names->items()) clone = clone || n.text() == "clone";
    if (clone && string_field(&e, "action").value_or("") == "SCMP_ACT_ALLOW") CHECK(field(&e, "args") != nullptr);
  }
  CHECK(allows_name(*installed, "read"));
  const Json* cut = plan.seccomp_record.get("cut");
  REQUIRE(cut != nullptr);
  CHECK(to_json(*cut).find("unshare") != std::string::npos);
}

}  // namespace oci_harden
