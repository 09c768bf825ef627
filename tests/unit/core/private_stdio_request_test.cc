// harden_spec asks for private stdio nodes whenever the final spec has a mapped user namespace,
// even where the user-namespace rule did not run (opted out): crun 1.8.1 chowns the standard
// streams to the namespace's root whoever made it (the breaker found the host's /dev/null owned
// by 1000000).

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/harden.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kEngineUserns = R"({"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},
  "root":{"path":"rootfs"},
  "annotations":{"org.oci-harden.opt-out":"user-namespace"},
  "linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},
                         {"type":"network"},{"type":"user"}],
           "uidMappings":[{"containerID":0,"hostID":2000000,"size":65536}],
           "gidMappings":[{"containerID":0,"hostID":2000000,"size":65536}]}})";

int private_stdio_requests(const std::string& text) {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  auto spec = parse_spec(text);
  REQUIRE(spec.ok());
  FakeHost host;
  Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/bundles/c1"});
  int n = 0;
  for (const HostAction& a : d.actions) n += a.kind == HostAction::Kind::kPrivateStdio;
  return n;
}

}  // namespace

TEST_CASE("private stdio: requested for the engine's user namespace with user-namespace opted out",
          "[stdio-chown]") {
  CHECK(private_stdio_requests(kEngineUserns) == 1);
}

TEST_CASE("private stdio: not requested without a user namespace", "[stdio-chown]") {
  std::string text = kEngineUserns;
  text.replace(text.find(R"(,{"type":"user"})"), std::string(R"(,{"type":"user"})").size(), "");
  CHECK(private_stdio_requests(text) == 0);
}

}  // namespace oci_harden
