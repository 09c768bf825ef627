// The captured engine configs (tests/golden/*-captured) under the built-in policy: each one's
// decision and refusing rules as tests/golden/expected.tsv says (reviewed by hand, never
// regenerated), and hardening a hardened config changes nothing (idempotence).

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Expected {
  std::string file, decision, rules;
};

std::vector<Expected> expected_outcomes() {
  std::vector<Expected> out;
  std::ifstream in("tests/golden/expected.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expected e;
    std::getline(fields, e.file, '\t');
    std::getline(fields, e.decision, '\t');
    std::getline(fields, e.rules, '\t');
    out.push_back(e);
  }
  return out;
}

// The engine's host as the captures saw it: /var/run is a link to /run, and Docker's
// --network host joins the host's own network namespace through a bind of it.
FakeHost capture_host() {
  FakeHost h;
  h.symlinks["/var/run"] = "/run";
  for (const char* t : {"pid", "ipc", "uts", "mount", "network", "user", "cgroup"}) {
    h.own_ns[t] = NamespaceId{1, static_cast<uint64_t>(4026531830 + std::string(t).size())};
  }
  h.ns_paths["/var/tmp/ocih-golden/docker/exec/netns/default"] = h.own_ns["network"];
  // CRI captures (tests/e2e/cri_test.sh): the pods' CNI netns under containerd's state, and the
  // pause processes' namespaces that the pods' containers join; none of them the host's.
  uint64_t next = 4026532900;
  const std::string netns = "/var/tmp/ocih-golden/cri/containerd/state/io.containerd.grpc.v1.cri/netns/";
  for (const char* id : {"cni-1e5cf3d1-db69-e94d-8e32-04aeafcf0db2", "cni-873e73f6-1b00-4a39-ac64-c6b03163996f"}) {
    h.ns_paths[netns + id] = NamespaceId{1, next++};
  }
  for (const char* pause : {"/proc/28884/ns/", "/proc/29325/ns/"}) {
    for (const char* t : {"ipc", "uts", "net"}) h.ns_paths[std::string(pause) + t] = NamespaceId{1, next++};
  }
  return h;
}

std::string refusing_rules(const Decision& d) {
  std::vector<std::string> ids;
  for (const auto& r : d.refusals) {
    if (std::find(ids.begin(), ids.end(), r.rule) == ids.end()) ids.push_back(r.rule);
  }
  std::sort(ids.begin(), ids.end());
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : ",") + id;
  return s.empty() ? "-" : s;
}

TEST_CASE("golden: each captured engine config gets its reviewed outcome", "[golden]") {
  auto expected = expected_outcomes();
  REQUIRE(expected.size() >= 13);
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  FakeHost host = capture_host();
  for (const auto& e : expected) {
    INFO(e.file);
    auto spec = parse_spec(slurp("tests/golden/" + e.file));
    REQUIRE(spec.ok());
    Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/bundles/c1"});
    INFO(refusal_message(d.refusals));
    CHECK((d.refused() ? "refused" : (d.changes.empty() ? "unchanged" : "applied")) == e.decision);
    CHECK(refusing_rules(d) == e.rules);
  }
}

TEST_CASE("golden: hardening a hardened config changes nothing", "[golden]") {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  FakeHost host = capture_host();
  for (const auto& e : expected_outcomes()) {
    if (e.decision != "applied") continue;
    INFO(e.file);
    auto spec = parse_spec(slurp("tests/golden/" + e.file));
    REQUIRE(spec.ok());
    Invocation inv{"create", "c1", "/bundles/c1"};
    Decision first = harden_spec(std::move(*spec), *policy, host, inv);
    REQUIRE_FALSE(first.refused());
    // Through the text, as runc and a second oci-harden would read it.
    auto again = parse_spec(to_json(first.spec));
    REQUIRE(again.ok());
    Decision second = harden_spec(std::move(*again), *policy, host, inv);
    INFO(refusal_message(second.refusals));
    CHECK_FALSE(second.refused());
    for (const auto& c : second.changes) {
      UNSCOPED_INFO("changed again: " << c.rule << " " << c.path << ": " << to_json(c.before) << " -> "
                                      << to_json(c.after));
    }
    CHECK(second.changes.empty());
  }
}

TEST_CASE("golden: the restricted preset loads and is stricter than the default", "[golden]") {
  auto policy = parse_policy(slurp("profiles/policy-restricted.json"), "/etc/oci-harden/policy.json");
  REQUIRE(policy.ok());
  CHECK(policy->capabilities == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  FakeHost host = capture_host();
  // Docker's overlay2 root cannot take a user namespace: the preset refuses rather than records.
  host.unsearchable_dirs.insert("/var/tmp/ocih-golden/docker/data");
  auto spec = parse_spec(slurp("tests/golden/docker-captured/plain.json"));
  REQUIRE(spec.ok());
  Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/bundles/c1"});
  // binds: allowed-only, and the capture's data root (/var/tmp/ocih-golden/docker/data) is not on
  // the allowed lists: its per-container files are refused too.
  CHECK(refusing_rules(d) == "sensitive-mounts,user-namespace");
}

}  // namespace
}  // namespace oci_harden
