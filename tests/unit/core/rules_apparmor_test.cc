// Rule "apparmor": the policy's profile set where the host has AppArmor, the profile is loaded
// and the spec names none; a profile or SELinux label the spec has kept; on a host without
// AppArmor, or without the profile, nothing changed and a note recorded. On FakeHost.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "shim/host/audit.hh"
#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/host/real_host.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kOrigin = "/etc/oci-harden/policy.json";

Json parse(const std::string& text) {
  auto spec = parse_spec(text);
  INFO(text);
  REQUIRE(spec.ok());
  return std::move(*spec);
}

// A spec whose process has `process_extra` ("" or `"key": value, ...`) beside args.
Json spec_with(const std::string& process_extra, const std::string& linux_extra = "") {
  return parse(R"({"process": {"args": ["sh"])" + std::string(process_extra.empty() ? "" : ", ") +
               process_extra + R"(}, "root": {"path": "rootfs"}, "linux": {)" + linux_extra + "}}");
}

Policy policy(const std::string& text = "{}") {
  auto p = parse_policy(text, kOrigin);
  INFO(text);
  if (!p) FAIL("parse_policy refused: " << p.error().message);
  return std::move(*p);
}

FakeHost apparmor_host(std::initializer_list<const char*> loaded = {"docker-default"}) {
  FakeHost h;
  h.apparmor = true;
  for (const char* name : loaded) h.apparmor_profiles.insert(name);
  return h;
}

struct Outcome {
  Json spec;
  std::vector<Change> changes;
  std::vector<Refusal> refusals;
  std::vector<Note> notes;
};

Outcome run(Json spec, const Policy& p, const FakeHost& host) {
  Invocation inv{"create", "c1", "/bundles/c1"};
  RuleContext ctx(spec, p, host, inv);
  ctx.begin_rule("apparmor");
  rule_apparmor(ctx);
  return Outcome{spec, ctx.changes(), ctx.refusals(), ctx.notes()};
}

std::string profile_of(const Json& spec) {
  return string_field(field_at(spec, "process"), "apparmorProfile").value_or("(absent)");
}

}  // namespace

TEST_CASE("apparmor: sets docker-default where the host has it loaded and the spec has none",
          "[rules][apparmor]") {
  Outcome o = run(spec_with(""), policy(), apparmor_host());
  CHECK(profile_of(o.spec) == "docker-default");
  REQUIRE(o.changes.size() == 1);
  CHECK(o.changes[0].rule == "apparmor");
  CHECK(o.changes[0].path == "process.apparmorProfile");
  CHECK(o.changes[0].before.is_null());
  CHECK(to_json(o.changes[0].after) == R"("docker-default")");
  CHECK(o.refusals.empty());
  CHECK(o.notes.empty());
}

TEST_CASE("apparmor: an empty apparmorProfile counts as none", "[rules][apparmor]") {
  Outcome o = run(spec_with(R"("apparmorProfile": "")"), policy(), apparmor_host());
  CHECK(profile_of(o.spec) == "docker-default");
  REQUIRE(o.changes.size() == 1);
  CHECK(to_json(o.changes[0].before) == R"("")");
}

TEST_CASE("apparmor: the policy's apparmor.profile is set when loaded", "[rules][apparmor]") {
  Policy p = policy(R"({"apparmor": {"profile": "oci-harden-strict"}})");
  CHECK(p.apparmor_profile == "oci-harden-strict");
  Outcome o = run(spec_with(""), p, apparmor_host({"docker-default", "oci-harden-strict"}));
  CHECK(profile_of(o.spec) == "oci-harden-strict");
  CHECK(o.changes.size() == 1);
  CHECK(o.notes.empty());
}

TEST_CASE("apparmor: a profile the policy names that is not loaded changes nothing and is noted",
          "[rules][apparmor]") {
  Policy p = policy(R"({"apparmor": {"profile": "oci-harden-strict"}})");
  // docker-default is loaded, but the administrator asked for another: no silent fallback.
  Json spec = spec_with("");
  Outcome o = run(spec, p, apparmor_host({"docker-default"}));
  CHECK(o.spec == spec);
  CHECK(o.changes.empty());
  CHECK(o.refusals.empty());
  REQUIRE(o.notes.size() == 1);
  CHECK(o.notes[0].rule == "apparmor");
  CHECK(o.notes[0].text.find("\"oci-harden-strict\" is not loaded") != std::string::npos);
}

