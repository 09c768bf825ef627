// A pod's container under a new user namespace joins the pause container's network namespace
// (CRI: linux.namespaces network path /proc/PID/ns/net or the CNI netns): user-namespace puts a
// read-only bind of /sys in place of sysfs. Hardening that hardened spec again (runc run after
// delete in the same bundle; tests/golden/cri-captured through golden_test's idempotence case)
// must not refuse that bind as a sensitive host path, and the exemption must not reach a /sys
// bind that user-namespace would not have made.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kSysBind =
    R"({"destination":"/sys","type":"bind","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]})";

// A CRI-like container: network joined by path, its own pid/mount, sysfs at /sys.
std::string pod_container(const std::string& sys_mount, const std::string& net) {
  return R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sleep","1"],"cwd":"/"},)"
         R"("root":{"path":"rootfs"},)"
         R"("mounts":[{"destination":"/proc","type":"proc","source":"proc"},)" + sys_mount + "],"
         R"("linux":{"namespaces":[{"type":"pid"},)" + net + R"(,{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})";
}

const char* const kSysfs = R"({"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","ro"]})";
const char* const kJoinedNet = R"({"type":"network","path":"/proc/4242/ns/net"})";
const char* const kOwnNet = R"({"type":"network"})";
// The same spec with a user namespace of its own and mappings, as an engine's or ours.
std::string with_userns(std::string text) {
  const std::string last = R"({"type":"mount"}]})";
  text.replace(text.find(last), last.size(),
               R"({"type":"mount"},{"type":"user"}],"uidMappings":[{"containerID":0,"hostID":1000000,"size":65536}],)"
               R"("gidMappings":[{"containerID":0,"hostID":1000000,"size":65536}]})");
  return text;
}

Policy test_policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  out.state_dir = "/run/oci-harden";
  return out;
}

FakeHost pod_host() {
  FakeHost host;  // no idmapped mounts; every directory searchable: the namespace is added
  for (const char* t : {"pid", "ipc", "uts", "mount", "network", "user", "cgroup"}) {
    host.own_ns[t] = NamespaceId{1, static_cast<uint64_t>(4026531830 + std::string(t).size())};
  }
  host.ns_paths["/proc/4242/ns/net"] = NamespaceId{1, 4026532999};  // the pause container's
  return host;
}

Decision harden(const std::string& text, const FakeHost& host) {
  auto spec = parse_spec(text);
  REQUIRE(spec.ok());
  return harden_spec(std::move(*spec), test_policy(), host, Invocation{"create", "c1", "/bundles/c1"});
}

std::string refusals(const Decision& d) { return refusal_message(d.refusals); }

TEST_CASE("userns sysfs stand-in: a hardened pod container hardens again unrefused", "[userns-sysfs]") {
  FakeHost host = pod_host();
  Decision first = harden(pod_container(kSysfs, kJoinedNet), host);
  INFO(refusals(first));
  REQUIRE_FALSE(first.refused());
  const Json* mounts = field(&first.spec, "mounts");
  REQUIRE(mounts != nullptr);
  bool bound = false;
  for (const Json& m : mounts->items()) bound = bound || string_field(&m, "type") == std::optional<std::string>("bind");
  REQUIRE(bound);  // user-namespace replaced sysfs by the bind of /sys

  auto again = parse_spec(to_json(first.spec));
  REQUIRE(again.ok());
  Decision second = harden_spec(std::move(*again), test_policy(), host, Invocation{"create", "c1", "/bundles/c1"});
  INFO(refusals(second));
  CHECK_FALSE(second.refused());
}

TEST_CASE("userns sysfs stand-in: the same bind asked for without what makes it is refused", "[userns-sysfs][bypass]") {
  FakeHost host = pod_host();
  SECTION("no user namespace") {
    Decision d = harden(pod_container(kSysBind, kJoinedNet), host);
    CHECK(d.refused());
    CHECK(refusals(d).find("sensitive-mounts") != std::string::npos);
  }
  SECTION("a user namespace, but the network namespace is the container's own") {
    Decision d = harden(with_userns(pod_container(kSysBind, kOwnNet)), host);
    CHECK(d.refused());
    CHECK(refusals(d).find("/sys is mounted at /sys") != std::string::npos);
  }
  SECTION("the stand-in's spelling with one option less (read-write)") {
    Decision d = harden(with_userns(pod_container(
        R"({"destination":"/sys","type":"bind","source":"/sys","options":["rbind","nosuid","noexec","nodev"]})",
        kJoinedNet)), host);
    CHECK(d.refused());
  }
}

TEST_CASE("userns sysfs stand-in: its options made writable or widened are not it", "[userns-sysfs][bypass]") {
  FakeHost host = pod_host();
  for (const char* options : {R"(["rbind","nosuid","noexec","nodev","ro","rw"])",
                              R"(["rbind","nosuid","noexec","nodev","ro","rro","rrw"])",
                              R"(["rbind","nosuid","noexec","nodev","ro","suid"])"}) {
    INFO(options);
    Decision d = harden(with_userns(pod_container(
        std::string(R"({"destination":"/sys","type":"bind","source":"/sys","options":)") + options + "}", kJoinedNet)),
        host);
    CHECK(d.refused());
  }
  SECTION("a key of its own (an idmapped bind) is not it either") {
    Decision d = harden(with_userns(pod_container(
        R"({"destination":"/sys","type":"bind","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"],)"
        R"("uidMappings":[{"containerID":0,"hostID":0,"size":1}]})", kJoinedNet)), host);
    CHECK(d.refused());
  }
}

TEST_CASE("userns sysfs stand-in: recognised only with its user namespace and a network namespace not its own",
          "[userns-sysfs]") {
  auto spec = [](const std::string& net, bool userns) {
    std::string text = pod_container(kSysBind, net);
    auto s = parse_spec(userns ? with_userns(text) : text);
    REQUIRE(s.ok());
    return std::move(*s);
  };
  auto bind = parse_json(kSysBind);
  REQUIRE(bind.ok());
  CHECK(is_user_namespace_sysfs_standin(spec(kJoinedNet, true), *bind));
  CHECK_FALSE(is_user_namespace_sysfs_standin(spec(kJoinedNet, false), *bind));
  CHECK_FALSE(is_user_namespace_sysfs_standin(spec(kOwnNet, true), *bind));
}

}  // namespace
}  // namespace oci_harden
