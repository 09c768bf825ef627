// Bypass corpus, rootless engines (issue 17.3): what the rootless branch and the default policy's
// rootless Podman paths could be made to let through. Rootless is oci-harden's own uid map
// (FakeHost::own_map here, /proc/self/uid_map for real), never anything the spec says.

#include <catch2/catch.hpp>

#include <string>

#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using bypass::decide;
using bypass::policy;

// Dressed as rootless Podman's (its annotation, its bundle shape under a home), with a mapping
// that hands out host root: in the host's own namespace nothing of that makes it rootless.
const char* const kDressedAsRootless =
    R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
    R"("root":{"path":"/home/u/.local/share/containers/storage/overlay/x/merged"},)"
    R"("annotations":{"io.container.manager":"libpod"},)"
    R"("linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"user"}],)"
    R"("uidMappings":[{"containerID":0,"hostID":0,"size":65536}],"gidMappings":[{"containerID":0,"hostID":0,"size":65536}]}})";

TEST_CASE("bypass rootless: a spec dressed as rootless Podman in the host's namespace", "[bypass][rootless]") {
  FakeHost host;  // own_map: the initial namespace's identity
  Decision d = decide(kDressedAsRootless, host, policy(),
                      "/home/u/.local/share/containers/storage/overlay-containers/c1/userdata");
  CHECK(std::any_of(d.refusals.begin(), d.refusals.end(), [](const Refusal& r) {
    return r.rule == "user-namespace" && r.reason.find("to host uid 0 (host root)") != std::string::npos;
  }));
}

std::string bind_of(const std::string& source) {
  return R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
         R"("root":{"path":"rootfs"},"mounts":[{"destination":"/x","type":"bind","source":")" +
         source + R"(","options":["rbind","rw"]}],)"
         R"("linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})";
}

bool refused_by_sensitive_mounts(const Decision& d) {
  return std::any_of(d.refusals.begin(), d.refusals.end(), [](const Refusal& r) { return r.rule == "sensitive-mounts"; });
}

TEST_CASE("bypass rootless: the rootless Podman userdata paths open only this container's own", "[bypass][rootless]") {
  FakeHost host;
  host.own_map = {IdMapRange{0, 1001, 1}, IdMapRange{1, 165536, 65536}};
  const std::string own = "/home/u/.local/share/containers/storage/overlay-containers/c1/userdata";
  CHECK_FALSE(refused_by_sensitive_mounts(decide(bind_of(own + "/hosts"), host, policy())));
  // Another container's, climbing out with "..", or a symlink planted in its place: the home.
  CHECK(refused_by_sensitive_mounts(
      decide(bind_of("/home/u/.local/share/containers/storage/overlay-containers/c2/userdata"), host, policy())));
  CHECK(refused_by_sensitive_mounts(decide(bind_of(own + "/../../../../../../.ssh"), host, policy())));
  host.symlinks[own] = "/home/u/.ssh";
  CHECK(refused_by_sensitive_mounts(decide(bind_of(own), host, policy())));
}

}  // namespace
}  // namespace oci_harden
