// The JSON layer: byte-exact round trips of real engine configs, number text kept, member order
// kept, UTF-8 and \u escapes, the depth bound, malformed input with a byte offset, and Go's
// case-insensitive struct-field lookup (KELVIN SIGN and LONG S included).

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/json.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

using test::data_file;

Json parse_ok(const std::string& text) {
  auto r = parse_json(text);
  if (!r) FAIL_CHECK("parse_json failed: " << r.error().message);
  REQUIRE(r.ok());
  return std::move(*r);
}

std::string round_trip(const std::string& text) { return to_json(parse_ok(text)); }

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(int depth) {
  std::string s;
  for (int i = 0; i < depth - 1; ++i) s += "{\"a\":";
  s += "{}";
  s += std::string(depth - 1, '}');
  return s;
}

// The number after "at byte " in a parse error message, or -1.
long error_offset(const std::string& message) {
  size_t at = message.find("at byte ");
  if (at == std::string::npos) return -1;
  return std::stol(message.substr(at + 8));
}

}  // namespace

TEST_CASE("json: a captured Docker config.json round-trips byte for byte", "[json]") {
  std::string text = data_file("docker-run.json");
  REQUIRE(text.size() > 4000);
  CHECK(round_trip(text) == text);
}

TEST_CASE("json: a captured Podman config.json round-trips byte for byte", "[json]") {
  std::string text = data_file("podman-run.json");
  CHECK(round_trip(text) == text);
}

TEST_CASE("json: numbers keep their original text", "[json]") {
  const std::string text = R"([9223372036854775807,18446744073709551615,-0,1e400,1.50,0.1,-12,1E+2,2e-3])";
  Json v = parse_ok(text);
  REQUIRE(v.is_array());
  REQUIRE(v.items().size() == 9);
  CHECK(v.items()[0].text() == "9223372036854775807");
  CHECK(v.items()[1].text() == "18446744073709551615");
  CHECK(v.items()[2].text() == "-0");
  CHECK(v.items()[3].text() == "1e400");
  CHECK(v.items()[4].text() == "1.50");
  CHECK(v.items()[7].text() == "1E+2");
  for (const Json& item : v.items()) CHECK(item.is_number());
  CHECK(to_json(v) == text);
}

TEST_CASE("json: to_int64 and to_uint64 accept plain in-range integers only", "[json]") {
  Json v = parse_ok(R"([9223372036854775807,18446744073709551615,-0,1e400,1.0,1e3,-1,
                        -9223372036854775808,9223372036854775808,18446744073709551616,0,42])");
  const auto& it = v.items();
  int64_t i = 7;
  uint64_t u = 7;

  CHECK(it[0].to_int64(&i));
  CHECK(i == INT64_MAX);
  CHECK(it[0].to_uint64(&u));
  CHECK(u == 9223372036854775807ULL);

  CHECK_FALSE(it[1].to_int64(&i));  // above int64
  CHECK(it[1].to_uint64(&u));
  CHECK(u == UINT64_MAX);

  CHECK(it[2].to_int64(&i));  // -0 is 0 to Go's ParseInt
  CHECK(i == 0);
  CHECK_FALSE(it[2].to_uint64(&u));  // ParseUint refuses the sign

  CHECK_FALSE(it[3].to_int64(&i));  // 1e400
  CHECK_FALSE(it[3].to_uint64(&u));
  CHECK_FALSE(it[4].to_int64(&i));  // 1.0
  CHECK_FALSE(it[4].to_uint64(&u));
  CHECK_FALSE(it[5].to_int64(&i));  // 1e3
  CHECK_FALSE(it[5].to_uint64(&u));

  CHECK(it[6].to_int64(&i));
  CHECK(i == -1);
  CHECK_FALSE(it[6].to_uint64(&u));

  CHECK(it[7].to_int64(&i));
  CHECK(i == INT64_MIN);
  CHECK_FALSE(it[8].to_int64(&i));  // one past INT64_MAX
  CHECK(it[8].to_uint64(&u));
  CHECK(u == 9223372036854775808ULL);
  CHECK_FALSE(it[9].to_uint64(&u));  // one past UINT64_MAX

  CHECK(it[10].to_uint64(&u));
  CHECK(u == 0);
  CHECK(it[11].to_int64(&i));
  CHECK(i == 42);

  // Not numbers at all, or text that is not a JSON integer.
  i = 5;
  CHECK_FALSE(Json::string("1").to_int64(&i));
  CHECK_FALSE(Json::string(" 1").to_int64(&i));
  CHECK_FALSE(Json::number_text(" 1").to_int64(&i));
  CHECK_FALSE(Json::number_text("1 ").to_uint64(&u));
  CHECK_FALSE(Json::number_text("+1").to_int64(&i));
  CHECK_FALSE(Json::number_text("-").to_int64(&i));
  CHECK_FALSE(Json::number_text("").to_int64(&i));
  CHECK_FALSE(Json::boolean(true).to_int64(&i));
  CHECK_FALSE(Json().to_uint64(&u));
  CHECK(i == 5);  // untouched on failure
}

