// RFC 3339 dates and date-times as the last second an exception covers, and UTC formatting.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/rfc3339.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

constexpr int64_t kEndOf20270131 = 1801439999;  // 2027-01-31T23:59:59Z

int64_t until(const std::string& text) {
  auto r = parse_until(text);
  INFO(text << ": " << (r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

std::string error_of(const std::string& text) {
  auto r = parse_until(text);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

TEST_CASE("rfc3339: a date ends at its last second, UTC", "[exceptions]") {
  CHECK(until("2027-01-31") == kEndOf20270131);
  CHECK(until("2024-02-29") == 1709251199);  // a leap day
  CHECK(until("1999-12-31") == 946684799);
}

TEST_CASE("rfc3339: a date-time covers up to its own second, any offset", "[exceptions]") {
  CHECK(until("2027-01-31T23:59:59Z") == kEndOf20270131);
  CHECK(until("2027-01-31t23:59:59z") == kEndOf20270131);
  CHECK(until("2027-01-31T12:00:00Z") == 1801389600 + 2 * 3600);
  CHECK(until("2027-02-01T01:59:59+02:00") == kEndOf20270131);
  CHECK(until("2027-01-31T18:29:59-05:30") == kEndOf20270131);
  CHECK(until("2027-01-31T23:59:59.999999Z") == kEndOf20270131);  // fractions dropped
  CHECK(until("2027-01-31T23:59:60Z") == kEndOf20270131);         // a leap second
}

TEST_CASE("rfc3339: malformed values say what is wrong", "[exceptions]") {
  CHECK_THAT(error_of("2027-02-30"), Contains("day 30 does not exist"));
  CHECK_THAT(error_of("2023-02-29"), Contains("day 29 does not exist"));
  CHECK_THAT(error_of("2027-13-01"), Contains("month 13"));
  CHECK_THAT(error_of("2027-1-31"), Contains("expected YYYY-MM-DD"));
  CHECK_THAT(error_of("31/01/2027"), Contains("expected YYYY-MM-DD"));
  CHECK_THAT(error_of("2027-01-31T12:00:00"), Contains("needs a zone"));
  CHECK_THAT(error_of("2027-01-31 12:00:00Z"), Contains("expected 'T'"));
  CHECK_THAT(error_of("2027-01-31T24:00:00Z"), Contains("does not exist"));
  CHECK_THAT(error_of("2027-01-31T12:00Z"), Contains("hh:mm:ss"));
  CHECK_THAT(error_of("2027-01-31T12:00:00+0200"), Contains("offset"));
  CHECK_THAT(error_of("2027-01-31T12:00:00Zjunk"), Contains("after the zone"));
  CHECK_THAT(error_of("2027-01-31 "), Contains("expected 'T'"));
  CHECK_THAT(error_of(""), Contains("expected YYYY-MM-DD"));
  CHECK_THAT(error_of("never"), Contains("not an RFC 3339 date"));
}

TEST_CASE("rfc3339: UTC formatting round-trips", "[exceptions]") {
  CHECK(format_utc(kEndOf20270131) == "2027-01-31T23:59:59Z");
  CHECK(format_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(format_utc(1709251199) == "2024-02-29T23:59:59Z");
  CHECK(format_utc(-1) == "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace oci_harden
