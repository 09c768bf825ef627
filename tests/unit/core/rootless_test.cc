// Rootless engines (issue 17.3): who oci-harden is from its own uid map, the per-user audit path,
// the policy key, and the user-namespace rule inside a namespace that does not map host root
// (rootless Podman runs the runtime in one: "0 1001 1", "1 165536 65536").

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/rootless.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const std::vector<IdMapRange> kInitial{IdMapRange{0, 0, UINT32_MAX}};
const std::vector<IdMapRange> kRootlessPodman{IdMapRange{0, 1001, 1}, IdMapRange{1, 165536, 65536}};

TEST_CASE("rootless: ids through a uid map, both ways", "[rootless]") {
  CHECK(outer_id(kRootlessPodman, 0) == 1001u);
  CHECK(outer_id(kRootlessPodman, 1) == 165536u);
  CHECK(outer_id(kRootlessPodman, 65536) == 165536u + 65535u);
  CHECK_FALSE(outer_id(kRootlessPodman, 65537).has_value());
  CHECK(inner_id(kRootlessPodman, 1001) == 0u);
  CHECK_FALSE(inner_id(kRootlessPodman, 0).has_value());
  CHECK(outer_id(kInitial, 4294967294u) == 4294967294u);
  CHECK(maps_host_root(kInitial));
  CHECK_FALSE(maps_host_root(kRootlessPodman));
  // A namespace made by root that maps host root (containerd in a user namespace of its own).
  CHECK(maps_host_root({IdMapRange{0, 0, 1}, IdMapRange{1, 100000, 65536}}));
}

TEST_CASE("rootless: host root is not rootless; a user, or a namespace's root that is a user, is", "[rootless]") {
  CHECK_FALSE(is_rootless(ProcessIdentity{}));
  CHECK(is_rootless(ProcessIdentity{1001, kInitial, 65534}));
  CHECK(is_rootless(ProcessIdentity{0, kRootlessPodman, 65534}));
  CHECK(host_uid_of(ProcessIdentity{0, kRootlessPodman, 65534}) == 1001u);
  // Root of a namespace that maps it to host root is host root.
  CHECK_FALSE(is_rootless(ProcessIdentity{0, {IdMapRange{0, 0, 1}}, 65534}));
}

TEST_CASE("rootless: a file's owner judged as host root through the map, never the namespace's root", "[rootless]") {
  ProcessIdentity host_root;
  CHECK(judge_owner(0, host_root) == OwnerIs::kHostRoot);
  CHECK(judge_owner(1001, host_root) == OwnerIs::kOther);
  ProcessIdentity podman{0, kRootlessPodman, 65534};
  // st_uid 0 inside rootless Podman's namespace is the user (host uid 1001): not root.
  CHECK(judge_owner(0, podman) == OwnerIs::kOther);
  // Host root's files show as the overflow uid there.
  CHECK(judge_owner(65534, podman) == OwnerIs::kUnmapped);
  CHECK(judge_owner(1000, podman) == OwnerIs::kOther);
}

TEST_CASE("rootless: the audit path expands ~, $HOME and $XDG_STATE_HOME", "[rootless]") {
  UserDirs dirs{"", "/home/ocih"};
  CHECK(*expand_user_path("$XDG_STATE_HOME/oci-harden/audit.jsonl", dirs) ==
        "/home/ocih/.local/state/oci-harden/audit.jsonl");
  CHECK(*expand_user_path("$XDG_STATE_HOME/oci-harden/audit.jsonl", UserDirs{"/srv/state", "/home/ocih"}) ==
        "/srv/state/oci-harden/audit.jsonl");
  // The XDG spec ignores a relative $XDG_STATE_HOME.
  CHECK(*expand_user_path("$XDG_STATE_HOME/a.jsonl", UserDirs{"state", "/home/ocih"}) ==
        "/home/ocih/.local/state/a.jsonl");
  CHECK(*expand_user_path("~/logs//oci.jsonl", dirs) == "/home/ocih/logs/oci.jsonl");
  CHECK(*expand_user_path("$HOME/oci.jsonl", dirs) == "/home/ocih/oci.jsonl");
  CHECK(*expand_user_path("/var/log/users/oci.jsonl", dirs) == "/var/log/users/oci.jsonl");
  // $HOMEX is not $HOME; no home at all is an error, not a relative path.
  CHECK_FALSE(expand_user_path("$HOMEX/oci.jsonl", dirs).ok());
  CHECK_FALSE(expand_user_path("~/oci.jsonl", UserDirs{"", ""}).ok());
  CHECK_FALSE(expand_user_path("$XDG_STATE_HOME/a", UserDirs{"", ""}).ok());
  CHECK_FALSE(expand_user_path("~/../other/oci.jsonl", dirs).ok());
  CHECK_FALSE(expand_user_path("logs/oci.jsonl", dirs).ok());
}

