// Which bundles are Podman's (containers/storage's directory of the container on the command
// line): shim/core/engine_bundle.hh. Decides whether Podman's seccomp default counts for a container.

#include <catch2/catch.hpp>

#include "shim/core/engine_bundle.hh"

namespace oci_harden {
namespace {

const std::string kId = "fc4f27f73d9b6ecee4f85d2d847a4e7fa757287f068ceb3c779d2af08db1fc90";

}  // namespace

TEST_CASE("engine bundle: Podman's and CRI-O's bundles are containers/storage's", "[engine_bundle]") {
  CHECK(is_containers_storage_bundle("/var/lib/containers/storage/overlay-containers/" + kId + "/userdata", kId));
  // tests/e2e/engines.sh: a private --root; vfs driver.
  CHECK(is_containers_storage_bundle("/var/tmp/ocih-pod.x/p/root/overlay-containers/" + kId + "/userdata", kId));
  CHECK(is_containers_storage_bundle("/srv/store/vfs-containers/" + kId + "/userdata/", kId));
  // Cleaned lexically: the same directory spelt with dots.
  CHECK(is_containers_storage_bundle("/s/./overlay-containers/x/../" + kId + "/userdata", kId));
}

TEST_CASE("engine bundle: containerd's, Docker's and other bundles are not", "[engine_bundle]") {
  // dockerd's containerd, containerd (ctr, Kubernetes): the last component is the id.
  CHECK_FALSE(is_containers_storage_bundle("/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" + kId, kId));
  CHECK_FALSE(is_containers_storage_bundle("/run/containerd/io.containerd.runtime.v2.task/default/userdata", "userdata"));
  CHECK_FALSE(is_containers_storage_bundle(
      "/run/containerd/io.containerd.runtime.v2.task/overlay-containers/userdata", "userdata"));
  CHECK_FALSE(is_containers_storage_bundle("/run/containerd/io.containerd.runtime.v1.linux/k8s.io/" + kId, kId));
  // Another container's directory, the wrong id, the wrong last component, relative, too short.
  CHECK_FALSE(is_containers_storage_bundle("/var/lib/containers/storage/overlay-containers/other/userdata", kId));
  CHECK_FALSE(is_containers_storage_bundle("/var/lib/containers/storage/overlay-containers/" + kId + "/userdata",
                                           ""));
  CHECK_FALSE(is_containers_storage_bundle("/var/lib/containers/storage/overlay-containers/" + kId, kId));
  CHECK_FALSE(is_containers_storage_bundle("/var/lib/containers/storage/containers/" + kId + "/userdata", kId));
  CHECK_FALSE(is_containers_storage_bundle("/var/lib/containers/storage/-containers/" + kId + "/userdata", kId));
  CHECK_FALSE(is_containers_storage_bundle("overlay-containers/" + kId + "/userdata", kId));
  CHECK_FALSE(is_containers_storage_bundle("/overlay-containers/" + kId + "/userdata", kId));
  // ".." out of the shape.
  CHECK_FALSE(is_containers_storage_bundle("/s/overlay-containers/" + kId + "/userdata/..", kId));
}

}  // namespace oci_harden
