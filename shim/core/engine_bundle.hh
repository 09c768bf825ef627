// Which engine made a bundle, judged by what the caller of the runtime cannot choose: the bundle
// directory the engine hands to the runtime and the container id on the same command line. The
// spec's annotations say "libpod" or "moby" too, but whoever writes the spec writes those
// (`ctr run --config`, `docker run --annotation`), so they decide nothing here.
//
// Podman (and CRI-O, which shares containers/storage) run the runtime with --bundle
// <graph root>/<driver>-containers/<id>/userdata (overlay-containers, vfs-containers, ...), the
// container's directory in containers/storage, where <id> is the container id it passes. Neither
// Docker's containerd nor containerd/ctr/Kubernetes can produce that: containerd's shims run in
// <state>/io.containerd.runtime.v2.task/<namespace>/<id> (v1: io.containerd.runtime.v1.linux),
// whose last component is the container id itself, never "userdata" following it.
#pragma once

#include <string>

namespace oci_harden {

// Whether `bundle` (absolute; cleaned lexically here) is containers/storage's directory of the
// container `container_id`: .../<driver>-containers/<container_id>/userdata.
bool is_containers_storage_bundle(const std::string& bundle, const std::string& container_id);

// The shape that is_containers_storage_bundle() accepts, for records and messages.
extern const char* const kContainersStorageBundleShape;

// One policy per workload (shim/core/selectors.hh): the engine that made the bundle, from its path
// and the container id alone. containerd's shims run the runtime in
// <state>/io.containerd.runtime.v2.task/<namespace>/<id> (v1: io.containerd.runtime.v1.linux):
// namespace "k8s.io" is the CRI plugin's ("kubernetes"), "moby" is dockerd's ("docker"), any
// other is "containerd"; containers/storage's bundle is "podman" (CRI-O's looks the same). ""
// when the path is none of these (runc called by hand, an unknown engine).
std::string bundle_engine(const std::string& bundle, const std::string& container_id);

}  // namespace oci_harden