TEST_CASE("json: integer constructors write plain decimal text", "[json]") {
  CHECK(Json::integer(-5).text() == "-5");
  CHECK(Json::integer(INT64_MIN).text() == "-9223372036854775808");
  CHECK(Json::unsigned_integer(UINT64_MAX).text() == "18446744073709551615");
  CHECK(to_json(Json::integer(0)) == "0");
  CHECK(to_json(Json::number_text("1.50")) == "1.50");
}

TEST_CASE("json: unknown fields are kept in their order", "[json]") {
  const std::string text =
      R"({"zeta":1,"alpha":{"y":true,"b":null,"x-vendor.io/thing":[{"q":"r"}]},"Mixed":"Case","zeta2":[]})";
  Json v = parse_ok(text);
  REQUIRE(v.members().size() == 4);
  CHECK(v.members()[0].first == "zeta");
  CHECK(v.members()[1].first == "alpha");
  CHECK(v.members()[2].first == "Mixed");
  CHECK(v.members()[3].first == "zeta2");
  const Json* alpha = v.get("alpha");
  REQUIRE(alpha != nullptr);
  REQUIRE(alpha->members().size() == 3);
  CHECK(alpha->members()[0].first == "y");
  CHECK(alpha->members()[1].first == "b");
  CHECK(alpha->members()[1].second.is_null());
  CHECK(to_json(v) == text);
}

TEST_CASE("json: UTF-8 and \\u escapes decode to UTF-8", "[json]") {
  SECTION("raw UTF-8 is kept and written back raw") {
    const std::string text = "[\"caf\xC3\xA9\",\"\xE6\x97\xA5\xE6\x9C\xAC\",\"\xF0\x9F\x98\x80\"]";
    Json v = parse_ok(text);
    CHECK(v.items()[0].text() == "caf\xC3\xA9");
    CHECK(v.items()[1].text() == "\xE6\x97\xA5\xE6\x9C\xAC");
    CHECK(v.items()[2].text() == "\xF0\x9F\x98\x80");
    CHECK(to_json(v) == text);
  }
  SECTION("\\u escapes, BMP and surrogate pairs") {
    Json v = parse_ok(R"(["caf\u00e9","\u65E5\u672C","\ud83d\ude00","\u0041","a\u0000b"])");
    CHECK(v.items()[0].text() == "caf\xC3\xA9");
    CHECK(v.items()[1].text() == "\xE6\x97\xA5\xE6\x9C\xAC");
    CHECK(v.items()[2].text() == "\xF0\x9F\x98\x80");
    CHECK(v.items()[3].text() == "A");
    CHECK(v.items()[4].text() == std::string("a\0b", 3));
  }
  SECTION("escapes in keys decode too") {
    Json v = parse_ok(R"({"\u006eame":1})");
    REQUIRE(v.members().size() == 1);
    CHECK(v.members()[0].first == "name");
    // An escaped KELVIN SIGN names the same struct field as "k".
    Json k = parse_ok(R"({"\u212Aind":1})");
    CHECK(k.get("kind") != nullptr);
  }
  SECTION("invalid UTF-8 is refused") {
    for (const std::string& bad : {std::string("[\"a\xFF\"]"), std::string("[\"\xC3\"]"),
                                   std::string("[\"\xE6\x97\"]"), std::string("{\"k\xFE\":1}"),
                                   std::string("[\"\x80\"]")}) {
      INFO("input bytes: " << bad);
      auto r = parse_json(bad);
      CHECK_FALSE(r.ok());
      if (!r.ok()) CHECK(r.error().code == ErrorCode::kSpec);
    }
  }
}

