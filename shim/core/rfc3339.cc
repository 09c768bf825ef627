// RFC 3339 full-date / date-time parsing into the last second covered, and UTC formatting.

#include "shim/core/rfc3339.hh"

#include <cstdio>

#include "shim/core/json.hh"

namespace oci_harden {

namespace {

// The container author's text in a message: JSON-quoted, so no control character reaches a
// terminal or a log line as it is.
std::string quoted(const std::string& s) { return to_json(Json::string(s)); }

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Reads exactly `n` decimal digits at text[*pos].
bool digits(const std::string& text, size_t* pos, size_t n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool expect(const std::string& text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

Error bad(const std::string& text, const std::string& why) {
  return Error{ErrorCode::kSpec, quoted(text) + " is not an RFC 3339 date (2027-01-31) or date-time "
                                     "(2027-01-31T12:00:00Z): " + why};
}

}  // namespace

Result<int64_t> parse_until(const std::string& text) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0;
  if (!digits(text, &pos, 4, &y) || !expect(text, &pos, '-') || !digits(text, &pos, 2, &mo) ||
      !expect(text, &pos, '-') || !digits(text, &pos, 2, &d)) {
    return bad(text, "expected YYYY-MM-DD");
  }
  if (mo < 1 || mo > 12) return bad(text, "month " + std::to_string(mo) + " does not exist");
  if (d < 1 || d > days_in_month(y, mo)) {
    return bad(text, "day " + std::to_string(d) + " does not exist in that month");
  }
  const int64_t day = days_from_civil(y, mo, d);
  if (pos == text.size()) return day * 86400 + 86399;  // a date ends at its last second, UTC
  if (text[pos] != 'T' && text[pos] != 't') return bad(text, "expected 'T' after the date");
  ++pos;
  int h = 0, mi = 0, s = 0;
  if (!digits(text, &pos, 2, &h) || !expect(text, &pos, ':') || !digits(text, &pos, 2, &mi) ||
      !expect(text, &pos, ':') || !digits(text, &pos, 2, &s)) {
    return bad(text, "expected hh:mm:ss after 'T'");
  }
  // 60 is a leap second: RFC 3339 allows it; it is counted as the second before.
  if (h > 23 || mi > 59 || s > 60) return bad(text, "the time of day does not exist");
  if (s == 60) s = 59;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return bad(text, "expected digits after '.'");
  }
  int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(text, &pos, 2, &oh) || !expect(text, &pos, ':') || !digits(text, &pos, 2, &om) ||
        oh > 23 || om > 59) {
      return bad(text, "expected a zone offset +hh:mm or -hh:mm");
    }
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return bad(text, "a date-time needs a zone: Z or an offset such as +02:00");
  }
  if (pos != text.size()) return bad(text, "unexpected text after the zone");
  return day * 86400 + h * 3600 + mi * 60 + s - offset;
}

std::string format_utc(int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rem = seconds - days * 86400;
  // civil_from_days (Howard Hinnant).
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[160];  // room for six 64-bit numbers: -Wformat-truncation cannot know their range
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace oci_harden
