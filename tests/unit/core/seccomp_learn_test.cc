// Learn mode (issue 15): the NOTIFY rewrite of the installed profile (which calls become
// SCMP_ACT_NOTIFY, the base set stays SCMP_ACT_ALLOW, conditional entries keep their
// conditions, denials untouched), when a profile cannot be put in learn mode, the plan for one
// container (policy key or annotation), and the policy keys learn / learn_annotation /
// learn_dir.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "shim/core/embedded.hh"
#include "shim/core/policy.hh"
#include "shim/core/seccomp_learn.hh"
#include "shim/core/spec.hh"

namespace oci_harden {
namespace {

Json json(const std::string& text) {
  auto j = parse_json(text);
  REQUIRE(j);
  return std::move(*j);
}

Policy policy_from(const std::string& text) {
  auto p = parse_policy(text, "/etc/oci-harden/policy.json");
  if (!p) FAIL("parse_policy: " << p.error().message);
  return std::move(*p);
}

std::string policy_error(const std::string& text) {
  auto p = parse_policy(text, "/etc/oci-harden/policy.json");
  return p ? std::string("(accepted)") : p.error().message;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// The entries of `profile` whose names include `name`.
std::vector<const Json*> entries_for(const Json& profile, const std::string& name) {
  std::vector<const Json*> out;
  for (const Json& e : field(&profile, "syscalls")->items())
    if (has(string_items(field(&e, "names")), name)) out.push_back(&e);
  return out;
}

const char* const kProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {"names": ["read", "write", "openat", "getdents64"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 0}]},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_NE"}, {"index": 2, "value": 9, "op": "SCMP_CMP_NE"}]},
    {"names": ["unshare", "mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
  ]})";

TEST_CASE("learn rewrite: allowed calls outside the base set are notified, the base set stays allowed", "[learn]") {
  const Json profile = json(kProfile);
  NotifyRewrite rw = notify_rewrite(profile, "/run/oci-harden/c1/seccomp.sock");
  CHECK(string_field(&rw.profile, "listenerPath").value_or("") == "/run/oci-harden/c1/seccomp.sock");
  CHECK(rw.notified == std::vector<std::string>{"clone", "getdents64", "openat", "socket"});
  for (const char* base : {"read", "write"}) {
    auto es = entries_for(rw.profile, base);
    REQUIRE(es.size() == 1);
    CHECK(string_field(es[0], "action").value_or("") == "SCMP_ACT_ALLOW");
  }
  for (const char* notified : {"openat", "getdents64"}) {
    auto es = entries_for(rw.profile, notified);
    REQUIRE(es.size() == 1);
    CHECK(string_field(es[0], "action").value_or("") == "SCMP_ACT_NOTIFY");
  }
  // The default action and the denials are as they were.
  CHECK(string_field(&rw.profile, "defaultAction").value_or("") == "SCMP_ACT_ERRNO");
  auto denied = entries_for(rw.profile, "unshare");
  REQUIRE(denied.size() == 1);
  CHECK(*denied[0] == field(&profile, "syscalls")->items()[3]);
}

TEST_CASE("learn rewrite: conditional entries keep their conditions", "[learn]") {
  const Json profile = json(kProfile);
  NotifyRewrite rw = notify_rewrite(profile, "/s");
  for (size_t i : {1, 2}) {
    const Json& before = field(&profile, "syscalls")->items()[i];
    auto es = entries_for(rw.profile, string_items(field(&before, "names"))[0]);
    REQUIRE(es.size() == 1);
    CHECK(string_field(es[0], "action").value_or("") == "SCMP_ACT_NOTIFY");
    CHECK(*field(es[0], "args") == *field(&before, "args"));
  }
  auto idx = conditioned_args(profile);
  CHECK(idx["clone"] == std::vector<unsigned>{0});
  CHECK(idx["socket"] == std::vector<unsigned>{0, 2});
  CHECK(idx.count("openat") == 0);
  CHECK(conditioned_args_word(idx) == "clone:0,socket:0.2");
}

TEST_CASE("learn rewrite: the shipped default profile keeps the base set allowed and notifies the rest", "[learn]") {
  auto profile = parse_json(embedded_file("seccomp-default.json"));
  REQUIRE(profile);
  NotifyRewrite rw = notify_rewrite(*profile, "/s");
  const std::vector<std::string> before = allowed_names(*profile);
  const std::vector<std::string> after = allowed_names(rw.profile);
  for (const std::string& b : learn_always_allowed()) {
    if (has(before, b)) CHECK(has(after, b));
  }
  for (const std::string& n : after) CHECK(has(learn_always_allowed(), n));
  CHECK(rw.notified.size() + after.size() == before.size());
  CHECK(has(rw.notified, "openat"));
  CHECK_FALSE(has(rw.notified, "write"));
  CHECK(learn_not_possible(&*profile).empty());
}

TEST_CASE("learn: profiles that cannot be put in learn mode say why", "[learn]") {
  CHECK(learn_not_possible(nullptr) != "");
  Json own = json(kProfile);
  own.set("listenerPath", Json::string("/run/agent.sock"));
  CHECK(learn_not_possible(&own).find("own listener (/run/agent.sock)") != std::string::npos);
  Json open = json(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []})");
  CHECK(learn_not_possible(&open).find("SCMP_ACT_ALLOW") != std::string::npos);
}