TEST_CASE("json: strings are escaped as JSON requires on output", "[json]") {
  CHECK(to_json(Json::string("a\"b\\c\nd\te/f")) == R"("a\"b\\c\nd\te/f")");
  Json obj = Json::object();
  obj.set_exact("k\"ey", Json::string("v"));
  CHECK(to_json(obj) == R"({"k\"ey":"v"})");
  CHECK(to_json(Json()) == "null");
  CHECK(to_json(Json::boolean(false)) == "false");
  CHECK(to_json(Json::array()) == "[]");
  CHECK(to_json(Json::object()) == "{}");
}

TEST_CASE("json: nesting is bounded by max_depth (default 64)", "[json]") {
  CHECK(parse_json(nested_arrays(63)).ok());
  CHECK(parse_json(nested_arrays(64)).ok());
  CHECK(parse_json(nested_objects(63)).ok());
  CHECK(parse_json(nested_objects(64)).ok());

  auto deep = parse_json(nested_arrays(65));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().code == ErrorCode::kSpec);
  CHECK(deep.error().message == "nesting deeper than 64 levels");

  auto deep_obj = parse_json(nested_objects(65));
  REQUIRE_FALSE(deep_obj.ok());
  CHECK(deep_obj.error().message == "nesting deeper than 64 levels");

  // A very deep document fails cleanly, without exhausting the stack.
  CHECK_FALSE(parse_json(nested_arrays(100000)).ok());

  // A custom bound.
  CHECK(parse_json(nested_arrays(3), 3).ok());
  auto four = parse_json(nested_arrays(4), 3);
  REQUIRE_FALSE(four.ok());
  CHECK(four.error().message == "nesting deeper than 3 levels");

  // What parse_json accepts, to_json can write.
  CHECK(to_json(parse_ok(nested_arrays(64))) == nested_arrays(64));
}

TEST_CASE("json: malformed input gives an error with a byte offset", "[json]") {
  SECTION("garbage inside the document points at the bad byte") {
    auto r = parse_json(R"({"a":1,"b":x})");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kSpec);
    CHECK(r.error().message.rfind("invalid JSON at byte ", 0) == 0);
    long off = error_offset(r.error().message);
    CHECK(off >= 11);
    CHECK(off <= 12);
  }
  SECTION("trailing garbage") {
    auto r = parse_json("{\"a\":1} x");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("at byte ") != std::string::npos);
    CHECK(r.error().message.find("trailing garbage") != std::string::npos);
    long off = error_offset(r.error().message);
    CHECK(off >= 7);
    CHECK(off <= 9);
    CHECK_FALSE(parse_json("{}{}").ok());
    CHECK_FALSE(parse_json("1 2").ok());
  }
  SECTION("empty and blank input") {
    for (const char* text : {"", " ", "\n\t "}) {
      auto r = parse_json(text);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == ErrorCode::kSpec);
      CHECK_FALSE(r.error().message.empty());
    }
  }
  SECTION("comments are not JSON") {
    CHECK_FALSE(parse_json("{\"a\":1 /* c */}").ok());
    CHECK_FALSE(parse_json("// c\n{}").ok());
    CHECK_FALSE(parse_json("{\"a\":1}\n# c").ok());
  }
  SECTION("other malformations") {
    for (const char* text : {"{\"a\":1,}", "[1,]", "{'a':1}", "{a:1}", "[01]", "[1.]", "[.5]", "[NaN]",
                             "[Infinity]", "[\"\\x\"]", "[\"a\nb\"]", "[tru]", "{\"a\"}", "}"}) {
      INFO(text);
      CHECK_FALSE(parse_json(text).ok());
    }
  }
}

// yajl reports a premature end of input from yajl_complete_parse, which parses a one-byte
// buffer of its own: the offset must still be where the input ended, not 0 or 1.
TEST_CASE("json: a truncated document's error offset is where the input ended", "[json]") {
  const std::string text = R"({"ociVersion":"1.0.2","process":{"args":["sh")";
  auto r = parse_json(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("premature EOF") != std::string::npos);
  CHECK(error_offset(r.error().message) == static_cast<long>(text.size()));

  const std::string text2 = "[1,2";
  auto r2 = parse_json(text2);
  REQUIRE_FALSE(r2.ok());
  CHECK(error_offset(r2.error().message) == 4);

  auto empty = parse_json("");
  REQUIRE_FALSE(empty.ok());
  CHECK(error_offset(empty.error().message) == 0);
}

