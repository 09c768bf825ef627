// The stop's work, done once per container whoever comes (issue 14): the poststop hook does it
// whenever it runs; `oci-harden delete` does it only when a hook began it and died before the
// record. The token (stop_token.hh) decides who records; the idmapped root's removal is
// idempotent and done by the recorder.
#pragma once

#include <cstdint>
#include <string>

#include "shim/core/policy.hh"
#include "shim/core/result.hh"

namespace oci_harden {

enum class StopRecorder { kHook, kDelete };

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

}  // namespace oci_harden
