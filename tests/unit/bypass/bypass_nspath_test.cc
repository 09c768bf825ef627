// Bypass cases of namespaces joined by path (breaker finding 9): oci-harden judged what
// linux.namespaces[].path named when it looked, and runc opened the path again later, so a symlink
// its owner flipped made runc join a namespace nobody judged. The path is now pinned
// (shim/core/namespace_path.hh): resolved once, judged there, and the spec rewritten to it. Each case
// goes through parse_spec and harden_spec as `oci-harden create` does, on FakeHost; the helpers
// are tested directly below. tests/integration/userns_test.sh runs the symlink case for real.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/namespace_path.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";

std::string spec_text(const std::string& extra_ns, const std::string& extra_linux = "") {
  return R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
         R"("root":{"path":"rootfs","readonly":true},)"
         R"("mounts":[{"destination":"/proc","type":"proc","source":"proc"}],)"
         R"("linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"})" +
         extra_ns + "]" + extra_linux + "}}";
}

const char* const kMaps = R"(,"uidMappings":[{"containerID":0,"hostID":1000000,"size":65536}],)"
                          R"("gidMappings":[{"containerID":0,"hostID":1000000,"size":65536}])";

Policy test_policy() {
  Policy out = bypass::policy();
  out.state_dir = "/run/oci-harden";
  return out;
}

Decision judge(const std::string& text, const FakeHost& host) {
  return bypass::decide(text, host, test_policy(), kBundle);
}

std::string describe(const Decision& d) {
  std::string s;
  for (const Refusal& r : d.refusals) s += "refusal " + r.rule + ": " + r.reason + "\n";
  for (const Change& c : d.changes) s += "change " + c.rule + " " + c.path + "\n";
  return s;
}

std::string ns_path(const Decision& d, size_t i) {
  return string_field(&field_at(d.spec, "linux.namespaces")->items()[i], "path").value_or("");
}

bool refused_with(const Decision& d, const std::string& rule, const std::string& text) {
  return std::any_of(d.refusals.begin(), d.refusals.end(), [&](const Refusal& r) {
    return r.rule == rule && r.reason.find(text) != std::string::npos;
  });
}

// Two user namespaces held by processes 4242 (0 -> 1000000) and 4343 (0 -> 0, host root), and
// the adversary's symlink /tmp/x/nslink in a directory of their own.
FakeHost two_user_namespaces() {
  FakeHost host;
  host.own_ns = {{"user", {4, 1}}, {"network", {4, 10}}, {"pid", {4, 11}},
                 {"ipc", {4, 12}}, {"uts", {4, 13}},     {"mount", {4, 14}}};
  host.ns_paths["/proc/4242/ns/user"] = NamespaceId{4, 2};
  host.ns_paths["/proc/4343/ns/user"] = NamespaceId{4, 3};
  host.userns_maps["/proc/4242/ns/user"] = UserNamespaceMap{{{0, 1000000, 65536}}, {{0, 1000000, 65536}}};
  host.userns_maps["/proc/4343/ns/user"] = UserNamespaceMap{{{0, 0, 65536}}, {{0, 0, 65536}}};
  host.dir_access["/tmp"] = DirAccess{"/tmp", 0, 0, 01777, false};
  host.dir_access["/tmp/x"] = DirAccess{"/tmp/x", 1000, 1000, 0755, false};
  host.dir_access["/proc/4242"] = DirAccess{"/proc/4242", 1000, 1000, 0555, false};
  host.dir_access["/proc/4343"] = DirAccess{"/proc/4343", 1000, 1000, 0555, false};
  return host;
}

}  // namespace

TEST_CASE("bypass: a user namespace path through a symlink is judged and joined at its target",
          "[bypass][nspath]") {
  FakeHost host = two_user_namespaces();
  std::string text = spec_text(R"(,{"type":"network"},{"type":"user","path":"/tmp/x/nslink"})", kMaps);
  SECTION("the link points at the safe namespace: runc is handed that namespace, not the link") {
    host.symlinks["/tmp/x/nslink"] = "/proc/4242/ns/user";
    Decision d = judge(text, host);
    INFO(describe(d));
    CHECK_FALSE(d.refused());
    CHECK(ns_path(d, 5) == "/proc/4242/ns/user");
    CHECK(std::any_of(d.changes.begin(), d.changes.end(), [](const Change& c) {
      return c.rule == "host-namespaces" && c.path == "linux.namespaces[5].path" &&
             c.before.text() == "/tmp/x/nslink" && c.after.text() == "/proc/4242/ns/user";
    }));
  }
  SECTION("the link points at the host-root namespace: refused by that namespace's real map") {
    host.symlinks["/tmp/x/nslink"] = "/proc/4343/ns/user";
    Decision d = judge(text, host);
    INFO(describe(d));
    REQUIRE(d.refused());
    CHECK(refused_with(d, "user-namespace", "/proc/4343/ns/user"));
    CHECK(refused_with(d, "user-namespace", "really maps container uid 0 to host uid 0"));
  }
  SECTION("user-namespace alone (host-namespaces disabled) pins the path too") {
    host.symlinks["/tmp/x/nslink"] = "/proc/4242/ns/user";
    Policy p = test_policy();
    auto spec = parse_spec(text);
    REQUIRE(spec.ok());
    p.disabled_rules.push_back("host-namespaces");
    Decision d = harden_spec(std::move(*spec), p, host, Invocation{"create", "c1", kBundle});
    INFO(describe(d));
    CHECK_FALSE(d.refused());
    CHECK(ns_path(d, 5) == "/proc/4242/ns/user");
  }
}