TEST_CASE("apparmor: a profile the spec already has is kept", "[rules][apparmor]") {
  for (const char* profile : {"docker-default", "cri-containerd.apparmor.d", "my-app"}) {
    INFO(profile);
    Json spec = spec_with(std::string(R"("apparmorProfile": ")") + profile + "\"");
    Outcome o = run(spec, policy(R"({"apparmor": {"profile": "oci-harden-strict"}})"),
                    apparmor_host({"docker-default", "oci-harden-strict"}));
    CHECK(o.spec == spec);
    CHECK(o.changes.empty());
    CHECK(o.notes.empty());
  }
}

TEST_CASE("apparmor: an unconfined profile is replaced by the policy's", "[rules][apparmor]") {
  SECTION("\"unconfined\" (apparmor=unconfined, --privileged)") {
    Outcome o = run(spec_with(R"("apparmorProfile": "unconfined")"), policy(), apparmor_host());
    CHECK(profile_of(o.spec) == "docker-default");
    REQUIRE(o.changes.size() == 1);
    CHECK(to_json(o.changes[0].before) == R"("unconfined")");
    CHECK(o.refusals.empty());
  }
  SECTION("a profile loaded in unconfined or complain mode confines nothing either") {
    FakeHost host = apparmor_host({"docker-default", "lax", "learning"});
    host.apparmor_modes["lax"] = "unconfined";
    host.apparmor_modes["learning"] = "complain";
    CHECK(profile_of(run(spec_with(R"("apparmorProfile": "lax")"), policy(), host).spec) == "docker-default");
    CHECK(profile_of(run(spec_with(R"("apparmorProfile": "learning")"), policy(), host).spec) ==
          "docker-default");
  }
  SECTION("the policy's own profile, whatever its name") {
    Outcome o = run(spec_with(R"("apparmorProfile": "unconfined")"),
                    policy(R"({"apparmor": {"profile": "strict"}})"), apparmor_host({"strict"}));
    CHECK(profile_of(o.spec) == "strict");
  }
  SECTION("refused when the policy's profile is not loaded: nothing could replace it") {
    Json spec = spec_with(R"("apparmorProfile": "unconfined")");
    Outcome o = run(spec, policy(), apparmor_host({}));
    CHECK(o.spec == spec);
    REQUIRE(o.refusals.size() == 1);
    CHECK(o.refusals[0].reason ==
          "process.apparmorProfile is \"unconfined\" (no AppArmor confinement), and the policy's "
          "profile \"docker-default\" that would replace it is not loaded on the host "
          "(/sys/kernel/security/apparmor/profiles)");
  }
}

TEST_CASE("apparmor: apparmor.unconfined \"refuse\" refuses instead", "[rules][apparmor]") {
  Policy p = policy(R"({"apparmor": {"unconfined": "refuse"}})");
  CHECK(p.apparmor_unconfined == AppArmorUnconfined::kRefuse);
  Json spec = spec_with(R"("apparmorProfile": "unconfined")");
  Outcome o = run(spec, p, apparmor_host());
  CHECK(o.spec == spec);
  CHECK(o.changes.empty());
  REQUIRE(o.refusals.size() == 1);
  CHECK(o.refusals[0].reason == "process.apparmorProfile is \"unconfined\" (no AppArmor confinement) "
                                "(the policy's apparmor.unconfined is \"refuse\")");
  SECTION("a confining profile the spec names still passes") {
    FakeHost host = apparmor_host({"docker-default", "mine"});
    Json mine = spec_with(R"("apparmorProfile": "mine")");
    Outcome m = run(mine, p, host);
    CHECK(m.spec == mine);
    CHECK(m.refusals.empty());
  }
  SECTION("an unknown word is a policy error") {
    auto bad = parse_policy(R"({"apparmor": {"unconfined": "allow"}})", kOrigin);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("apparmor.unconfined") != std::string::npos);
  }
}

TEST_CASE("apparmor: other spellings are other profile names, kept (runc fails on an unloaded one)",
          "[rules][apparmor]") {
  for (const char* name : {"Unconfined", "UNCONFINED", " unconfined", "unconfined "}) {
    Json spec = spec_with(std::string(R"("apparmorProfile": ")") + name + "\"");
    Outcome o = run(spec, policy(), apparmor_host());
    INFO(name);
    CHECK(o.spec == spec);
    CHECK(o.refusals.empty());
  }
}

