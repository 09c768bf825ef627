// The stop's work, done once per container whoever comes (issue 14): `oci-harden delete` after
// the runtime's delete of a created container (hook_plan.hh); the poststop hook whenever it runs
// (`run`, `restore`); `oci-harden delete` again when a taker began it and died before the
// record; and `oci-harden create` of the same id, for an earlier container whose delete never
// finished its work (take_over_earlier_stop). The token (stop_token.hh) decides who records; the idmapped root's removal is
// idempotent and done by the recorder.
#pragma once

#include <cstdint>
#include <string>

#include "shim/core/policy.hh"
#include "shim/core/result.hh"

namespace oci_harden {

enum class StopRecorder { kHook, kDelete, kCreate };

struct StopOutcome {
  bool recorded = false;    // this process wrote the stop record
  bool taken_over = false;  // from a taker that died before its record
  Status status = Ok{};     // the record's failure that the policy's audit_failure does not let pass
  std::string let_pass;     // a failure it lets pass, to be told
};

// Takes the token; when it is this process's: removes <state_dir>/<id>'s idmapped root, records
// the "stop" event (recorded_by "delete" for the delete, taken_over when so) and marks the token
// recorded (not when the record failed: a later delete takes it over). A token that cannot be
// taken at all (an unusable state directory) does the work anyway: a duplicate, never a loss.
StopOutcome record_stop_once(const Policy& policy, const std::string& container_id, const std::string& bundle,
                             StopRecorder by, int64_t start_us);

// At create, before its host actions, under a CreateHold (which waits up to 2 s for a delete of
// the id still at work, then fails): `runtime_root` is runtime_state_root() of this create's
// runtime and --root.
//  - An earlier container of this id left stop-at-delete and no recorded stop (its delete was
//    killed after the runtime's delete, and no retry came): when its runtime no longer has it,
//    its stop is recorded now (recorded_by "create") and its idmapped root removed, before this
//    container's is made.
//  - When its runtime still has it under the same root, nothing is touched: the runtime's
//    create will refuse the id.
//  - Under another root (another containerd namespace, another engine), it is a live container
//    with the same id: an error. oci-harden keeps one state directory per id, and two
//    containers sharing it would take each other's stop record and idmapped root.
// Then this container's stop-at-delete is written (expect_stop_at_delete).
Status prepare_stop_at_delete(const Policy& policy, const std::string& runtime_root, const std::string& container_id,
                              const std::string& bundle, int64_t start_us);

}  // namespace oci_harden