TEST_CASE("bypass: a namespace file in a directory a non-root user can write is refused",
          "[bypass][nspath]") {
  FakeHost host = two_user_namespaces();
  host.ns_paths["/tmp/x/net"] = NamespaceId{4, 20};
  host.ns_paths["/var/run/netns/cni-1"] = NamespaceId{4, 21};
  host.ns_paths["/tmp/net"] = NamespaceId{4, 22};
  SECTION("a bind of a network namespace in the user's own /tmp/x: they can rename it away") {
    Decision d = judge(spec_text(R"(,{"type":"network","path":"/tmp/x/net"})"), host);
    INFO(describe(d));
    CHECK(refused_with(d, "host-namespaces", "directory /tmp/x belongs to uid 1000 in the sticky /tmp"));
  }
  SECTION("a group-writable directory") {
    host.dir_access["/var/run/netns"] = DirAccess{"/var/run/netns", 0, 100, 0775, false};
    Decision d = judge(spec_text(R"(,{"type":"network","path":"/var/run/netns/cni-1"})"), host);
    INFO(describe(d));
    CHECK(refused_with(d, "host-namespaces", "directory /var/run/netns (uid 0, gid 100, mode 0775)"));
  }
  SECTION("CNI's /var/run/netns (root, 0755) passes, unchanged") {
    Decision d = judge(spec_text(R"(,{"type":"network","path":"/var/run/netns/cni-1"})"), host);
    INFO(describe(d));
    CHECK_FALSE(d.refused());
    CHECK(ns_path(d, 4) == "/var/run/netns/cni-1");
  }
  SECTION("a root-owned bind mount straight in the sticky /tmp passes (a mount point cannot be renamed over)") {
    Decision d = judge(spec_text(R"(,{"type":"network","path":"/tmp/net"})"), host);
    INFO(describe(d));
    CHECK_FALSE(d.refused());
  }
  SECTION("a symlink loop is refused") {
    host.symlinks["/var/run/netns/a"] = "/var/run/netns/b";
    host.symlinks["/var/run/netns/b"] = "/var/run/netns/a";
    Decision d = judge(spec_text(R"(,{"type":"network","path":"/var/run/netns/a"})"), host);
    CHECK(refused_with(d, "host-namespaces", "too many symlinks"));
  }
}

TEST_CASE("namespace paths: resolution keeps /proc magic links and follows the rest", "[nspath]") {
  FakeHost host;
  SECTION("a /proc/<pid>/ns link is the kernel's: kept") {
    host.symlinks["/proc/77/ns/net"] = "net:[4026531840]";
    CHECK(resolved_namespace_path(host, "/proc/77/ns/net") == "/proc/77/ns/net");
    CHECK(resolved_namespace_path(host, "/proc/77/task/78/ns/net") == "/proc/77/task/78/ns/net");
  }
  SECTION("/proc/self is canonicalised to the pid it names") {
    host.symlinks["/proc/self"] = "/proc/99";
    CHECK(resolved_namespace_path(host, "/proc/self/ns/net") == "/proc/99/ns/net");
  }
  SECTION("a relative final link is followed from its directory") {
    host.symlinks["/run/ns/link"] = "../netns/cni-2";
    CHECK(resolved_namespace_path(host, "/run/ns/link") == "/run/netns/cni-2");
  }
  SECTION("a symlinked directory is canonicalised") {
    host.symlinks["/var/run"] = "/run";
    CHECK(resolved_namespace_path(host, "/var/run/netns/cni-3") == "/run/netns/cni-3");
  }
}

TEST_CASE("namespace paths: who can redirect a directory chain", "[nspath]") {
  auto dirs = [](std::vector<DirAccess> v) { return v; };
  DirAccess root{"/", 0, 0, 0755, false};
  CHECK(redirectable_by(dirs({root, {"/run", 0, 0, 0755, false}})).empty());
  CHECK(redirectable_by(dirs({root, {"/proc", 0, 0, 0555, false}, {"/proc/5", 65535, 65535, 0555, false}}))
            .empty());
  CHECK_FALSE(redirectable_by(dirs({root, {"/home", 0, 0, 0755, false}, {"/home/u", 1000, 1000, 0555, false}}))
                  .empty());  // its owner may chmod it
  CHECK_FALSE(redirectable_by(dirs({root, {"/srv", 0, 0, 0757, false}})).empty());
  CHECK(redirectable_by(dirs({root, {"/tmp", 0, 0, 01777, false}, {"/tmp/r", 0, 0, 0755, false}})).empty());
  CHECK_FALSE(redirectable_by(dirs({root, {"/tmp", 1000, 0, 01777, false}})).empty());
}

}  // namespace oci_harden