TEST_CASE("apparmor: \"unconfined\" on a host without AppArmor is kept, and noted",
          "[rules][apparmor]") {
  Json spec = spec_with(R"("apparmorProfile": "unconfined")");
  Outcome o = run(spec, policy(), FakeHost());
  CHECK(o.spec == spec);
  CHECK(o.changes.empty());
  CHECK(o.refusals.empty());
  REQUIRE(o.notes.size() == 1);
  CHECK(o.notes[0].text.find("unconfined") != std::string::npos);
}

TEST_CASE("apparmor: SELinux labels are never removed or replaced", "[rules][apparmor]") {
  Json spec = spec_with(R"("selinuxLabel": "system_u:system_r:container_t:s0:c1,c2")",
                        R"("mountLabel": "system_u:object_r:container_file_t:s0:c1,c2")");
  Outcome o = run(spec, policy(), apparmor_host());
  CHECK(profile_of(o.spec) == "docker-default");
  CHECK(string_field(field_at(o.spec, "process"), "selinuxLabel").value_or("") ==
        "system_u:system_r:container_t:s0:c1,c2");
  CHECK(string_field(field_at(o.spec, "linux"), "mountLabel").value_or("") ==
        "system_u:object_r:container_file_t:s0:c1,c2");
  REQUIRE(o.changes.size() == 1);
  CHECK(o.changes[0].path == "process.apparmorProfile");
}

TEST_CASE("apparmor: a host without AppArmor changes nothing, and the note says why",
          "[rules][apparmor]") {
  FakeHost host;  // apparmor = false
  host.apparmor_profiles.insert("docker-default");  // not consulted: AppArmor is off
  Json spec = spec_with("");
  Outcome o = run(spec, policy(), host);
  CHECK(o.spec == spec);
  CHECK(o.changes.empty());
  CHECK(o.refusals.empty());
  REQUIRE(o.notes.size() == 1);
  CHECK(o.notes[0].rule == "apparmor");
  CHECK(o.notes[0].text.find("no AppArmor") != std::string::npos);
}

TEST_CASE("apparmor: AppArmor without docker-default loaded changes nothing, noted",
          "[rules][apparmor]") {
  Json spec = spec_with("");
  Outcome o = run(spec, policy(), apparmor_host({"lsb_release", "man_filter"}));
  CHECK(o.spec == spec);
  CHECK(o.changes.empty());
  REQUIRE(o.notes.size() == 1);
  CHECK(o.notes[0].text.find("\"docker-default\" is not loaded") != std::string::npos);
}

TEST_CASE("apparmor: a spec without a process is left alone", "[rules][apparmor]") {
  Json spec = parse(R"({"root": {"path": "rootfs"}})");
  Outcome o = run(spec, policy(), apparmor_host());
  CHECK(o.spec == spec);
  CHECK(o.changes.empty());
  CHECK(o.notes.empty());
}

TEST_CASE("apparmor: harden_spec carries the notes; the rule can be disabled, not opted out of",
          "[rules][apparmor][harden]") {
  Invocation inv{"create", "c1", "/bundles/c1"};
  Policy p = policy();
  CHECK(p.apparmor_profile.empty());

  FakeHost plain;
  Decision d = harden_spec(spec_with(""), p, plain, inv);
  bool noted = false;
  for (const Note& n : d.notes) noted = noted || n.rule == "apparmor";
  CHECK(noted);

  Decision set = harden_spec(spec_with(""), p, apparmor_host(), inv);
  CHECK(profile_of(set.spec) == "docker-default");

  // Not in the default opt_out_allowed: the annotation is refused, the profile still set.
  // Namespaces of its own, so that only the opt-out can refuse it.
  Json asking = spec_with("", R"("namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
                                                {"type": "mount"}, {"type": "network"}])");
  ensure_object(asking, "annotations").set_exact(p.opt_out_annotation, Json::string("apparmor"));
  Decision denied = harden_spec(asking, p, apparmor_host(), inv);
  CHECK(denied.opt_outs.denied == std::vector<std::string>{"apparmor"});
  REQUIRE(denied.refusals.size() == 1);
  CHECK(denied.refusals[0].rule == "opt-out");
  CHECK(profile_of(denied.spec) == "docker-default");

  // An administrator who allows it: the rule is skipped.
  Policy allowing = policy(R"({"opt_out_allowed": ["apparmor"]})");
  Decision granted = harden_spec(asking, allowing, apparmor_host(), inv);
  CHECK(granted.opt_outs.granted == std::vector<std::string>{"apparmor"});
  CHECK(granted.refusals.empty());
  CHECK(profile_of(granted.spec) == "(absent)");

  Decision disabled = harden_spec(spec_with(""), policy(R"({"disabled_rules": ["apparmor"]})"),
                                  apparmor_host(), inv);
  CHECK(profile_of(disabled.spec) == "(absent)");
  for (const Note& n : disabled.notes) CHECK(n.rule != "apparmor");
}

