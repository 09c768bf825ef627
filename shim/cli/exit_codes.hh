// oci-harden's own exit statuses, used only before the runtime is executed (after execv the
// status is the runtime's). Documented in oci-harden(8) EXIT STATUS.
#pragma once

#include "shim/core/result.hh"

namespace oci_harden {

constexpr int kExitRefused = 1;   // the policy refused the container (or an opt-out)
constexpr int kExitUsage = 2;     // bad command line
constexpr int kExitPolicy = 3;    // the policy (or a profile it names) cannot be used
constexpr int kExitSpec = 4;      // config.json / process.json unreadable or malformed
constexpr int kExitIo = 5;        // the bundle could not be rewritten, or a host action failed
constexpr int kExitAudit = 6;     // the audit record could not be made durable
constexpr int kExitRuntime = 7;   // the runtime is missing, not executable, or is oci-harden

inline int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage: return kExitUsage;
    case ErrorCode::kPolicy: return kExitPolicy;
    case ErrorCode::kSpec: return kExitSpec;
    case ErrorCode::kIo: return kExitIo;
    case ErrorCode::kAudit: return kExitAudit;
    case ErrorCode::kRuntime: return kExitRuntime;
  }
  return kExitIo;
}

}  // namespace oci_harden
