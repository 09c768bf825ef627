// The whole decision: opt-outs read from the annotation and honoured only where the policy
// allows, every refusing rule named, and hardening a hardened spec changes nothing.

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/harden.hh"
#include "shim/core/hook_plan.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";
const char* const kRootfs = "/bundles/c1/rootfs";
const char* const kOptOut = "org.oci-harden.opt-out";

std::string data_file(const std::string& name) {
  std::string here = __FILE__;
  std::string path = here.substr(0, here.rfind('/') + 1) + "../data/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The output of `runc spec` (runc 1.1.5), root made writable so readonly-rootfs has work to do.
Json runc_spec(bool writable_root = true) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  if (writable_root) field(&spec, "root")->set("readonly", Json::boolean(false));
  return spec;
}

Policy test_policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();  // independent of where the test binary happens to sit
  return out;
}

FakeHost test_host() {
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  return host;
}

Invocation inv() { return Invocation{"create", "c1", kBundle}; }

void set_opt_out(Json& spec, const std::string& value) {
  ensure_object(spec, "annotations").set_exact(kOptOut, Json::string(value));
}

bool has_change_by(const Decision& d, const std::string& rule) {
  return std::any_of(d.changes.begin(), d.changes.end(), [&](const Change& c) { return c.rule == rule; });
}

bool has_change_at(const Decision& d, const std::string& rule, const std::string& path) {
  return std::any_of(d.changes.begin(), d.changes.end(),
                     [&](const Change& c) { return c.rule == rule && c.path == path; });
}

std::vector<std::string> refusing_rules(const Decision& d) {
  std::vector<std::string> out;
  for (const Refusal& r : d.refusals) {
    if (std::find(out.begin(), out.end(), r.rule) == out.end()) out.push_back(r.rule);
  }
  return out;
}

std::string describe(const Decision& d) {
  std::string s;
  for (const Refusal& r : d.refusals) s += "refusal " + r.rule + ": " + r.reason + "\n";
  for (const Change& c : d.changes) s += "change " + c.rule + " " + c.path + "\n";
  return s;
}

}  // namespace

TEST_CASE("harden: parse_opt_out_list", "[harden]") {
  using V = std::vector<std::string>;
  CHECK(parse_opt_out_list("") == V{});
  CHECK(parse_opt_out_list(" , ,\t,") == V{});
  CHECK(parse_opt_out_list("readonly-rootfs") == V{"readonly-rootfs"});
  CHECK(parse_opt_out_list(" readonly-rootfs , pids-limit ") == V{"readonly-rootfs", "pids-limit"});
  CHECK(parse_opt_out_list("pids-limit,pids-limit, pids-limit") == V{"pids-limit"});
  CHECK(parse_opt_out_list("a,,b,") == V{"a", "b"});
  CHECK(parse_opt_out_list("\treadonly-rootfs\n") == V{"readonly-rootfs"});
  CHECK(parse_opt_out_list("READONLY-ROOTFS,readonly-rootfs") == V{"READONLY-ROOTFS", "readonly-rootfs"});
  CHECK(parse_opt_out_list("a b") == V{"a b"});
}

TEST_CASE("harden: without opt-outs the rules rewrite a runc spec", "[harden]") {
  Decision d = harden_spec(runc_spec(), test_policy(), test_host(), inv());
  INFO(describe(d));
  CHECK_FALSE(d.refused());
  CHECK(has_change_at(d, "readonly-rootfs", "root.readonly"));
  CHECK(has_change_at(d, "pids-limit", "linux.resources.pids.limit"));
  CHECK(has_change_at(d, "no-new-privileges", "process.noNewPrivileges") == false);  // runc spec has it
  CHECK(has_change_at(d, "capabilities", "process.capabilities.ambient"));
  CHECK(d.opt_outs.requested.empty());
  CHECK(d.opt_outs.granted.empty());
  CHECK(d.opt_outs.denied.empty());
  CHECK(bool_field(field(&d.spec, "root"), "readonly") == std::optional<bool>(true));
  CHECK(int_field(field_at(d.spec, "linux.resources.pids"), "limit") == std::optional<int64_t>(1024));
}

