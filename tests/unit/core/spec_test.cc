// Loading a spec as runc reads it: duplicate keys (exact and case-folded; maps exact only),
// wrong types refused with the JSON path, null as absent, process.json, and the small accessors
// (bind mounts, capability names and numbers).

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/spec.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

using test::data_file;

std::string spec_error(const std::string& text) {
  auto r = parse_spec(text);
  if (r.ok()) return "(accepted)";
  CHECK(r.error().code == ErrorCode::kSpec);
  return r.error().message;
}

std::string process_error(const std::string& text) {
  auto r = parse_process(text);
  if (r.ok()) return "(accepted)";
  CHECK(r.error().code == ErrorCode::kSpec);
  return r.error().message;
}

Json spec_ok(const std::string& text) {
  auto r = parse_spec(text);
  if (!r) FAIL_CHECK("parse_spec refused: " << r.error().message);
  REQUIRE(r.ok());
  return std::move(*r);
}

Json json(const std::string& text) {
  auto r = parse_json(text);
  REQUIRE(r.ok());
  return std::move(*r);
}

const std::string kDupSuffix = ": duplicate key (runc matches field names ignoring case)";

}  // namespace

TEST_CASE("spec: real engine configs load", "[spec]") {
  for (const char* name : {"docker-run.json", "podman-run.json", "runc-spec.json"}) {
    INFO(name);
    auto r = parse_spec(data_file(name));
    if (!r) FAIL_CHECK(r.error().message);
    CHECK(r.ok());
  }
}

TEST_CASE("spec: duplicate keys", "[spec]") {
  SECTION("exact duplicate at the top") {
    CHECK(spec_error(R"({"ociVersion":"1.0.2","ociVersion":"1.0.2"})") == "ociVersion" + kDupSuffix);
  }
  SECTION("case-folded duplicate of a struct field") {
    CHECK(spec_error(R"({"process":{"noNewPrivileges":true,"NoNewPrivileges":false}})") ==
          "process.NoNewPrivileges" + kDupSuffix);
    CHECK(spec_error(R"({"Process":{},"process":{}})") == "process" + kDupSuffix);
  }
  SECTION("KELVIN SIGN and LONG S spellings are the same field") {
    CHECK(spec_error("{\"linux\":{\"maskedPaths\":[],\"ma\xC5\xBFkedPaths\":[\"/x\"]}}") ==
          "linux.ma\xC5\xBFkedPaths" + kDupSuffix);
    CHECK(spec_error("{\"root\":{\"readonly\":true},\"root\":{}}") == "root" + kDupSuffix);
    CHECK(spec_error("{\"hooks\":{},\"hoo\xE2\x84\xAAs\":{}}") == "hoo\xE2\x84\xAAs" + kDupSuffix);
  }
  SECTION("inside array elements, the path shows the index") {
    CHECK(spec_error(R"({"mounts":[{"destination":"/a"},{"type":"bind","Type":"none"}]})") ==
          "mounts[1].Type" + kDupSuffix);
    CHECK(spec_error(R"({"linux":{"namespaces":[{"type":"pid","path":"/a","PATH":"/b"}]}})") ==
          "linux.namespaces[0].PATH" + kDupSuffix);
  }
  SECTION("annotations are a map: keys differing in case are different keys") {
    Json s = spec_ok(R"({"annotations":{"a":"1","A":"2"}})");
    CHECK(map_entry(field(&s, "annotations"), "a")->text() == "1");
    CHECK(map_entry(field(&s, "annotations"), "A")->text() == "2");
    CHECK(spec_ok(R"({"Annotations":{"org.x":"1","ORG.X":"2"}})").is_object());
  }
  SECTION("an exact duplicate in annotations is refused") {
    CHECK(spec_error(R"({"annotations":{"a":"1","a":"2"}})") == "annotations.a: duplicate key");
  }
  SECTION("the other maps: sysctl, unified, netDevices, rdma") {
    CHECK(spec_ok(R"({"linux":{"sysctl":{"net.a":"1","NET.A":"2"}}})").is_object());
    CHECK(spec_error(R"({"linux":{"sysctl":{"net.a":"1","net.a":"2"}}})") == "linux.sysctl.net.a: duplicate key");
    CHECK(spec_ok(R"({"linux":{"resources":{"unified":{"memory.max":"1","MEMORY.MAX":"2"}}}})").is_object());
    CHECK(spec_error(R"({"linux":{"resources":{"unified":{"x":"1","x":"2"}}}})") ==
          "linux.resources.unified.x: duplicate key");
    CHECK(spec_ok(R"({"linux":{"netDevices":{"eth0":{},"ETH0":{}}}})").is_object());
    // A map's values are structs again: their fields fold.
    CHECK(spec_error(R"({"linux":{"netDevices":{"eth0":{"name":"a","Name":"b"}}}})") ==
          "linux.netDevices.eth0.Name" + kDupSuffix);
  }
  SECTION("a map-like name elsewhere is still a struct") {
    CHECK(spec_error(R"({"process":{"annotations":{"a":1,"A":2}}})") == "process.annotations.A" + kDupSuffix);
  }
}

