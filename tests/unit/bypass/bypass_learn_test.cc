// Bypass corpus for learn mode (issue 15): specs that try to use learn mode to write outside
// learn_dir, to put themselves in learn mode where the policy does not let the annotation, or to
// keep a notify listener of their own while being recorded. Each goes through parse_spec and
// harden_spec as `oci-harden create` does, then through plan_learn as the edge does.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/seccomp_learn.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

std::string spec_with(const std::string& annotations, const std::string& seccomp = "") {
  return std::string(R"({"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
    "root": {"path": "rootfs"}, "annotations": )") + annotations +
         R"(, "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
    {"type": "network"}])" + (seccomp.empty() ? "" : ", \"seccomp\": " + seccomp) + "}}";
}

Policy learn_policy(bool annotation) {
  Policy p = bypass::policy();
  p.hook_path = "/usr/bin/oci-harden-hook";
  p.learn.annotation = annotation;
  p.learn.dir = "/var/lib/oci-harden/learn";
  return p;
}

TEST_CASE("bypass learn: an annotation naming a workload outside learn_dir is not recorded", "[bypass][learn]") {
  FakeHost host;
  const Policy p = learn_policy(true);
  for (const char* name : {"../../etc/cron.d", "a/../../x", "/etc", "..", "web\n"}) {
    Json ann = Json::object();
    ann.set("org.oci-harden.learn", Json::string(name));
    Decision d = bypass::decide(spec_with(to_json(ann)), host, p);
    LearnPlan plan = plan_learn(d.spec, p, p, "c1");
    INFO(name);
    CHECK_FALSE(plan.active);
    CHECK(plan.why_not.find("not a workload name") != std::string::npos);
    CHECK(field_at(d.spec, "linux.seccomp")->get("listenerPath") == nullptr);
  }
}

TEST_CASE("bypass learn: the annotation is ignored where the policy does not allow it", "[bypass][learn]") {
  FakeHost host;
  const Policy p = learn_policy(false);
  Decision d = bypass::decide(spec_with(R"({"org.oci-harden.learn": "web"})"), host, p);
  LearnPlan plan = plan_learn(d.spec, p, p, "c1");
  CHECK_FALSE(plan.active);
  CHECK(plan.why_not.empty());
  CHECK(field_at(d.spec, "linux.seccomp")->get("listenerPath") == nullptr);
}

TEST_CASE("bypass learn: a spec's own notify listener is judged by the seccomp rule first", "[bypass][learn]") {
  FakeHost host;
  const Policy p = learn_policy(true);
  const std::string own = R"({"defaultAction": "SCMP_ACT_ERRNO", "listenerPath": "/run/agent.sock",
    "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]})";
  bypass::Verdict v = bypass::attempt(spec_with(R"({"org.oci-harden.learn": "web"})", own), host, p);
  REQUIRE(v.loaded);
  INFO(v.describe());
  CHECK(v.refused_by("seccomp"));  // not on seccomp.allowed_listeners: refused before learn mode
}

TEST_CASE("bypass learn: a spec's own permissive profile is replaced before it is recorded", "[bypass][learn]") {
  FakeHost host;
  const Policy p = learn_policy(true);
  const std::string open = R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]})";
  Decision d = bypass::decide(spec_with(R"({"org.oci-harden.learn": "web"})", open), host, p);
  LearnPlan plan = plan_learn(d.spec, p, p, "c1");
  REQUIRE(plan.active);
  const Json* installed = field_at(d.spec, "linux.seccomp");
  CHECK(string_field(installed, "defaultAction").value_or("") != "SCMP_ACT_ALLOW");
  CHECK(string_field(installed, "listenerPath").value_or("") == plan.socket_path);
}

}  // namespace
}  // namespace oci_harden
