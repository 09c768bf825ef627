// The wall clock and the one way its readings are written: the audit log's "time", runc's
// --log records and `oci-hardenctl report` all print RFC 3339 in UTC with microseconds.
#pragma once

#include <cstdint>
#include <string>

namespace oci_harden {

// Microseconds since the Unix epoch (system_clock).
int64_t now_us();
// RFC 3339, UTC, microseconds: 2026-11-28T18:19:14.123456Z
std::string rfc3339_utc(int64_t unix_time_us);

}  // namespace oci_harden