TEST_CASE("spec: wrong types are refused with the JSON path", "[spec]") {
  CHECK(spec_error(R"({"process":{"noNewPrivileges":"true"}})") == "process.noNewPrivileges: expected a boolean");
  CHECK(spec_error(R"({"process":{"NoNewPrivileges":1}})") == "process.noNewPrivileges: expected a boolean");
  CHECK(spec_error(R"({"linux":{"resources":{"pids":{"limit":"100"}}}})") ==
        "linux.resources.pids.limit: expected an integer");
  CHECK(spec_error(R"({"linux":{"resources":{"pids":{"limit":1.5}}}})") ==
        "linux.resources.pids.limit: expected an integer");
  CHECK(spec_error(R"({"linux":{"resources":{"pids":{"limit":1e3}}}})") ==
        "linux.resources.pids.limit: expected an integer");
  CHECK(spec_error(R"({"linux":{"resources":{"pids":{"limit":9223372036854775808}}}})") ==
        "linux.resources.pids.limit: expected an integer");
  CHECK(spec_error(R"({"process":{"user":{"uid":-1}}})") ==
        "process.user.uid: expected an integer from 0 to 4294967295");
  CHECK(spec_error(R"({"process":{"user":{"uid":4294967296}}})") ==
        "process.user.uid: expected an integer from 0 to 4294967295");
  CHECK(spec_error(R"({"process":{"user":{"gid":"0"}}})") ==
        "process.user.gid: expected an integer from 0 to 4294967295");
  CHECK(spec_error(R"({"process":{"user":{"additionalGids":[0,-1]}}})") ==
        "process.user.additionalGids[1]: expected an integer from 0 to 4294967295");
  CHECK(spec_error(R"({"process":{"capabilities":{"bounding":["CAP_KILL",21]}}})") ==
        "process.capabilities.bounding: expected an array of strings");
  CHECK(spec_error(R"({"process":{"capabilities":{"ambient":"CAP_KILL"}}})") ==
        "process.capabilities.ambient: expected an array of strings");
  CHECK(spec_error(R"({"process":{"capabilities":["CAP_SYS_ADMIN"]}})") ==
        "process.capabilities: expected an object");
  CHECK(spec_error(R"({"root":{"readonly":"false"}})") == "root.readonly: expected a boolean");
  CHECK(spec_error(R"({"mounts":[{"destination":"/a","options":["ro"]},{"destination":"/b","options":[1]}]})") ==
        "mounts[1].options: expected an array of strings");
  CHECK(spec_error(R"({"mounts":{"destination":"/a"}})") == "mounts: expected an array");
  CHECK(spec_error(R"({"mounts":["/a"]})") == "mounts[0]: expected an object");
  CHECK(spec_error(R"({"linux":{"namespaces":[{"type":1}]}})") == "linux.namespaces[0].type: expected a string");
  CHECK(spec_error(R"({"linux":{"uidMappings":[{"containerID":0,"hostID":-5,"size":1}]}})") ==
        "linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295");
  CHECK(spec_error(R"({"linux":{"resources":{"devices":[{"allow":"yes"}]}}})") ==
        "linux.resources.devices[0].allow: expected a boolean");
  CHECK(spec_error(R"({"linux":{"resources":{"cpu":{"period":-1}}}})") ==
        "linux.resources.cpu.period: expected a non-negative integer");
  CHECK(spec_error(R"({"linux":{"sysctl":[]}})") == "linux.sysctl: expected an object");
  CHECK(spec_error(R"({"annotations":[]})") == "annotations: expected an object");
  CHECK(spec_error(R"({"linux":{"maskedPaths":"/proc/kcore"}})") == "linux.maskedPaths: expected an array of strings");
  CHECK(spec_error("[]") == "expected a JSON object");
  CHECK(spec_error("\"x\"") == "expected a JSON object");
  CHECK(spec_error("{").rfind("invalid JSON at byte ", 0) == 0);
}

