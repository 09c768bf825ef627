// Rule "host-namespaces": new namespaces and other containers' namespaces pass; missing ones,
// the host's joined by path (compared by device and inode), uninspectable paths and duplicates
// are refused, on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";
const char* const kDockerNetns = "/var/run/docker/netns/default";
const NamespaceId kHostNet{4, 4026531840};
const NamespaceId kHostPid{4, 4026531836};
const NamespaceId kHostUser{4, 4026531837};
const NamespaceId kEngineNet{4, 4026532100};  // the engine in its own netns (pid 1's differs)
const NamespaceId kOtherNet{4, 4026532999};   // a pod sandbox's

std::string spec_text(const std::string& namespaces) {
  return R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
             "linux": {"namespaces": )" + namespaces + "}}";
}

// The five required namespaces, new, plus `extra` entries.
std::string five_plus(const std::string& extra) {
  return spec_text(R"([{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"})" +
                   std::string(extra.empty() ? R"(, {"type": "network"}])" : ", " + extra + "]"));
}

FakeHost host_with_namespaces() {
  FakeHost host;
  host.own_ns = {{"network", kHostNet}, {"pid", kHostPid}, {"user", kHostUser},
                 {"ipc", {4, 1}},       {"uts", {4, 2}},     {"mount", {4, 3}}, {"cgroup", {4, 5}}};
  host.init_ns = host.own_ns;
  host.ns_paths = {{kDockerNetns, kHostNet},
                   {"/proc/1/ns/pid", kHostPid},
                   {"/proc/1/ns/user", kHostUser},
                   {"/proc/1/ns/cgroup", {4, 5}},
                   {"/run/netns/cni-1234", kOtherNet},
                   {"/proc/4242/ns/pid", {4, 4026532555}}};
  return host;
}

using rule_test::parse;

Policy policy() { return rule_test::builtin(); }

std::vector<std::string> run(const std::string& text, const FakeHost& host) {
  return rule_test::judge(rule_host_namespaces, "host-namespaces", text, policy(), host,
                         Invocation{"create", "c1", kBundle});
}

using Reasons = std::vector<std::string>;

}  // namespace

TEST_CASE("host-namespaces: new namespaces and other containers' are allowed",
          "[host-namespaces]") {
  FakeHost host = host_with_namespaces();
  SECTION("the five required, all new") { REQUIRE(run(five_plus(""), host).empty()); }
  SECTION("plus a new user and cgroup namespace") {
    REQUIRE(run(five_plus(R"({"type": "network"}, {"type": "user"}, {"type": "cgroup"})"), host)
                .empty());
  }
  SECTION("an empty path is a new namespace, as runc reads it") {
    REQUIRE(run(five_plus(R"({"type": "network", "path": ""})"), host).empty());
  }
  SECTION("another container's network namespace (a Kubernetes pod sandbox)") {
    REQUIRE(run(five_plus(R"({"type": "network", "path": "/run/netns/cni-1234"})"), host).empty());
  }
  SECTION("another container's namespace while pid 1's cannot be read") {
    host.init_ns.clear();
    REQUIRE(run(five_plus(R"({"type": "network", "path": "/run/netns/cni-1234"})"), host).empty());
  }
  SECTION("the host's cgroup namespace by path: no worse than leaving it out") {
    REQUIRE(run(five_plus(R"({"type": "network"}, {"type": "cgroup", "path": "/proc/1/ns/cgroup"})"),
                host)
                .empty());
  }
  SECTION("a relative path is opened from the bundle, and the spec names it absolutely") {
    host.ns_paths["/bundles/c1/netns"] = kOtherNet;
    Json spec = parse(five_plus(R"({"type": "network", "path": "netns"})"));
    Policy p = policy();
    Invocation inv{"create", "c1", kBundle};
    RuleContext ctx(spec, p, host, inv);
    ctx.begin_rule("host-namespaces");
    rule_host_namespaces(ctx);
    REQUIRE(ctx.refusals().empty());
    REQUIRE(ctx.changes().size() == 1);
    REQUIRE(ctx.changes()[0].path == "linux.namespaces[4].path");
    REQUIRE(field_at(spec, "linux.namespaces")->items()[4].get("path")->text() == "/bundles/c1/netns");
  }
}

