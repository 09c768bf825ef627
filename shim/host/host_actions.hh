// Carrying out, at the edge, what the rules asked of the host (HostAction, rule.hh) before the
// runtime runs, and undoing it when the container goes away. Never called in audit mode.
//
//   kIdmapRootfs    source = the original root filesystem (absolute), target = where the rule
//                   pointed root.path (<state_dir>/<id>/rootfs); uid/gid/size = the mapping of
//                   container id 0. An idmapped bind of source appears at target, so that files
//                   owned by host 0 in source are owned by the container's root inside.
//   kMkdirInRootfs  source = the ORIGINAL host-side root filesystem (never the idmapped target),
//                   target = a mount destination inside it ("/tmp"). The directory is created
//                   as host root, because the container's remapped root cannot create it in a
//                   root-owned tree.
//   kPrivateStdio   no paths. Each of descriptors 0-2 that is a device node and not a terminal
//                   (/dev/null, /dev/zero) is replaced by a private node of the same device,
//                   so that a runtime that chowns its standard streams to the container's root
//                   (crun before 1.24 does, as host root, before it enters the user namespace)
//                   chowns that node and not the host's /dev/null.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/handles.hh"
#include "shim/core/result.hh"
#include "shim/core/rule.hh"

namespace oci_harden {

// Performs every action in order; the first failure stops and is returned with the path named.
// Idempotent: an idmapped rootfs already at its target and directories that exist are fine,
// so a retried `runc run` succeeds.
Status perform_host_actions(const std::vector<HostAction>& actions);

// Lazily unmounts <state_dir>/<id>/rootfs where mounted, then removes it and <state_dir>/<id>
// (which stays while the stop token is in it: its last one out removes it, stop_token.hh).
// What is missing is fine (idempotent). Ids runc would refuse (valid_container_id) are
// refused, so none can leave state_dir.
Status cleanup_container_state(const std::string& state_dir, const std::string& container_id);

// kPrivateStdio on its own (perform_host_actions calls it).
Status private_stdio_devices();

}  // namespace oci_harden