TEST_CASE("learn: workload names", "[learn]") {
  CHECK(valid_learn_name("web"));
  CHECK(valid_learn_name("a.b_c-9"));
  CHECK(valid_learn_name(std::string(63, 'a')));
  CHECK_FALSE(valid_learn_name(std::string(64, 'a')));
  CHECK_FALSE(valid_learn_name(""));
  CHECK_FALSE(valid_learn_name("-web"));
  CHECK_FALSE(valid_learn_name("Web"));
  CHECK_FALSE(valid_learn_name("../etc"));
  CHECK_FALSE(valid_learn_name("a/b"));
}

TEST_CASE("learn: policy keys", "[learn]") {
  Policy def = policy_from("{}");
  CHECK(def.learn.workload.empty());
  CHECK_FALSE(def.learn.annotation);
  CHECK(def.learn.dir == "/var/lib/oci-harden/learn");
  Policy p = policy_from(R"({"learn": "web", "learn_annotation": true, "learn_dir": "/srv/learn"})");
  CHECK(p.learn.workload == "web");
  CHECK(p.learn.annotation);
  CHECK(p.learn.dir == "/srv/learn");
  CHECK(policy_error(R"({"learn": "Web/.."})").find("learn: \"Web/..\" is not a workload name") != std::string::npos);
  CHECK(policy_error(R"({"learn_dir": "learn"})").find("learn_dir") != std::string::npos);
  CHECK(policy_error(R"({"learn_annotation": "yes"})").find("learn_annotation") != std::string::npos);
  // Per workload: a named policy may learn; the annotation switch and the directory are host-wide.
  Policy named = policy_from(R"({"policies": {"web": {"learn": "web"}},
                                 "selectors": [{"match": {"image": "nginx"}, "policy": "web"}]})");
  REQUIRE(named.named_policies.size() == 1);
  CHECK(named.named_policies[0]->learn.workload == "web");
  CHECK(named.learn.workload.empty());
  CHECK(policy_error(R"({"policies": {"web": {"learn_dir": "/elsewhere"}}})").find("top level only") != std::string::npos);
}

Json spec_with_profile(const char* annotations = "{}") {
  Json spec = json(std::string(R"({"ociVersion": "1.0.2", "annotations": )") + annotations + R"(, "linux": {}})");
  field(&spec, "linux")->set("seccomp", json(kProfile));
  return spec;
}

TEST_CASE("learn plan: the policy's learn name rewrites the profile and names the recorder's work", "[learn]") {
  Policy p = policy_from(R"({"learn": "web", "learn_dir": "/srv/learn", "hook": "/usr/bin/oci-harden-hook",
                             "user_namespace": {"state_dir": "/run/oci-harden"}})");
  Json spec = spec_with_profile();
  const Json before = *field_at(spec, "linux.seccomp");
  LearnPlan plan = plan_learn(spec, p, p, "c1");
  REQUIRE(plan.active);
  CHECK(plan.why_not.empty());
  CHECK(plan.socket_path == "/run/oci-harden/c1/seccomp.sock");
  CHECK(string_field(field_at(spec, "linux.seccomp"), "listenerPath").value_or("") == plan.socket_path);
  CHECK(has(plan.recorder_args, "/srv/learn/web/c1.json"));
  CHECK(has(plan.recorder_args, seccomp_profile_digest(before)));
  CHECK(has(plan.recorder_args, "clone:0,socket:0.2"));
  CHECK(string_field(&plan.seccomp_record, "mode").value_or("") == "learn");
  CHECK(string_field(&plan.seccomp_record, "workload").value_or("") == "web");
}