TEST_CASE("harden: an allowed opt-out skips its rule", "[harden]") {
  Json spec = runc_spec();
  set_opt_out(spec, "readonly-rootfs");
  Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
  INFO(describe(d));
  CHECK_FALSE(d.refused());
  CHECK(d.opt_outs.requested == std::vector<std::string>{"readonly-rootfs"});
  CHECK(d.opt_outs.granted == std::vector<std::string>{"readonly-rootfs"});
  CHECK(d.opt_outs.denied.empty());
  CHECK_FALSE(has_change_by(d, "readonly-rootfs"));
  CHECK(bool_field(field(&d.spec, "root"), "readonly") == std::optional<bool>(false));
  // Other rules still ran.
  CHECK(has_change_by(d, "pids-limit"));
  CHECK(has_change_by(d, "capabilities"));
}

TEST_CASE("harden: whitespace is trimmed and duplicates collapsed", "[harden]") {
  Json spec = runc_spec();
  set_opt_out(spec, " readonly-rootfs , pids-limit ,readonly-rootfs");
  Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
  INFO(describe(d));
  CHECK_FALSE(d.refused());
  CHECK(d.opt_outs.requested == (std::vector<std::string>{"readonly-rootfs", "pids-limit"}));
  CHECK(d.opt_outs.granted == (std::vector<std::string>{"readonly-rootfs", "pids-limit"}));
  CHECK(d.opt_outs.denied.empty());
  CHECK_FALSE(has_change_by(d, "readonly-rootfs"));
  CHECK_FALSE(has_change_by(d, "pids-limit"));
  CHECK(field_at(d.spec, "linux.resources.pids") == nullptr);
  CHECK(has_change_by(d, "memory-limit"));
}

TEST_CASE("harden: an empty opt-out asks for nothing", "[harden]") {
  for (const char* value : {"", " ", ",", " , "}) {
    INFO("annotation value \"" << value << "\"");
    Json spec = runc_spec();
    set_opt_out(spec, value);
    Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
    CHECK_FALSE(d.refused());
    CHECK(d.opt_outs.requested.empty());
    CHECK(d.opt_outs.granted.empty());
    CHECK(d.opt_outs.denied.empty());
    CHECK(has_change_by(d, "readonly-rootfs"));
  }
}

TEST_CASE("harden: an opt-out the policy does not allow is refused by rule opt-out", "[harden]") {
  Json spec = runc_spec();
  set_opt_out(spec, "capabilities");
  Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
  CHECK(d.opt_outs.requested == std::vector<std::string>{"capabilities"});
  CHECK(d.opt_outs.granted.empty());
  CHECK(d.opt_outs.denied == std::vector<std::string>{"capabilities"});
  REQUIRE(d.refusals.size() == 1);
  CHECK(d.refusals[0].rule == "opt-out");
  CHECK(d.refusals[0].reason ==
        "annotation org.oci-harden.opt-out asks to skip capabilities, which the policy does not allow "
        "(opt_out_allowed)");
  // The rule was not skipped.
  CHECK(has_change_at(d, "capabilities", "process.capabilities.ambient"));
  CHECK(refusal_message(d.refusals) ==
        "refused by opt-out: annotation org.oci-harden.opt-out asks to skip capabilities, which the policy "
        "does not allow (opt_out_allowed)");
}

