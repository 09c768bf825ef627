// Inputs found by the fuzzers (tests/fuzz, `make fuzz`), each kept as a test of the fixed
// behaviour: the input as the fuzzer wrote it, what went wrong, and what must hold now.

#include <catch2/catch.hpp>

#include <string>

#include "shim/json.hh"

namespace oci_harden {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

// json_fuzz crash-4047d48b: yajl accepted the overlong "\xC0\xBE" inside a string, to_json wrote
// it as two U+FFFD, and the config read back was not the one judged. Go (runc) decodes each byte
// of an ill-formed sequence as U+FFFD: the parser now does the same, so the judged value is
// runc's and writing is a fixed point.
TEST_CASE("fuzz: ill-formed UTF-8 is read as Go reads it, and round-trips") {
  const std::string input =
      "{\"usgs\":[\"true\"],\"enwd\":\"/\",\"capabilities\":{\"boundingi\":[\"CABETID\","
      "\"\xC0\xBEP_FOCAPE\"]},\"oomScoreAd\":4}\n";
  auto parsed = parse_json(input);
  REQUIRE(parsed.ok());
  const Json* caps = parsed->get_exact("capabilities");
  REQUIRE(caps != nullptr);
  const Json* bounding = caps->get_exact("boundingi");
  REQUIRE(bounding != nullptr);
  REQUIRE(bounding->items().size() == 2);
  CHECK(bounding->items()[1].text() == kFffd + kFffd + "P_FOCAPE");
  auto again = parse_json(to_json(*parsed));
  REQUIRE(again.ok());
  CHECK(*again == *parsed);

  // Keys too, and each ill-formed sequence yajl lets through: overlong (2 and 3 bytes), a
  // UTF-16 surrogate, beyond U+10FFFF. (A stray or truncated sequence yajl refuses: the
  // config is then refused, which fails closed.)
  auto keyed = parse_json("{\"a\xC0\xAE\":\"\xED\xA0\x80|\xE0\x80\xAF|\xF4\x90\x80\x80\"}");
  REQUIRE(keyed.ok());
  REQUIRE(keyed->members().size() == 1);
  CHECK(keyed->members()[0].first == "a" + kFffd + kFffd);
  CHECK(keyed->members()[0].second.text() ==
        kFffd + kFffd + kFffd + "|" + kFffd + kFffd + kFffd + "|" + kFffd + kFffd + kFffd + kFffd);
  CHECK_FALSE(parse_json("\"\xE2\x82|\"").ok());
  // Well-formed text is untouched.
  auto fine = parse_json("\"/run/\xC3\xA9t\xC3\xA9/\xF0\x9F\x90\xB3\"");
  REQUIRE(fine.ok());
  CHECK(fine->text() == "/run/\xC3\xA9t\xC3\xA9/\xF0\x9F\x90\xB3");
}

}  // namespace
}  // namespace oci_harden