TEST_CASE("learn plan: the annotation only where the top-level policy allows it, and a valid name", "[learn]") {
  const char* ann = R"({"org.oci-harden.learn": "db"})";
  Policy off = policy_from(R"({"hook": "/usr/bin/oci-harden-hook"})");
  Json spec = spec_with_profile(ann);
  CHECK_FALSE(plan_learn(spec, off, off, "c1").active);
  CHECK(field_at(spec, "linux.seccomp")->get("listenerPath") == nullptr);
  Policy on = policy_from(R"({"hook": "/usr/bin/oci-harden-hook", "learn_annotation": true})");
  LearnPlan plan = plan_learn(spec, on, on, "c1");
  CHECK(plan.active);
  CHECK(plan.workload == "db");
  Json bad = spec_with_profile(R"({"org.oci-harden.learn": "../x"})");
  LearnPlan refused = plan_learn(bad, on, on, "c1");
  CHECK_FALSE(refused.active);
  CHECK(refused.why_not.find("not a workload name") != std::string::npos);
}

TEST_CASE("learn plan: a spec with its own listener is not put in learn mode, and says why", "[learn]") {
  Policy p = policy_from(R"({"learn": "web", "hook": "/usr/bin/oci-harden-hook"})");
  Json spec = spec_with_profile();
  field_at(spec, "linux.seccomp")->set("listenerPath", Json::string("/run/agent.sock"));
  const Json before = spec;
  LearnPlan plan = plan_learn(spec, p, p, "c1");
  CHECK_FALSE(plan.active);
  CHECK(plan.why_not.find("own listener") != std::string::npos);
  CHECK(spec == before);
}

}  // namespace
}  // namespace oci_harden

namespace oci_harden {
namespace {

// A learned profile: the base profile's entries kept for read, write, openat and clone (with
// clone's conditions), the denials kept.
const char* const kLearned = R"({
  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {"names": ["read", "write", "openat"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 0}]}
  ]})";

Policy learned_policy(const char* mode, const char* action) {
  Policy p = policy_from(R"({"hook": "/usr/bin/oci-harden-hook", "user_namespace": {"state_dir": "/run/oci-harden"}})");
  p.learn.learned_path = "/etc/oci-harden/learned/web.json";
  p.learn.learned = json(kLearned);
  p.learn.learned_audit = std::string(mode) == "audit";
  p.learn.learned_kill = std::string(action) == "kill";
  return p;
}

std::string action_of(const Json& profile, const std::string& name) {
  auto es = entries_for(profile, name);
  return es.empty() ? std::string("(none)") : string_field(es[0], "action").value_or("");
}

TEST_CASE("seccomp_learned enforce errno: the learned profile, the generic's other allowed calls notified", "[learn]") {
  Policy p = learned_policy("enforce", "errno");
  Json spec = spec_with_profile();
  LearnPlan plan = plan_learn(spec, p, p, "c1");
  REQUIRE(plan.rewritten);
  REQUIRE(plan.active);
  CHECK(plan.workload == "web");
  CHECK(has(plan.recorder_args, "watch-errno"));
  const Json& installed = *field_at(spec, "linux.seccomp");
  CHECK(string_field(&installed, "listenerPath").value_or("") == "/run/oci-harden/c1/seccomp.sock");
  CHECK(action_of(installed, "openat") == "SCMP_ACT_ALLOW");
  CHECK(action_of(installed, "getdents64") == "SCMP_ACT_NOTIFY");  // generic allows, learned not
  CHECK(action_of(installed, "socket") == "SCMP_ACT_NOTIFY");
  const Json generic = json(kProfile);
  CHECK(*field(entries_for(installed, "socket")[0], "args") ==
        *field(&field(&generic, "syscalls")->items()[2], "args"));  // with the generic's conditions
  CHECK(action_of(installed, "unshare") == "(none)");  // denied by the learned default, as before
  CHECK(string_field(&plan.seccomp_record, "source").value_or("") == "learned");
  CHECK(string_field(&plan.seccomp_record, "mode").value_or("") == "enforce");
  CHECK(int_field(&plan.seccomp_record, "allowed").value_or(0) == 4);
  CHECK(int_field(&plan.seccomp_record, "generic_allowed").value_or(0) == 6);
}

TEST_CASE("seccomp_learned enforce kill: no listener, the extra calls kill", "[learn]") {
  Policy p = learned_policy("enforce", "kill");
  Json spec = spec_with_profile();
  LearnPlan plan = plan_learn(spec, p, p, "c1");
  CHECK(plan.rewritten);
  CHECK_FALSE(plan.active);
  const Json& installed = *field_at(spec, "linux.seccomp");
  CHECK(installed.get("listenerPath") == nullptr);
  CHECK(action_of(installed, "getdents64") == "SCMP_ACT_KILL_PROCESS");
}