TEST_CASE("harden: unknown ids, other spellings", "[harden]") {
  SECTION("an unknown id") {
    Json spec = runc_spec();
    set_opt_out(spec, "no-such-rule");
    Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
    CHECK(d.opt_outs.denied == std::vector<std::string>{"no-such-rule"});
    REQUIRE(d.refusals.size() == 1);
    CHECK(d.refusals[0].rule == "opt-out");
    CHECK(d.refusals[0].reason == "annotation org.oci-harden.opt-out names unknown rule \"no-such-rule\"");
  }
  SECTION("a different case is a different (unknown) id") {
    Json spec = runc_spec();
    set_opt_out(spec, "READONLY-ROOTFS");
    Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
    CHECK(d.opt_outs.granted.empty());
    CHECK(d.opt_outs.denied == std::vector<std::string>{"READONLY-ROOTFS"});
    REQUIRE(d.refusals.size() == 1);
    CHECK(d.refusals[0].reason == "annotation org.oci-harden.opt-out names unknown rule \"READONLY-ROOTFS\"");
    CHECK(has_change_by(d, "readonly-rootfs"));
  }
  SECTION("operation rules and opt-out itself cannot be opted out of") {
    Json spec = runc_spec();
    set_opt_out(spec, "exec,update,opt-out");
    Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
    CHECK(d.opt_outs.granted.empty());
    CHECK(d.opt_outs.denied == (std::vector<std::string>{"exec", "update", "opt-out"}));
    CHECK(d.refusals.size() == 3);
  }
  SECTION("mixed: allowed ones granted, the rest denied") {
    Json spec = runc_spec();
    set_opt_out(spec, "pids-limit,seccomp,bogus");
    Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
    CHECK(d.opt_outs.granted == std::vector<std::string>{"pids-limit"});
    CHECK(d.opt_outs.denied == (std::vector<std::string>{"seccomp", "bogus"}));
    CHECK(d.refusals.size() == 2);
    CHECK_FALSE(has_change_by(d, "pids-limit"));
    CHECK(has_change_by(d, "seccomp"));
  }
  SECTION("the annotation key is a map key: exact case only") {
    Json spec = runc_spec();
    ensure_object(spec, "annotations").set_exact("Org.oci-harden.opt-out", Json::string("readonly-rootfs"));
    Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
    CHECK(d.opt_outs.requested.empty());
    CHECK(has_change_by(d, "readonly-rootfs"));
  }
  SECTION("a non-string annotation value asks for nothing") {
    Json spec = runc_spec();
    ensure_object(spec, "annotations").set_exact(kOptOut, Json::array({Json::string("readonly-rootfs")}));
    Decision d = harden_spec(std::move(spec), test_policy(), test_host(), inv());
    CHECK(d.opt_outs.requested.empty());
    CHECK(has_change_by(d, "readonly-rootfs"));
  }
  SECTION("the policy names the annotation") {
    Policy p = test_policy();
    p.opt_out_annotation = "example.com/skip";
    Json spec = runc_spec();
    set_opt_out(spec, "readonly-rootfs");  // the default key: not this policy's
    ensure_object(spec, "annotations").set_exact("example.com/skip", Json::string("pids-limit"));
    Decision d = harden_spec(std::move(spec), p, test_host(), inv());
    CHECK(d.opt_outs.granted == std::vector<std::string>{"pids-limit"});
    CHECK(has_change_by(d, "readonly-rootfs"));
  }
}

TEST_CASE("harden: opt_out_denied ignore records but does not refuse", "[harden]") {
  Policy p = test_policy();
  p.opt_out_denied = OptOutDenied::kIgnore;
  Json spec = runc_spec();
  set_opt_out(spec, "capabilities,nonsense,readonly-rootfs");
  Decision d = harden_spec(std::move(spec), p, test_host(), inv());
  INFO(describe(d));
  CHECK_FALSE(d.refused());
  CHECK(d.opt_outs.granted == std::vector<std::string>{"readonly-rootfs"});
  CHECK(d.opt_outs.denied == (std::vector<std::string>{"capabilities", "nonsense"}));
  CHECK(has_change_by(d, "capabilities"));
  CHECK_FALSE(has_change_by(d, "readonly-rootfs"));
}