TEST_CASE("spec: boundary values of typed fields", "[spec]") {
  CHECK(spec_ok(R"({"process":{"user":{"uid":4294967295,"gid":0}}})").is_object());
  CHECK(spec_ok(R"({"linux":{"resources":{"pids":{"limit":-1}}}})").is_object());
  CHECK(spec_ok(R"({"linux":{"resources":{"pids":{"limit":0}}}})").is_object());
  CHECK(spec_ok(R"({"linux":{"resources":{"pids":{"limit":9223372036854775807}}}})").is_object());
  CHECK(spec_ok(R"({"linux":{"resources":{"cpu":{"shares":18446744073709551615}}}})").is_object());
}

TEST_CASE("spec: null counts as absent", "[spec]") {
  Json s = spec_ok(R"({"process":{"noNewPrivileges":null,"user":null,"capabilities":{"bounding":null}},
                       "root":null,"mounts":null,"annotations":null,
                       "linux":{"resources":{"pids":{"limit":null}},"namespaces":[null]}})");
  CHECK(field_at(s, "process.noNewPrivileges") == nullptr);
  CHECK(field_at(s, "process.user") == nullptr);
  CHECK(field_at(s, "process.capabilities.bounding") == nullptr);
  CHECK(field_at(s, "linux.resources.pids.limit") == nullptr);
  CHECK(field(&s, "root") == nullptr);
  CHECK(field(&s, "mounts") == nullptr);
  CHECK(int_field(field_at(s, "linux.resources.pids"), "limit") == std::nullopt);
  CHECK(bool_field(field(&s, "process"), "noNewPrivileges") == std::nullopt);
  REQUIRE(field_at(s, "linux.resources.pids") != nullptr);
  // The null is kept in the tree (written back as it came).
  CHECK(s.get("root") != nullptr);
  CHECK(s.get("root")->is_null());
}

TEST_CASE("spec: typed accessors", "[spec]") {
  Json s = spec_ok(R"({"process":{"NoNewPrivileges":true,"user":{"uid":1000},"args":["a","b"],
                       "Terminal":false},
                       "annotations":{"K":"v"},"linux":{"resources":{"pids":{"limit":100}}}})");
  CHECK(bool_field(field(&s, "process"), "noNewPrivileges") == std::optional<bool>(true));
  CHECK(bool_field(field(&s, "process"), "terminal") == std::optional<bool>(false));
  CHECK(int_field(field_at(s, "process.user"), "uid") == std::optional<int64_t>(1000));
  CHECK(int_field(field_at(s, "linux.resources.pids"), "limit") == std::optional<int64_t>(100));
  CHECK(string_field(field_at(s, "process.user"), "uid") == std::nullopt);  // wrong type: absent
  CHECK(map_entry(field(&s, "annotations"), "K")->text() == "v");
  CHECK(map_entry(field(&s, "annotations"), "k") == nullptr);
  CHECK(field_at(s, "PROCESS.USER.UID") != nullptr);
  CHECK(field_at(s, "process.user.nope") == nullptr);
  CHECK(field_at(s, "") == &s);
  CHECK(field(static_cast<const Json*>(nullptr), "a") == nullptr);

  CHECK(string_items(&s).empty());  // not an array
  Json arr = json(R"(["a",1,"b"])");
  CHECK(string_items(&arr) == std::vector<std::string>{"a", "b"});
  CHECK(string_items(nullptr).empty());
  CHECK(to_json(string_array({"x", "y"})) == R"(["x","y"])");

  Json obj = json(R"({"linux":null,"b":1})");
  Json& linux = ensure_object(obj, "linux");
  linux.set("x", Json::integer(1));
  CHECK(to_json(obj) == R"({"linux":{"x":1},"b":1})");
  Json& again = ensure_object(obj, "LINUX");
  CHECK(&again == obj.get("linux"));
  Json notobj = json(R"({"root":"str"})");
  ensure_object(notobj, "root");
  CHECK(to_json(notobj) == R"({"root":{}})");
}