TEST_CASE("apparmor: the policy key is typed and checked", "[rules][apparmor][policy]") {
  for (const char* bad : {R"({"apparmor": {"profile": 1}})", R"({"apparmor": "docker-default"})",
                          R"({"apparmor": {"profil": "x"}})", R"({"apparmor": {"profile": "unconfined"}})",
                          R"({"apparmor": {"profile": "a\nb"}})"}) {
    INFO(bad);
    auto p = parse_policy(bad, kOrigin);
    REQUIRE(!p.ok());
    CHECK(p.error().code == ErrorCode::kPolicy);
    CHECK(p.error().message.find("apparmor") != std::string::npos);
  }
}

TEST_CASE("apparmor: notes reach the audit record", "[rules][apparmor][audit]") {
  Policy p = policy();
  std::vector<Note> notes = {{"apparmor", "the host has no AppArmor: no profile set"}};
  AuditEvent e;
  e.event = "create";
  e.decision = "unchanged";
  e.policy = &p;
  e.notes = &notes;
  auto r = parse_json(audit_record(e, 1700000000000000LL));
  REQUIRE(r.ok());
  const Json* got = r->get_exact("notes");
  REQUIRE(got != nullptr);
  CHECK(to_json(*got) == R"([{"rule":"apparmor","note":"the host has no AppArmor: no profile set"}])");

  AuditEvent none;
  auto r2 = parse_json(audit_record(none, 1700000000000000LL));
  REQUIRE(r2.ok());
  REQUIRE(r2->get_exact("notes") != nullptr);
  CHECK(to_json(*r2->get_exact("notes")) == "[]");
}

TEST_CASE("apparmor: the profiles list is read by whole names", "[host][apparmor]") {
  const std::string list =
      "docker-default (enforce)\n"
      "/usr/bin/man (complain)\n"
      "cri-containerd.apparmor.d (enforce)\n"
      "name with spaces (enforce)\n"
      "/usr/sbin/tcpdump//child (kill)\n";
  CHECK(apparmor_profiles_list_has(list, "docker-default"));
  CHECK(apparmor_profiles_list_has(list, "/usr/bin/man"));
  CHECK(apparmor_profiles_list_has(list, "cri-containerd.apparmor.d"));
  CHECK(apparmor_profiles_list_has(list, "name with spaces"));
  CHECK(apparmor_profiles_list_has(list, "/usr/sbin/tcpdump//child"));
  CHECK(!apparmor_profiles_list_has(list, "docker"));
  CHECK(!apparmor_profiles_list_has(list, "docker-default-x"));
  CHECK(!apparmor_profiles_list_has(list, "name"));
  CHECK(!apparmor_profiles_list_has(list, "enforce"));
  CHECK(!apparmor_profiles_list_has(list, ""));
  CHECK(!apparmor_profiles_list_has("", "docker-default"));
  CHECK(!apparmor_profiles_list_has("docker-default", "docker-default"));  // no mode: not a line
}

TEST_CASE("apparmor: RealHost answers from /sys/kernel/security/apparmor/profiles",
          "[host][apparmor]") {
  std::ifstream in("/sys/kernel/security/apparmor/profiles");
  std::stringstream text;
  if (in) text << in.rdbuf();
  bool expected = apparmor_profiles_list_has(text.str(), "docker-default");
  CHECK(real_host().apparmor_profile_loaded("docker-default") == expected);
  CHECK(!real_host().apparmor_profile_loaded(""));
  CHECK(!real_host().apparmor_profile_loaded("oci-harden-no-such-profile"));
  if (!real_host().apparmor_enabled()) CHECK(!expected);
}

}  // namespace oci_harden

namespace oci_harden {

TEST_CASE("apparmor: the restricted preset refuses an unconfined profile", "[rules][apparmor]") {
  std::ifstream in("profiles/policy-restricted.json", std::ios::binary);
  REQUIRE(in.good());  // run from the repository's root, as make runs it
  std::ostringstream text;
  text << in.rdbuf();
  auto p = parse_policy(text.str(), "/etc/oci-harden/policy.json");
  REQUIRE(p.ok());
  CHECK(p->apparmor_unconfined == AppArmorUnconfined::kRefuse);
  CHECK(builtin_policy()->apparmor_unconfined == AppArmorUnconfined::kReplace);
}

}  // namespace oci_harden