TEST_CASE("harden: disabled rules do not run", "[harden]") {
  Policy p = test_policy();
  p.disabled_rules = {"readonly-rootfs", "pids-limit"};
  Decision d = harden_spec(runc_spec(), p, test_host(), inv());
  CHECK_FALSE(has_change_by(d, "readonly-rootfs"));
  CHECK_FALSE(has_change_by(d, "pids-limit"));
  CHECK(has_change_by(d, "memory-limit"));
}

TEST_CASE("harden: refusal_message names every refusing rule once", "[harden]") {
  CHECK(refusal_message({{"a", "r1"}, {"b", "r2"}}) == "refused by a, b: r1; r2");
  CHECK(refusal_message({{"a", "r1"}, {"a", "r2"}, {"b", "r3"}}) == "refused by a, b: r1; r2; r3");
  CHECK(refusal_message({{"x", "only"}}) == "refused by x: only");
}

TEST_CASE("harden: a privileged spec that mounts the Docker socket names both rules", "[harden]") {
  FakeHost host = test_host();
  Json spec = runc_spec();
  std::vector<std::string> all;
  for (int n = 0; n <= host.last_cap; ++n) all.push_back(capability_name(n));
  Json& caps = *field_at(spec, "process.capabilities");
  for (const char* set : {"bounding", "effective", "permitted"}) caps.set(set, string_array(all));
  Json mount = Json::object();
  mount.set("destination", Json::string("/var/run/docker.sock"));
  mount.set("type", Json::string("bind"));
  mount.set("source", Json::string("/var/run/docker.sock"));
  mount.set("options", string_array({"rbind", "rprivate"}));
  field(&spec, "mounts")->push_back(mount);
  set_opt_out(spec, "capabilities");

  Decision d = harden_spec(std::move(spec), test_policy(), host, inv());
  INFO(describe(d));
  REQUIRE(d.refused());
  std::vector<std::string> rules = refusing_rules(d);
  CHECK(std::find(rules.begin(), rules.end(), "privileged") != rules.end());
  CHECK(std::find(rules.begin(), rules.end(), "sensitive-mounts") != rules.end());
  CHECK(std::find(rules.begin(), rules.end(), "opt-out") != rules.end());
  std::string msg = refusal_message(d.refusals);
  CHECK(msg.rfind("refused by privileged, sensitive-mounts, opt-out: ", 0) == 0);
  CHECK(msg.find("docker.sock") != std::string::npos);
  CHECK(msg.find("capabilities") != std::string::npos);
  // Every reason is in the message.
  for (const Refusal& r : d.refusals) CHECK(msg.find(r.reason) != std::string::npos);
}

TEST_CASE("verify-hook: a timeout on the hook entries, except under crun", "[harden]") {
  Policy policy = test_policy();
  policy.hook_path = "/usr/libexec/oci-harden/oci-harden-hook";
  FakeHost host = test_host();
  struct Case {
    const char* runtime;
    bool timeout;
  };
  for (const Case& c : {Case{"/usr/bin/runc", true}, Case{"/usr/local/sbin/runc", true},
                        Case{"/usr/bin/crun", false}, Case{"/opt/crun-1.8/bin/crun", false},
                        Case{"/usr/bin/crun-wrapper", true}}) {
    INFO(c.runtime);
    policy.runtime = c.runtime;
    Invocation run{"run", "c1", kBundle};  // both hooks (hook_plan.hh)
    Decision d = harden_spec(runc_spec(), policy, host, run);
    REQUIRE_FALSE(d.refused());
    for (const char* stage : {"poststart", "poststop"}) {
      INFO(stage);
      const Json* list = field(field(&d.spec, "hooks"), stage);
      REQUIRE(list != nullptr);
      REQUIRE(list->items().size() == 1);
      const Json* timeout = field(&list->items()[0], "timeout");
      if (c.timeout) {
        REQUIRE(timeout != nullptr);
        CHECK(to_json(*timeout) == "10");
      } else {
        CHECK(timeout == nullptr);
      }
    }
  }
}