// Text made in code (a host path in a refusal reason, read from the filesystem) need not be
// UTF-8; what to_json writes must still parse, or the audit log gets a line no reader accepts.
// Go's encoding/json writes U+FFFD for each invalid byte.
TEST_CASE("json: to_json writes valid JSON even for invalid UTF-8 text", "[json]") {
  for (const std::string& bad : {std::string("a\xFF" "b"), std::string("/etc\xC3"), std::string("\xED\xA0\x80")}) {
    std::string out = to_json(Json::string(bad));
    INFO("written: " << out);
    CHECK(parse_json(out).ok());
    Json obj = Json::object();
    obj.set_exact(bad, Json::integer(1));
    CHECK(parse_json(to_json(obj)).ok());
  }
  CHECK(to_json(Json::string("a\xFF" "b")) == "\"a\xEF\xBF\xBD" "b\"");
}

// yajl turns a lone surrogate escape into "?", a character of its own; Go decodes it as U+FFFD.
// A path judged as "/x?y" while runc uses "/x\uFFFDy" is not the path runc opens.
TEST_CASE("json: lone surrogate escapes decode as Go does, or are refused", "[json]") {
  for (const char* text : {R"(["a\ud800b"])", R"(["\udc00"])", R"(["\ud800\u0041"])"}) {
    INFO(text);
    auto r = parse_json(text);
    if (r.ok()) {
      CHECK(r->items()[0].text().find('?') == std::string::npos);
      CHECK(r->items()[0].text().find("\xEF\xBF\xBD") != std::string::npos);
    }
  }
}

TEST_CASE("json: get matches struct fields the way Go does", "[json]") {
  Json v = parse_ok(R"({"noNewPrivileges":true,"Kind":"k","source":"s","other":1})");
  SECTION("ASCII case folding") {
    REQUIRE(v.get("noNewPrivileges") != nullptr);
    CHECK(v.get("NoNewPrivileges") == v.get("noNewPrivileges"));
    CHECK(v.get("NONEWPRIVILEGES") == v.get("noNewPrivileges"));
    CHECK(v.get("nonewprivileges")->as_bool());
    CHECK(v.get("noNewPrivilege") == nullptr);
    CHECK(v.get("noNewPrivilegess") == nullptr);
    CHECK(v.get("") == nullptr);
  }
  SECTION("U+212A KELVIN SIGN folds to k, U+017F LONG S to s") {
    CHECK(v.get("\xE2\x84\xAA" "ind") == v.get("Kind"));     // KELVIN SIGN + "ind"
    CHECK(v.get("\xC5\xBF" "ource") == v.get("source"));     // LONG S + "ource"
    CHECK(v.get("\xC5\xBF" "OURCE") == v.get("source"));
    CHECK(v.get("\xE2\x84\xAA" "ind") != nullptr);
    Json w = parse_ok("{\"\xE2\x84\xAA" "ind\":1,\"ma\xC5\xBF" "kedPaths\":[]}");
    CHECK(w.get("kind") != nullptr);
    CHECK(w.get("KIND") != nullptr);
    CHECK(w.get("maskedPaths") != nullptr);
    CHECK(w.get("MASKEDPATHS") != nullptr);
    // Other non-ASCII letters do not fold to ASCII.
    Json x = parse_ok("{\"\xC3\xA9t\xC3\xA9\":1}");
    CHECK(x.get("ete") == nullptr);
    CHECK(x.get("\xC3\xA9t\xC3\xA9") != nullptr);
  }
  SECTION("go_key_equal directly") {
    CHECK(go_key_equal("Annotations", "annotations"));
    CHECK(go_key_equal("\xE2\x84\xAA", "k"));
    CHECK(go_key_equal("\xE2\x84\xAA", "K"));
    CHECK(go_key_equal("\xC5\xBF", "S"));
    CHECK_FALSE(go_key_equal("\xE2\x84\xAA", "kk"));
    CHECK_FALSE(go_key_equal("a", "b"));
    CHECK_FALSE(go_key_equal("ab", "a"));
    CHECK_FALSE(go_key_equal("", "a"));
    CHECK(go_key_equal("", ""));
    CHECK_FALSE(go_key_equal("a_b", "a-b"));
  }
  SECTION("not an object") {
    Json arr = parse_ok("[1]");
    CHECK(arr.get("a") == nullptr);
    CHECK(arr.get_exact("a") == nullptr);
    CHECK(Json::string("x").get("x") == nullptr);
  }
}

