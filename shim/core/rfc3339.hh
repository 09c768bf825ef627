// RFC 3339 dates and date-times as the end of an exception (org.oci-harden.opt-out-until): the
// last second (UTC, seconds since the epoch) that a value still covers. Pure arithmetic: no time
// zone database and no clock; the caller brings "now".
#pragma once

#include <cstdint>
#include <string>

#include "shim/core/result.hh"

namespace oci_harden {

// "2027-01-31" covers that whole day in UTC: its last second is 2027-01-31T23:59:59Z.
// "2027-01-31T12:00:00Z", "...+02:00", "...-05:30" (fractions of a second dropped, 't'/'z'
// accepted as RFC 3339 allows) cover up to and including that second.
// Anything else (a missing zone, 2027-02-30, 24:00:00, spaces) is an error saying what is wrong.
Result<int64_t> parse_until(const std::string& text);

// 2027-01-31T23:59:59Z for a second since the epoch.
std::string format_utc(int64_t seconds);

}  // namespace oci_harden