TEST_CASE("spec: parse_process reads a runc exec --process file", "[spec]") {
  const std::string good = R"({"terminal":false,"user":{"uid":0,"gid":0,"additionalGids":[10]},
      "args":["sh","-c","id"],"env":["PATH=/bin"],"cwd":"/","noNewPrivileges":true,
      "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]},
      "apparmorProfile":"docker-default"})";
  auto r = parse_process(good);
  REQUIRE(r.ok());
  CHECK(bool_field(&*r, "noNewPrivileges") == std::optional<bool>(true));
  CHECK(string_items(field_at(*r, "capabilities.bounding")) == std::vector<std::string>{"CAP_KILL"});

  CHECK(process_error(R"({"noNewPrivileges":"yes"})") == "noNewPrivileges: expected a boolean");
  CHECK(process_error(R"({"user":{"uid":-1}})") == "user.uid: expected an integer from 0 to 4294967295");
  CHECK(process_error(R"({"capabilities":{"bounding":[1]}})") ==
        "capabilities.bounding: expected an array of strings");
  CHECK(process_error(R"({"args":["a"],"Args":["b"]})") == "Args" + kDupSuffix);
  CHECK(process_error(R"({"args":"sh"})") == "args: expected an array of strings");
  CHECK(process_error("[]") == "expected a JSON object");
  // Top-level spec fields mean nothing in a process file and are not judged as spec fields.
  CHECK(parse_process(R"({"root":"x","linux":7,"args":["sh"]})").ok());

  const std::string golden = data_file("docker-exec-process.json");
  auto g = parse_process(golden);
  if (!g) FAIL_CHECK(g.error().message);
  CHECK(g.ok());
}

TEST_CASE("spec: is_bind_mount", "[spec]") {
  CHECK(is_bind_mount(json(R"({"destination":"/a","type":"bind","source":"/b"})")));
  CHECK(is_bind_mount(json(R"({"destination":"/a","source":"/b","options":["rbind","ro"]})")));
  CHECK(is_bind_mount(json(R"({"destination":"/a","type":"none","source":"/b","options":["bind"]})")));
  CHECK(is_bind_mount(json(R"({"destination":"/a","type":"none","source":"/b","options":["ro","rbind"]})")));
  CHECK(is_bind_mount(json(R"({"destination":"/a","Type":"bind","source":"/b"})")));
  CHECK_FALSE(is_bind_mount(json(R"({"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid"]})")));
  CHECK_FALSE(is_bind_mount(json(R"({"destination":"/proc","type":"proc","source":"proc"})")));
  CHECK_FALSE(is_bind_mount(json(R"({"destination":"/a","type":"none","options":["rbindx","bind-propagation"]})")));
  CHECK_FALSE(is_bind_mount(json(R"({})")));
}

TEST_CASE("spec: capability names and numbers", "[spec]") {
  CHECK(capability_number("CAP_SYS_ADMIN") == 21);
  CHECK(capability_number("CAP_CHOWN") == 0);
  CHECK(capability_number("CAP_NET_RAW") == 13);
  CHECK(capability_number("CAP_SYS_MODULE") == 16);
  CHECK(capability_number("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK(capability_number("cap_sys_admin") == -1);
  CHECK(capability_number("Cap_Sys_Admin") == -1);
  CHECK(capability_number("CAP_sys_admin") == -1);
  CHECK(capability_number("SYS_ADMIN") == -1);
  CHECK(capability_number("sys_admin") == -1);
  CHECK(capability_number("CAP_") == -1);
  CHECK(capability_number("") == -1);
  CHECK(capability_number("CAP_NOT_A_CAP") == -1);
  CHECK(capability_number(" CAP_SYS_ADMIN") == -1);
  CHECK(capability_number("CAP_SYS_ADMIN ") == -1);

  CHECK(capability_name(21) == "CAP_SYS_ADMIN");
  CHECK(capability_name(0) == "CAP_CHOWN");
  CHECK(capability_name(13) == "CAP_NET_RAW");
  CHECK(capability_name(40) == "CAP_CHECKPOINT_RESTORE");
  for (int n = 0; n <= 40; ++n) {
    INFO(n);
    CHECK(capability_number(capability_name(n)) == n);
  }
}

// runc does not know "CAP_21" (it ignores unknown names); a number spelled as a name must not
// turn into CAP_SYS_ADMIN for the rules.
TEST_CASE("spec: a number spelled as a capability name is unknown", "[spec]") {
  CHECK(capability_number("CAP_21") == -1);
  CHECK(capability_number("CAP_0") == -1);
}

}  // namespace oci_harden
