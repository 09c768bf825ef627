// Issue 14.1: rfc3339_utc computes the civil date itself instead of calling gmtime_r (whose
// tzset read /etc/localtime in every process). It must write exactly what gmtime_r + strftime
// wrote, kept here as the reference, for every time the audit log and runc's log can carry.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "shim/host/clock.hh"

namespace oci_harden {
namespace {

std::string reference_rfc3339(int64_t unix_time_us) {
  time_t secs = static_cast<time_t>(unix_time_us / 1000000);
  int64_t micros = unix_time_us % 1000000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros));
  return buf;
}

}  // namespace

TEST_CASE("rfc3339_utc writes what gmtime_r and strftime wrote", "[shimfast]") {
  CHECK(rfc3339_utc(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(rfc3339_utc(1764872339123456) == reference_rfc3339(1764872339123456));
  const int64_t day = int64_t{86400} * 1000000;
  // Around the days that trip civil-date arithmetic: leap days, century and 400-year rules,
  // the ends of months and years, through year 9999.
  for (const char* date : {"1972-02-29", "1999-12-31", "2000-02-28", "2000-02-29", "2000-03-01", "2024-02-29",
                           "2026-12-31", "2038-01-19", "2100-02-28", "2100-03-01", "2400-02-29", "9999-12-31"}) {
    struct tm tm {};
    REQUIRE(::strptime(date, "%Y-%m-%d", &tm) != nullptr);
    const int64_t at = static_cast<int64_t>(::timegm(&tm)) * 1000000;
    for (int64_t us : {at - 1, at, at + 1, at + day - 1, at + int64_t{43200} * 1000000 + 999999}) {
      INFO(date << " " << us);
      CHECK(rfc3339_utc(us) == reference_rfc3339(us));
    }
  }
  // Every day from 1970 to 2200 at a varying second, and random times up to year 9999.
  for (int64_t d = 0; d < 84000; ++d) {
    const int64_t us = d * day + (d * 7919 % 86400) * 1000000 + d % 1000000;
    if (rfc3339_utc(us) != reference_rfc3339(us)) FAIL("day " << d << ": " << rfc3339_utc(us) << " != " << reference_rfc3339(us));
  }
  std::mt19937_64 rng(14);
  std::uniform_int_distribution<int64_t> any(0, 253402300799LL * 1000000);
  for (int i = 0; i < 100000; ++i) {
    const int64_t us = any(rng);
    if (rfc3339_utc(us) != reference_rfc3339(us)) FAIL(us << ": " << rfc3339_utc(us) << " != " << reference_rfc3339(us));
  }
}

}  // namespace oci_harden