TEST_CASE("seccomp_learned audit: the generic profile, the calls outside the learned one notified", "[learn]") {
  Policy p = learned_policy("audit", "errno");
  Json spec = spec_with_profile();
  LearnPlan plan = plan_learn(spec, p, p, "c1");
  REQUIRE(plan.active);
  CHECK(has(plan.recorder_args, "watch-continue"));
  const Json& installed = *field_at(spec, "linux.seccomp");
  CHECK(action_of(installed, "openat") == "SCMP_ACT_ALLOW");
  CHECK(action_of(installed, "getdents64") == "SCMP_ACT_NOTIFY");
  CHECK(action_of(installed, "unshare") == "SCMP_ACT_ERRNO");  // the generic's denial
  CHECK(string_field(&plan.seccomp_record, "mode").value_or("") == "audit");
}

TEST_CASE("seccomp_learned: never wider than the policy's profile, judged by effect", "[learn]") {
  Policy p = policy_from("{}");
  Json narrow = json(kLearned);
  CHECK(learned_profile_wider(narrow, p) == "");
  Json wide = narrow;
  field(&wide, "syscalls")->push_back(json(R"({"names": ["keyctl"], "action": "SCMP_ACT_ALLOW"})"));
  CHECK(learned_profile_wider(wide, p).find("lets through keyctl") != std::string::npos);
  // clone without its conditions lets CLONE_NEWUSER through, which the policy's profile denies
  Json clone_open = narrow;
  field(&clone_open, "syscalls")->push_back(json(R"({"names": ["clone"], "action": "SCMP_ACT_ALLOW"})"));
  CHECK(learned_profile_wider(clone_open, p).find("clone") != std::string::npos);
  Json open_default = json(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []})");
  CHECK(learned_profile_wider(open_default, p).find("default action") != std::string::npos);
  Json listener = narrow;
  listener.set("listenerPath", Json::string("/run/x.sock"));
  CHECK(learned_profile_wider(listener, p) != "");
}

TEST_CASE("seccomp_learned: policy keys", "[learn]") {
  Policy def = policy_from("{}");
  CHECK(def.learn.learned_path.empty());
  CHECK(policy_error(R"({"seccomp_learned": {"mode": "spy"}})").find("seccomp_learned.mode") != std::string::npos);
  CHECK(policy_error(R"({"seccomp_learned": {"action": "trap"}})").find("seccomp_learned.action") != std::string::npos);
  CHECK(policy_error(R"({"seccomp_learned": {"profile": "/nonexistent/web.json"}})").find("seccomp_learned.profile") !=
        std::string::npos);
  CHECK(policy_error(R"({"learn": "web", "seccomp_learned": {"profile": "/nonexistent/web.json"}})").find("not both") !=
        std::string::npos);
}

}  // namespace
}  // namespace oci_harden

namespace oci_harden {
namespace {

TEST_CASE("seccomp record of a container neither recorded nor under a learned profile", "[learn]") {
  Policy p = policy_from("{}");
  Json spec = spec_with_profile();
  Json rec = plain_seccomp_record(spec, p, true);
  CHECK(string_field(&rec, "source").value_or("") == "policy");
  CHECK(string_field(&rec, "profile").value_or("") == "built-in");
  // No digest or counts for a plain container: they would cost every create (see the function).
  CHECK(rec.get("digest") == nullptr);
  CHECK(rec.get("allowed") == nullptr);
  CHECK(rec.get("generic_allowed") == nullptr);
  const Json kept = plain_seccomp_record(spec, p, false);
  CHECK(string_field(&kept, "source").value_or("") == "spec");
  Json none = json(R"({"linux": {}})");
  CHECK(plain_seccomp_record(none, p, true).is_null());
}

}  // namespace
}  // namespace oci_harden

namespace oci_harden {
namespace {

TEST_CASE("a spec rewritten for learn mode before is planned afresh, not refused as a foreign listener", "[learn]") {
  Policy p = policy_from(R"({"learn": "web", "hook": "/usr/bin/oci-harden-hook",
                             "user_namespace": {"state_dir": "/run/oci-harden"}})");
  Json spec = spec_with_profile();
  REQUIRE(plan_learn(spec, p, p, "c1").active);
  Json again = spec;
  CHECK(drop_own_rewrite(again, p, "c2").empty());  // another container's socket: not ours to drop
  CHECK(field_at(again, "linux.seccomp") != nullptr);
  CHECK(drop_own_rewrite(again, p, "c1").find("own recorder socket") != std::string::npos);
  CHECK(field_at(again, "linux.seccomp") == nullptr);
  Json foreign = spec_with_profile();
  field_at(foreign, "linux.seccomp")->set("listenerPath", Json::string("/run/agent.sock"));
  CHECK(drop_own_rewrite(foreign, p, "c1").empty());
}

}  // namespace
}  // namespace oci_harden