TEST_CASE("host-namespaces: a missing namespace is refused", "[host-namespaces]") {
  FakeHost host = host_with_namespaces();
  SECTION("--pid host") {
    REQUIRE(run(spec_text(R"([{"type": "mount"}, {"type": "network"}, {"type": "uts"},
                              {"type": "ipc"}])"),
                host) == Reasons{"pid namespace missing from linux.namespaces: the container would share the host's "
                                 "(--pid host)"});
  }
  SECTION("no mount namespace") {
    REQUIRE(run(spec_text(R"([{"type": "pid"}, {"type": "network"}, {"type": "uts"},
                              {"type": "ipc"}])"),
                host) ==
            Reasons{"mount namespace missing from linux.namespaces: the container would share the host's"});
  }
  SECTION("no namespaces at all, or no linux object") {
    REQUIRE(run(spec_text("[]"), host).size() == 5);
    REQUIRE(run(spec_text("null"), host).size() == 5);
    REQUIRE(run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}})", host).size() == 5);
  }
  SECTION("type names are exact, as runc matches them") {
    Reasons r = run(spec_text(R"([{"type": "PID"}, {"type": "network"}, {"type": "uts"},
                                  {"type": "ipc"}, {"type": "mount"}])"),
                    host);
    REQUIRE(r == Reasons{"pid namespace missing from linux.namespaces: the container would share the host's "
                         "(--pid host)"});
  }
}

TEST_CASE("host-namespaces: the host's namespace joined by path is refused", "[host-namespaces]") {
  FakeHost host = host_with_namespaces();
  const std::string network_host =
      R"({"type": "network", "path": "/var/run/docker/netns/default"})";
  SECTION("Docker's --network host: a bind of the host's netns, equal to our own") {
    REQUIRE(run(five_plus(network_host), host) ==
            Reasons{"network namespace /var/run/docker/netns/default is the host's "
                    "(--network host)"});
  }
  SECTION("equal to our own while pid 1's is unreadable (the test machines)") {
    host.init_ns.clear();
    REQUIRE(run(five_plus(network_host), host).size() == 1);
  }
  SECTION("equal to pid 1's, though the engine runs in another netns") {
    host.own_ns["network"] = kEngineNet;
    REQUIRE(run(five_plus(network_host), host).size() == 1);
  }
  SECTION("pid 1's pid namespace, path spelled plainly") {
    Reasons r = run(spec_text(R"([{"type": "pid", "path": "/proc/1/ns/pid"}, {"type": "ipc"},
                                  {"type": "uts"}, {"type": "mount"}, {"type": "network"}])"),
                    host);
    REQUIRE(r == Reasons{"pid namespace /proc/1/ns/pid is the host's (--pid host)"});
  }
  SECTION("the host's user namespace") {
    REQUIRE(run(five_plus(R"({"type": "network"}, {"type": "user", "path": "/proc/1/ns/user"})"),
                host) == Reasons{"user namespace /proc/1/ns/user is the host's (--userns host)"});
  }
  SECTION("a path that cannot be inspected") {
    Reasons r = run(five_plus(R"({"type": "network", "path": "/run/netns/gone"})"), host);
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::StartsWith("network namespace /run/netns/gone (linux.namespaces[4]) "
                                         "cannot be inspected"));
  }
  SECTION("a namespace that cannot be compared with our own") {
    host.own_ns.erase("network");
    host.init_ns.clear();
    Reasons r = run(five_plus(R"({"type": "network", "path": "/run/netns/cni-1234"})"), host);
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::Contains("cannot be compared"));
  }
}

TEST_CASE("host-namespaces: a namespace type listed twice is refused", "[host-namespaces]") {
  FakeHost host = host_with_namespaces();
  Reasons r = run(five_plus(R"({"type": "network"}, {"type": "pid", "path": "/proc/4242/ns/pid"})"),
                  host);
  REQUIRE(r == Reasons{"the pid namespace is listed twice (linux.namespaces[5]): duplicate "
                       "namespace types are not allowed"});
}

TEST_CASE("host-namespaces: refused through harden_spec", "[host-namespaces]") {
  FakeHost host = host_with_namespaces();
  Policy p = policy();
  Decision d = harden_spec(
      parse(five_plus(R"({"type": "network", "path": "/var/run/docker/netns/default"})")), p,
      host, Invocation{"create", "c1", kBundle});
  Reasons reasons;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "host-namespaces") reasons.push_back(r.reason);
  }
  REQUIRE(reasons ==
          Reasons{"network namespace /var/run/docker/netns/default is the host's (--network host)"});
}

}  // namespace oci_harden