// issue 14: the hooks only where oci-harden's own create and delete do not do their work.
TEST_CASE("verify-hook: which hooks a spec gets, by command, runtime and --pid-file", "[harden]") {
  Policy policy = test_policy();
  policy.hook_path = "/usr/libexec/oci-harden/oci-harden-hook";
  FakeHost host = test_host();
  struct Case {
    const char* event;
    const char* runtime;
    bool pid_file;
    bool poststart, poststop;       // the spec's hooks
    bool verify_after, stop_after;  // oci-harden's own work
  };
  for (const Case& c : {Case{"create", "/usr/bin/runc", true, false, false, true, true},
                        Case{"create", "/usr/bin/runc", false, true, false, false, true},
                        Case{"create", "/usr/bin/crun", true, true, false, false, true},
                        Case{"run", "/usr/bin/runc", true, true, true, false, false},
                        Case{"restore", "/usr/bin/runc", true, true, true, false, false}}) {
    INFO(c.event << " " << c.runtime << " pid_file " << c.pid_file);
    policy.runtime = c.runtime;
    Invocation i{c.event, "c1", kBundle};
    i.pid_file = c.pid_file;
    HookPlan plan = hook_plan(policy, i);
    CHECK(plan.poststart_hook == c.poststart);
    CHECK(plan.poststop_hook == c.poststop);
    CHECK(plan.verify_after_create == c.verify_after);
    CHECK(plan.stop_at_delete == c.stop_after);
    Decision d = harden_spec(runc_spec(), policy, host, i);
    REQUIRE_FALSE(d.refused());
    const Json* hooks = field(&d.spec, "hooks");
    const Json* start = field(hooks, "poststart");
    const Json* stop = field(hooks, "poststop");
    CHECK((start != nullptr && start->items().size() == 1) == c.poststart);
    CHECK((stop != nullptr && stop->items().size() == 1) == c.poststop);
  }
  // Rootless (no state_dir of its own): both hooks, as before.
  policy.runtime = "/usr/bin/runc";
  Invocation rootless{"create", "c1", kBundle};
  rootless.pid_file = true;
  rootless.rootless = true;
  HookPlan hooks = hook_plan(policy, rootless);
  CHECK(hooks.poststart_hook);
  CHECK(hooks.poststop_hook);
  CHECK_FALSE(hooks.verify_after_create);
  CHECK_FALSE(hooks.stop_at_delete);
  // No hook, no work of oci-harden's either.
  policy.hook_path.clear();
  Invocation create{"create", "c1", kBundle};
  create.pid_file = true;
  HookPlan none = hook_plan(policy, create);
  CHECK_FALSE(none.poststart_hook);
  CHECK_FALSE(none.poststop_hook);
  CHECK_FALSE(none.verify_after_create);
  CHECK_FALSE(none.stop_at_delete);
}

TEST_CASE("seccomp: the profile is installed with this host's architectures only", "[harden]") {
  Policy policy = test_policy();
  FakeHost host = test_host();
  auto arches_of = [](const Decision& d) {
    return to_json(*field_at(d.spec, "linux.seccomp.architectures"));
  };
  auto record_of = [](const Decision& d) -> std::string {
    for (const Change& c : d.changes) {
      if (c.rule == "seccomp") return to_json(c.after);
    }
    return "";
  };
#if defined(__x86_64__)
  SECTION("the shipped profile lists five; x86_64 keeps its own, x86 and x32") {
    REQUIRE(to_json(*field(&policy.seccomp_profile, "architectures")) ==
            R"(["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32","SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"])");
    Decision d = harden_spec(runc_spec(), policy, host, inv());
    CHECK(arches_of(d) == R"(["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"])");
    CHECK(record_of(d).find(R"("architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"])") !=
          std::string::npos);
    // The policy's own copy is the file's, untouched.
    CHECK(field(&policy.seccomp_profile, "architectures")->items().size() == 5);
  }
#endif
  SECTION("a profile that lists none of this host's architectures is installed as written") {
    field(&policy.seccomp_profile, "architectures")->items() = {Json::string("SCMP_ARCH_MIPS")};
    Decision d = harden_spec(runc_spec(), policy, host, inv());
    CHECK(arches_of(d) == R"(["SCMP_ARCH_MIPS"])");
  }
  SECTION("a profile without architectures gets none") {
    policy.seccomp_profile.erase("architectures");
    Decision d = harden_spec(runc_spec(), policy, host, inv());
    CHECK(field_at(d.spec, "linux.seccomp.architectures") == nullptr);
  }
}

