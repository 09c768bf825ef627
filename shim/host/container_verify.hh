// The verification of a started container, from the kernel's view of its init (issue 14): the
// poststart hook runs it, and so does `oci-harden create` itself under runc (verify_plan.hh).
//   1. pin the init by a pidfd and read its view, before the caller returns (a short-lived
//      process is gone soon after);
//   2. hand the rest to a detached worker (detached_worker.hh): read the bundle's config.json,
//      judge the view against it, record a "verify" event and, under verify=enforce, SIGKILL
//      the pinned process on a failed check.
#pragma once

#include <cstdint>
#include <string>

#include "shim/core/policy.hh"

namespace oci_harden {

struct VerifyRun {
  // This process is the forked worker: it must end (_exit) with `status` once back in its
  // caller, never go on with the caller's own work.
  bool in_worker = false;
  // The worker's (or the in-line run's) result: 0, or 1 when the record failed the event or
  // the container was killed. 0 in the caller that handed the work on.
  int status = 0;
};

// `who` prefixes what is told on stderr ("oci-harden-hook", "oci-harden").
VerifyRun verify_container(const Policy& policy, const std::string& container_id, const std::string& bundle,
                           int64_t pid, int64_t start_us, const std::string& who);

}  // namespace oci_harden