TEST_CASE("rootless: policy key rootless.audit_log", "[rootless]") {
  auto builtin = builtin_policy();
  REQUIRE(builtin.ok());
  CHECK(builtin->rootless_audit_log == "$XDG_STATE_HOME/oci-harden/audit.jsonl");
  auto p = parse_policy(R"({"rootless": {"audit_log": "~/.oci-harden.jsonl"}})", "/etc/oci-harden/policy.json");
  REQUIRE(p.ok());
  CHECK(p->rootless_audit_log == "~/.oci-harden.jsonl");
  auto bad = parse_policy(R"({"rootless": {"audit_log": "logs/a.jsonl"}})", "/etc/oci-harden/policy.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("rootless.audit_log") != std::string::npos);
  CHECK_FALSE(parse_policy(R"({"rootless": {"audit_log": ""}})", "/p.json").ok());
  CHECK_FALSE(parse_policy(R"({"rootless": {"audti_log": "/a"}})", "/p.json").ok());
  // One for the host: a named policy may not change it.
  auto named = parse_policy(R"({"policies": {"web": {"rootless": {"audit_log": "/tmp/x.jsonl"}}},)"
                            R"( "selectors": [{"image": "nginx", "policy": "web"}]})",
                            "/etc/oci-harden/policy.json");
  CHECK_FALSE(named.ok());
}

const char* const kSpec =
    R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
    R"("root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}],)"
    R"("linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})";

Decision harden_in(const std::vector<IdMapRange>& own, const std::string& spec_text, UsernsUnavailable u) {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy policy = std::move(*p);
  policy.hook_path.clear();
  policy.userns_unavailable = u;
  FakeHost host;
  host.own_map = own;
  auto spec = parse_spec(spec_text);
  REQUIRE(spec.ok());
  return harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", "/bundles/c1"});
}

bool noted(const Decision& d, const std::string& text) {
  return std::any_of(d.notes.begin(), d.notes.end(), [&](const Note& n) {
    return n.rule == "user-namespace" && n.text.find(text) != std::string::npos;
  });
}

bool changed_by_userns(const Decision& d) {
  return std::any_of(d.changes.begin(), d.changes.end(), [](const Change& c) { return c.rule == "user-namespace"; });
}

TEST_CASE("rootless: the user-namespace rule adds nothing and refuses nothing; the note names the user", "[rootless]") {
  for (UsernsUnavailable u : {UsernsUnavailable::kRecord, UsernsUnavailable::kRefuse}) {
    Decision d = harden_in(kRootlessPodman, kSpec, u);
    CHECK_FALSE(d.refused());
    CHECK_FALSE(changed_by_userns(d));
    CHECK(noted(d, "container root is host uid 1001, never host root"));
    CHECK_FALSE(noted(d, "no user namespace added (user_namespace.unavailable"));
    CHECK(field_at(d.spec, "linux.uidMappings") == nullptr);
  }
  // The same spec with the host's own namespace: the rule does its usual work.
  Decision host = harden_in(kInitial, kSpec, UsernsUnavailable::kRefuse);
  CHECK_FALSE(noted(host, "never host root"));
}

TEST_CASE("rootless: the spec's own mapping (--userns=keep-id) is kept, its hostID 0 is the user", "[rootless]") {
  const std::string spec =
      R"({"ociVersion":"1.0.2","process":{"user":{"uid":1000,"gid":1000},"args":["sh"],"cwd":"/"},)"
      R"("root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"user"},)"
      R"({"type":"network"},{"type":"ipc"},{"type":"uts"}],)"
      R"("uidMappings":[{"containerID":0,"hostID":1,"size":1000},{"containerID":1000,"hostID":0,"size":1}],)"
      R"("gidMappings":[{"containerID":0,"hostID":1,"size":1000},{"containerID":1000,"hostID":0,"size":1}]}})";
  Decision d = harden_in(kRootlessPodman, spec, UsernsUnavailable::kRefuse);
  for (const Refusal& r : d.refusals) WARN(r.rule << ": " << r.reason);
  CHECK_FALSE(d.refused());  // hostID 0 here is host uid 1001, not host root
  CHECK_FALSE(changed_by_userns(d));
  CHECK(noted(d, "container root is host uid 165536"));
  // In the host's own namespace the same mapping hands out host root and is refused.
  CHECK(harden_in(kInitial, spec, UsernsUnavailable::kRefuse).refused());
}

}  // namespace
}  // namespace oci_harden

namespace oci_harden {
namespace {

TEST_CASE("rootless: limits the runtime cannot set are not added, and the record's note says so", "[rootless]") {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy policy = std::move(*p);
  policy.hook_path.clear();
  FakeHost host;
  host.own_map = kRootlessPodman;
  host.limits_unsettable = "a rootless runtime cannot create cgroups on this cgroup v1 (or hybrid) host";
  auto spec = parse_spec(kSpec);
  REQUIRE(spec.ok());
  Decision d = harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", "/bundles/c1"});
  CHECK_FALSE(d.refused());
  CHECK(field_at(d.spec, "linux.resources.pids.limit") == nullptr);
  CHECK(field_at(d.spec, "linux.resources.memory.limit") == nullptr);
  CHECK(field_at(d.spec, "linux.resources.cpu.quota") == nullptr);
  for (const char* rule : {"pids-limit", "memory-limit", "cpu-limit"}) {
    CHECK(std::any_of(d.notes.begin(), d.notes.end(), [&](const Note& n) {
      return n.rule == rule && n.text.find("the container runs without this limit: a rootless runtime") != std::string::npos;
    }));
  }
  // Where the runtime can set them (cgroup v2, delegated), they are added as usual.
  host.limits_unsettable.clear();
  auto again = parse_spec(kSpec);
  REQUIRE(again.ok());
  Decision v2 = harden_spec(std::move(*again), policy, host, Invocation{"create", "c1", "/bundles/c1"});
  CHECK(int_field(field_at(v2.spec, "linux.resources.pids"), "limit") == 1024);
}

}  // namespace
}  // namespace oci_harden