TEST_CASE("harden: hardening a hardened spec changes nothing", "[harden]") {
  Policy policy = test_policy();
  policy.hook_path = "/usr/libexec/oci-harden/oci-harden-hook";
  FakeHost host = test_host();
  bool replace = GENERATE(false, true);
  policy.seccomp_replace = replace;

  SECTION("rootfs on a filesystem without idmapped mounts (user namespace added unshifted)") {
    Decision first = harden_spec(runc_spec(), policy, host, inv());
    INFO("first:\n" << describe(first));
    REQUIRE_FALSE(first.refused());
    CHECK(has_change_by(first, "user-namespace"));
    CHECK(has_change_by(first, "verify-hook"));
    CHECK(has_change_by(first, "seccomp"));
    CHECK(has_change_by(first, "readonly-rootfs"));
    Decision second = harden_spec(first.spec, policy, host, inv());
    INFO("second:\n" << describe(second));
    CHECK(second.refusals.empty());
    CHECK(second.changes.empty());
    CHECK(to_json(second.spec) == to_json(first.spec));
  }
  SECTION("rootfs that accepts idmapped mounts (root.path moved to the idmapped target)") {
    host.idmap_dirs.insert(kRootfs);
    host.engine_rootfs(kRootfs);
    Decision first = harden_spec(runc_spec(), policy, host, inv());
    INFO("first:\n" << describe(first));
    REQUIRE_FALSE(first.refused());
    CHECK(string_field(field(&first.spec, "root"), "path") == std::optional<std::string>("/run/oci-harden/c1/rootfs"));
    Decision second = harden_spec(first.spec, policy, host, inv());
    INFO("second:\n" << describe(second));
    CHECK(second.refusals.empty());
    CHECK(second.changes.empty());
    CHECK(to_json(second.spec) == to_json(first.spec));
    // The idmapped mount is asked for again (runc run after runc delete).
    // And the private standard streams (kPrivateStdio) as with every user namespace.
    REQUIRE(second.actions.size() == 2);
    CHECK(second.actions[0].kind == HostAction::Kind::kIdmapRootfs);
    CHECK(second.actions[0].source == kRootfs);
    CHECK(second.actions[0].target == "/run/oci-harden/c1/rootfs");
    CHECK(second.actions[1].kind == HostAction::Kind::kPrivateStdio);
  }
  SECTION("a spec that was read-only already") {
    Decision first = harden_spec(runc_spec(false), policy, host, inv());
    REQUIRE_FALSE(first.refused());
    Decision second = harden_spec(first.spec, policy, host, inv());
    INFO("second:\n" << describe(second));
    CHECK(second.changes.empty());
  }
}

TEST_CASE("harden: harden_spec is deterministic", "[harden]") {
  Policy policy = test_policy();
  FakeHost host = test_host();
  Decision a = harden_spec(runc_spec(), policy, host, inv());
  Decision b = harden_spec(runc_spec(), policy, host, inv());
  CHECK(to_json(a.spec) == to_json(b.spec));
  REQUIRE(a.changes.size() == b.changes.size());
  for (size_t i = 0; i < a.changes.size(); ++i) {
    CHECK(a.changes[i].rule == b.changes[i].rule);
    CHECK(a.changes[i].path == b.changes[i].path);
  }
}

}  // namespace oci_harden
