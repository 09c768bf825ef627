// The strict TOML editor: what it reads, what it refuses (with the line), and that an edit
// changes only the lines it sets.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/toml_edit.hh"

namespace oci_harden {

namespace {

TomlDocument parsed(const std::string& text) {
  auto doc = TomlDocument::parse(text, "t.toml");
  INFO((doc ? std::string() : doc.error().message));
  REQUIRE(doc);
  return std::move(*doc);
}

std::string refusal(const std::string& text) {
  auto doc = TomlDocument::parse(text, "t.toml");
  REQUIRE_FALSE(doc);
  return doc.error().message;
}

}  // namespace

TEST_CASE("toml: values, quoted and dotted keys, comments are read", "[toml][configure]") {
  auto doc = parsed(
      "# top\nversion = 2 # the version\nratio = 0.02\nneg = -1_000\non = true\n"
      "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
      "  a.'b.c' = 'lit\\eral'\n  s = \"tab\\there \\u00e9\"\n"
      "  list = [\n    \"x\", # one\n    \"y\",\n  ]\n  t = { k = 1, \"q r\" = [1, 2] }\n");
  REQUIRE(doc.get({"version"}) != nullptr);
  CHECK(doc.get({"version"})->kind == TomlValue::Kind::kInteger);
  CHECK(doc.get({"ratio"})->kind == TomlValue::Kind::kFloat);
  CHECK(doc.get({"neg"})->kind == TomlValue::Kind::kInteger);
  CHECK(doc.get({"on"})->canonical == "true");
  TomlPath base = {"plugins", "io.containerd.grpc.v1.cri", "containerd"};
  CHECK(doc.has_table(base));
  auto at = [&](std::initializer_list<std::string> tail) {
    TomlPath p = base;
    p.insert(p.end(), tail);
    return p;
  };
  REQUIRE(doc.get(at({"a", "b.c"})) != nullptr);
  CHECK(doc.get(at({"a", "b.c"}))->text == "lit\\eral");
  CHECK(doc.get(at({"s"}))->text == "tab\there \xc3\xa9");
  CHECK(doc.get(at({"list"}))->canonical == "[\"x\", \"y\"]");
  CHECK(doc.get(at({"t"}))->canonical == "{ k = 1, \"q r\" = [1, 2] }");
}

TEST_CASE("toml: what it does not understand is refused with its line", "[toml][configure]") {
  CHECK(refusal("a = 1\nb = \"\"\"\nx\"\"\"\n") == "t.toml:2: multi-line strings (\"\"\") are not supported");
  CHECK(refusal("[[a]]\n").find("t.toml:1: arrays of tables") == 0);
  CHECK(refusal("a = 1979-05-27\n").find("t.toml:1: value 1979-05-27 is not understood") == 0);
  CHECK(refusal("a = 0x10\n").find("t.toml:1: value 0x10") == 0);
  CHECK(refusal("[a]\nb = 1\n[a]\n") == "t.toml:3: a is defined twice (first on line 1)");
  CHECK(refusal("a = 1\na = 2\n") == "t.toml:2: a is defined twice (first on line 1)");
  CHECK(refusal("a = 1\n[a.b]\n").find("t.toml:2: a.b is inside the value a") == 0);
  CHECK(refusal("a = \"open\n") == "t.toml:1: unterminated string");
  CHECK(refusal("a = [1, 2\n") == "t.toml:2: unterminated array");
  CHECK(refusal("a = 1 b\n").find("t.toml:1: unexpected 'b'") == 0);
  CHECK(refusal("[a\n") == "t.toml:1: expected ']' to close the table header");
  CHECK(refusal("a = \"\\q\"\n") == "t.toml:1: unknown escape \\q");
  CHECK(refusal("= 1\n") == "t.toml:1: expected a key");
  CHECK(refusal("a = 01\n").find("t.toml:1: value 01") == 0);
}

TEST_CASE("toml: set replaces a value in place and keeps indent, key and comment", "[toml][configure]") {
  auto doc = parsed("[x]\n    'k' = \"old\"   # why\nother = 1\n");
  bool changed = false;
  REQUIRE(doc.set({"x", "k"}, TomlValue::string("new"), &changed));
  CHECK(changed);
  CHECK(doc.text() == "[x]\n    'k' = \"new\"   # why\nother = 1\n");
  REQUIRE(doc.set({"x", "k"}, TomlValue::string("new"), &changed));
  CHECK_FALSE(changed);
}

TEST_CASE("toml: set replaces an array over several lines by one line", "[toml][configure]") {
  auto doc = parsed("[x]\nl = [\n  \"a\",\n  \"b\",\n]\ny = 2\n");
  bool changed = false;
  REQUIRE(doc.set({"x", "l"}, TomlValue::string_array({"a", "b", "c"}), &changed));
  CHECK(doc.text() == "[x]\nl = [\"a\", \"b\", \"c\"]\ny = 2\n");
}

TEST_CASE("toml: set adds a key after its table's keys, a table after its parent's tables", "[toml][configure]") {
  auto doc = parsed("top = 1\n\n[a]\n  k = 1\n\n  [a.b]\n    z = 2\n\n[c]\n");
  bool changed = false;
  REQUIRE(doc.set({"a", "n"}, TomlValue::boolean(true), &changed));
  REQUIRE(doc.set({"a", "new", "v"}, TomlValue::string("s"), &changed));
  REQUIRE(doc.set({"root"}, TomlValue::string("r"), &changed));
  REQUIRE(doc.set({"d", "e", "f"}, TomlValue::string("g"), &changed));
  CHECK(doc.text() ==
        "top = 1\nroot = \"r\"\n\n[a]\n  k = 1\n  n = true\n\n  [a.b]\n    z = 2\n\n  [a.new]\n    v = \"s\"\n\n[c]\n"
        "\n[d.e]\n  f = \"g\"\n");
  REQUIRE(TomlDocument::parse(doc.text(), "again"));
}

TEST_CASE("toml: set refuses to cross a value or an inline table, and dotted-key tables", "[toml][configure]") {
  auto doc = parsed("[a]\nopts = { B = \"x\" }\ns = \"v\"\n[p]\nq.r = 1\n");
  bool changed = true;
  auto st = doc.set({"a", "opts", "B"}, TomlValue::string("y"), &changed);
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "t.toml: cannot set a.opts.B: a.opts on line 2 is a value, not a table");
  CHECK_FALSE(changed);
  CHECK_FALSE(doc.set({"a", "s", "t"}, TomlValue::string("y"), &changed));
  CHECK_FALSE(doc.set({"a"}, TomlValue::string("y"), &changed));
  CHECK_FALSE(doc.set({"p", "q", "z"}, TomlValue::string("y"), &changed));
  CHECK_FALSE(doc.set({"p", "new"}, TomlValue::string("y"), &changed));
  CHECK(doc.text() == "[a]\nopts = { B = \"x\" }\ns = \"v\"\n[p]\nq.r = 1\n");
}

TEST_CASE("toml: an empty file, and one without a final newline", "[toml][configure]") {
  auto empty = parsed("");
  bool changed = false;
  REQUIRE(empty.set({"engine", "runtime"}, TomlValue::string("hardened"), &changed));
  CHECK(empty.text() == "[engine]\nruntime = \"hardened\"\n");
  auto bare = parsed("[engine]\nx = 1");
  REQUIRE(bare.set({"engine", "y"}, TomlValue::boolean(false), &changed));
  CHECK(bare.text() == "[engine]\nx = 1\ny = false");
  REQUIRE(bare.set({"other", "z"}, TomlValue::boolean(true), &changed));
  CHECK(bare.text() == "[engine]\nx = 1\ny = false\n\n[other]\nz = true\n");
}

}  // namespace oci_harden
