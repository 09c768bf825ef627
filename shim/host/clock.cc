// The wall clock and RFC 3339 (see clock.hh).

#include "shim/host/clock.hh"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace oci_harden {

int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string rfc3339_utc(int64_t unix_time_us) {
  time_t secs = static_cast<time_t>(unix_time_us / 1000000);
  int64_t micros = unix_time_us % 1000000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros));
  return buf;
}

}  // namespace oci_harden
