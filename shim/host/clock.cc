// The wall clock and RFC 3339 (see clock.hh).

#include "shim/host/clock.hh"

#include <chrono>
#include <cstdio>

namespace oci_harden {

int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// The civil date computed from the day number (Howard Hinnant's days_from_civil, inverted), not
// with gmtime_r: glibc's gmtime_r runs tzset, which reads /etc/localtime the first time in every
// process, ~30 µs of each create for a time that is UTC anyway (issue 14.1). Days and seconds are
// floored, so a time before 1970 is written as gmtime_r would write it.
std::string rfc3339_utc(int64_t unix_time_us) {
  int64_t secs = unix_time_us / 1000000;
  int64_t micros = unix_time_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                   // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                  // [0, 11], March first
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ", static_cast<long long>(year),
                static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60), static_cast<long long>(micros));
  return buf;
}

}  // namespace oci_harden