TEST_CASE("json: get_exact matches map keys exactly", "[json]") {
  Json v = parse_ok(R"({"a":1,"A":2,"io.Kubernetes":3})");
  REQUIRE(v.get_exact("a") != nullptr);
  CHECK(v.get_exact("a")->text() == "1");
  REQUIRE(v.get_exact("A") != nullptr);
  CHECK(v.get_exact("A")->text() == "2");
  CHECK(v.get_exact("io.kubernetes") == nullptr);
  CHECK(v.get_exact("io.Kubernetes")->text() == "3");
  Json k = parse_ok("{\"\xE2\x84\xAA\":1}");
  CHECK(k.get_exact("k") == nullptr);
  CHECK(k.get_exact("K") == nullptr);
}

TEST_CASE("json: set replaces a case-folded field in place under the canonical key", "[json]") {
  SECTION("replace in place") {
    Json v = parse_ok(R"({"a":1,"NoNewPrivileges":false,"b":2})");
    Json& r = v.set("noNewPrivileges", Json::boolean(true));
    CHECK(r.as_bool());
    CHECK(to_json(v) == R"({"a":1,"noNewPrivileges":true,"b":2})");
  }
  SECTION("KELVIN spelling replaced by the canonical key") {
    Json v = parse_ok("{\"\xE2\x84\xAA" "ind\":\"x\",\"z\":0}");
    v.set("kind", Json::string("y"));
    CHECK(to_json(v) == R"({"kind":"y","z":0})");
  }
  SECTION("every other case-folded duplicate is removed") {
    Json v = parse_ok(R"({"x":1,"m":0,"X":2,"x":3})");
    v.set("x", Json::integer(9));
    CHECK(to_json(v) == R"({"x":9,"m":0})");
  }
  SECTION("a new key is appended") {
    Json v = parse_ok(R"({"a":1})");
    v.set("b", Json::array({Json::integer(2)}));
    CHECK(to_json(v) == R"({"a":1,"b":[2]})");
  }
  SECTION("set on a non-object makes it an object") {
    Json v;
    v.set("a", Json::integer(1));
    CHECK(to_json(v) == R"({"a":1})");
  }
  SECTION("set_exact keeps other spellings") {
    Json v = parse_ok(R"({"a":1,"A":2})");
    v.set_exact("A", Json::integer(3));
    v.set_exact("b", Json::integer(4));
    CHECK(to_json(v) == R"({"a":1,"A":3,"b":4})");
  }
}

TEST_CASE("json: erase removes every case-folded match", "[json]") {
  Json v = parse_ok("{\"a\":1,\"A\":2,\"b\":3,\"\xE2\x84\xAA\":4,\"k\":5}");
  CHECK(v.erase("a"));
  CHECK(to_json(v) == "{\"b\":3,\"\xE2\x84\xAA\":4,\"k\":5}");
  CHECK(v.erase("K"));
  CHECK(to_json(v) == R"({"b":3})");
  CHECK_FALSE(v.erase("zz"));
  CHECK(to_json(v) == R"({"b":3})");
  Json arr = Json::array();
  CHECK_FALSE(arr.erase("a"));
}

TEST_CASE("json: equality compares kind, text, order", "[json]") {
  CHECK(parse_ok(R"({"a":[1,"x",null,true]})") == parse_ok(R"({ "a" : [ 1 , "x" , null , true ] })"));
  CHECK(parse_ok(R"({"a":1,"b":2})") != parse_ok(R"({"b":2,"a":1})"));
  CHECK(parse_ok("1.0") != parse_ok("1"));  // number text is the value
  CHECK(parse_ok(R"("1")") != parse_ok("1"));
  CHECK(Json() == parse_ok("null"));
  CHECK(Json::boolean(true) != Json::boolean(false));
  CHECK(Json::array() != Json::object());
}

TEST_CASE("json: JSON paths for messages", "[json]") {
  CHECK(json_path_join("", "process") == "process");
  CHECK(json_path_join("process", "capabilities") == "process.capabilities");
  CHECK(json_path_index("mounts", 3) == "mounts[3]");
  CHECK(json_path_join(json_path_index("mounts", 0), "source") == "mounts[0].source");
}

TEST_CASE("json: whitespace in input is accepted and dropped on output", "[json]") {
  CHECK(round_trip(" {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } } \n") == R"({"a":[1,2],"b":{}})");
}

}  // namespace oci_harden
