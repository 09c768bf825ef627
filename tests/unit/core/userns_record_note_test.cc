// user_namespace.unavailable "record": the container runs as it came (on a CRI node: containerd's
// 0700 bundle and overlayfs root), and the audit record says why no user namespace was added,
// beside user.root_on_host.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kSpec =
    R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
    R"("root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}],)"
    R"("linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})";

Decision harden(UsernsUnavailable unavailable) {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy policy = std::move(*p);
  policy.hook_path.clear();
  policy.userns_unavailable = unavailable;
  FakeHost host;
  host.unsearchable_dirs.insert("/bundles");  // as containerd's 0700 task directory
  auto spec = parse_spec(kSpec);
  REQUIRE(spec.ok());
  return harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", "/bundles/c1"});
}

bool noted(const Decision& d, const std::string& text) {
  return std::any_of(d.notes.begin(), d.notes.end(), [&](const Note& n) {
    return n.rule == "user-namespace" && n.text.find(text) != std::string::npos;
  });
}

TEST_CASE("user-namespace record: the audit record says why no user namespace was added", "[userns-record]") {
  Decision d = harden(UsernsUnavailable::kRecord);
  CHECK_FALSE(d.refused());
  CHECK(noted(d, "no user namespace added (user_namespace.unavailable is \"record\")"));
  CHECK(noted(d, "the root filesystem /bundles/c1/rootfs is not reachable by the mapped root"));
}

TEST_CASE("user-namespace refuse: the reason is the refusal, not a note", "[userns-record]") {
  Decision d = harden(UsernsUnavailable::kRefuse);
  CHECK(d.refused());
  CHECK_FALSE(noted(d, "no user namespace added"));
}

}  // namespace
}  // namespace oci_harden
