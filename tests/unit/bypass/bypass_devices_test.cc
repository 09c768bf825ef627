// The bypass corpus for the device and process fields that reach the host: character-device
// rules that open host memory, the kernel log, consoles and kvm (each device class, wildcards,
// spellings of the numbers), an unconfined AppArmor profile however it is asked for, an
// oomScoreAdj that the OOM killer never picks, and cgroupsPaths that are the root cgroup. Every
// attempt goes through parse_spec and harden_spec exactly as `oci-harden create` does, and must be
// refused at load, refused by the rule, or neutralised in the spec runc will read. What runc
// 1.1.5 does with each is in tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

std::string runc_spec_text() { return test::data_file("runc-spec.json"); }

// `runc spec` (runc 1.1.5) with a writable root, as compact text, with CAP_MKNOD added to every
// set and the user namespace opted out of (an allowed opt-out): the only way a container's root
// can make a device node of the host.
Json base_spec() {
  auto r = parse_spec(runc_spec_text());
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  field(&spec, "root")->set("readonly", Json::boolean(false));
  for (const char* set : {"bounding", "effective", "permitted"}) {
    Json* caps = field_at(spec, std::string("process.capabilities.") + set);
    REQUIRE(caps != nullptr);
    caps->push_back(Json::string("CAP_MKNOD"));
  }
  Json annotations = Json::object();
  annotations.set("org.oci-harden.opt-out", Json::string("user-namespace"));
  spec.set("annotations", annotations);
  return spec;
}

// Inserts `raw` right after the first `anchor` of the compact text.
std::string insert_after(std::string text, const std::string& anchor, const std::string& raw) {
  size_t at = text.find(anchor);
  INFO("anchor " << anchor);
  REQUIRE(at != std::string::npos);
  size_t pos = at + anchor.size();
  std::string add = raw;
  // A member list that was empty takes no separating comma.
  if (!add.empty() && add.back() == ',' && pos < text.size() && (text[pos] == '}' || text[pos] == ']')) {
    add.pop_back();
  }
  text.insert(pos, add);
  return text;
}

std::string with_device_rules(const std::string& rules) {
  Json spec = base_spec();
  field_at(spec, "linux.resources")->erase("devices");
  return insert_after(to_json(spec), "\"resources\":{",
                      R"("devices":[{"allow":false,"access":"rwm"},)" + rules + "],");
}

std::string with_process_field(const std::string& raw) {
  return insert_after(to_json(base_spec()), "\"process\":{", raw + ",");
}

std::string with_linux_field(const std::string& raw) {
  return insert_after(to_json(base_spec()), "\"linux\":{", raw + ",");
}

Policy test_policy() { return bypass::policy(); }

FakeHost apparmor_host() {
  FakeHost host;
  host.apparmor = true;
  host.apparmor_profiles = {"docker-default", "lax-profile", "learning-profile"};
  host.apparmor_modes["lax-profile"] = "unconfined";
  host.apparmor_modes["learning-profile"] = "complain";
  return host;
}

using bypass::Verdict;

Verdict judge(const std::string& text, const Host& host = FakeHost(),
              const Policy& policy = test_policy()) {
  return bypass::attempt(text, host, policy);
}

// The hardened spec as runc will read it: written out and loaded again.
Json written(const Verdict& v) {
  auto again = parse_spec(to_json(v.d.spec));
  REQUIRE(again.ok());
  return std::move(*again);
}

void require_refused_by(const Verdict& v, const char* rule) {
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK(v.refused_by(rule));
}

// Refused by the rule, or refused at load (runc would not read it as written either).
void require_refused_or_load_error(const Verdict& v, const char* rule) {
  INFO(v.describe());
  CHECK((!v.loaded || v.refused_by(rule)));
}

}  // namespace

// ===================================================================== devices
TEST_CASE("bypass/devices: character devices that reach the host, each class", "[bypass]") {
  struct Case {
    const char* what;
    const char* rule;
  };
  const Case cases[] = {
      {"mem 1:1 r", R"({"allow":true,"type":"c","major":1,"minor":1,"access":"r"})"},
      {"kmem 1:2 rw", R"({"allow":true,"type":"c","major":1,"minor":2,"access":"rw"})"},
      {"port 1:4 w", R"({"allow":true,"type":"c","major":1,"minor":4,"access":"w"})"},
      {"kmsg 1:11 w", R"({"allow":true,"type":"c","major":1,"minor":11,"access":"w"})"},
      {"every memory device 1:* rwm", R"({"allow":true,"type":"c","major":1,"access":"rwm"})"},
      {"every memory device 1:-1 rwm", R"({"allow":true,"type":"c","major":1,"minor":-1,"access":"rwm"})"},
      {"tty1 4:1 rw", R"({"allow":true,"type":"c","major":4,"minor":1,"access":"rw"})"},
      {"every tty 4:* rwm", R"({"allow":true,"type":"c","major":4,"access":"rwm"})"},
      {"ttyS0 4:64 rw", R"({"allow":true,"type":"c","major":4,"minor":64,"access":"rw"})"},
      {"vcsa 7:128 r", R"({"allow":true,"type":"c","major":7,"minor":128,"access":"r"})"},
      {"every vcs 7:* rwm", R"({"allow":true,"type":"c","major":7,"access":"rwm"})"},
      {"kvm 10:232 rw", R"({"allow":true,"type":"c","major":10,"minor":232,"access":"rw"})"},
      {"every misc device 10:* rwm", R"({"allow":true,"type":"c","major":10,"access":"rwm"})"},
      {"5:* (beside tty, console, ptmx: the callout devices)", R"({"allow":true,"type":"c","major":5,"access":"rw"})"},
      {"an input device 13:64 r", R"({"allow":true,"type":"c","major":13,"minor":64,"access":"r"})"},
      {"access written mwr", R"({"allow":true,"type":"c","major":1,"minor":11,"access":"mwr"})"},
      {"access written rrr", R"({"allow":true,"type":"c","major":1,"minor":1,"access":"rrr"})"},
      {"empty access (read as rwm)", R"({"allow":true,"type":"c","major":7,"minor":0,"access":""})"},
      {"no access key (read as rwm)", R"({"allow":true,"type":"c","major":7,"minor":0})"},
      {"keys spelled Major, Minor, Access",
       R"({"Allow":true,"Type":"c","Major":1,"Minor":11,"Access":"w"})"},
      {"a default rule, then the same major widened",
       R"({"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"},{"allow":true,"type":"c","major":1,"access":"rw"})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { require_refused_by(judge(with_device_rules(c.rule)), "devices"); }
  }
  // Numbers runc would read otherwise than they look (Go's int64 refuses 1e0; a duplicate key
  // is matched by runc's decoder, not by ours): refused at load.
  const Case load_errors[] = {
      {"major as 1e0", R"({"allow":true,"type":"c","major":1e0,"minor":11,"access":"w"})"},
      {"minor as 11.0", R"({"allow":true,"type":"c","major":1,"minor":11.0,"access":"w"})"},
      {"duplicate key: major 1 then 136",
       R"({"allow":true,"type":"c","major":1,"major":136,"minor":11,"access":"w"})"},
      {"duplicate key: minor 11 then 3",
       R"({"allow":true,"type":"c","major":1,"minor":11,"minor":3,"access":"w"})"},
  };
  for (const Case& c : load_errors) {
    DYNAMIC_SECTION("refused at load: " << c.what) {
      Verdict v = judge(with_device_rules(c.rule));
      INFO(v.describe());
      CHECK_FALSE(v.loaded);
    }
  }
}

TEST_CASE("bypass/devices: an allowed device's name does not carry another's numbers", "[bypass]") {
  Policy policy = test_policy();
  policy.allowed_devices = {"/dev/fuse", "/dev/nvidia0"};
  FakeHost host;
  host.devices["/dev/nvidia0"] = Host::DeviceNode{'c', 195, 0};
  struct Case {
    const char* what;
    const char* node;
    const char* rule;
  };
  const Case cases[] = {
      {"/dev/nvidia0 made of kmsg's numbers", R"({"path":"/dev/nvidia0","type":"c","major":1,"minor":11})",
       R"({"allow":true,"type":"c","major":1,"minor":11,"access":"rw"})"},
      {"/dev/fuse made of kvm's numbers", R"({"path":"/dev/fuse","type":"c","major":10,"minor":232})",
       R"({"allow":true,"type":"c","major":10,"minor":232,"access":"rw"})"},
      {"/dev/nvidia0 listed, the driver's every minor asked", R"({"path":"/dev/nvidia0","type":"c","major":195,"minor":0})",
       R"({"allow":true,"type":"c","major":195,"access":"rw"})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::string text = insert_after(with_device_rules(c.rule), "\"linux\":{",
                                      std::string("\"devices\":[") + c.node + "],");
      INFO(text);
      require_refused_by(judge(text, host, policy), "devices");
    }
  }
  SECTION("the genuine node and its exact rule pass") {
    std::string text = insert_after(
        with_device_rules(R"({"allow":true,"type":"c","major":195,"minor":0,"access":"rw"})"),
        "\"linux\":{", R"("devices":[{"path":"/dev/nvidia0","type":"c","major":195,"minor":0}],)");
    Verdict v = judge(text, host, policy);
    INFO(v.describe());
    CHECK_FALSE(v.refused_by("devices"));
  }
}

// ===================================================================== apparmor
TEST_CASE("bypass/apparmor: unconfined, however it is asked for", "[bypass]") {
  FakeHost host = apparmor_host();
  struct Case {
    const char* what;
    const char* field;
  };
  const Case confining_nothing[] = {
      {"\"unconfined\"", R"("apparmorProfile":"unconfined")"},
      {"key spelled ApparmorProfile", R"("ApparmorProfile":"unconfined")"},
      {"key spelled APPARMORPROFILE", R"("APPARMORPROFILE":"unconfined")"},
      {"a profile loaded in unconfined mode", R"("apparmorProfile":"lax-profile")"},
      {"a profile loaded in complain mode", R"("apparmorProfile":"learning-profile")"},
      {"unicode escape for u", R"("apparmorProfile":"\u0075nconfined")"},
  };
  for (const Case& c : confining_nothing) {
    DYNAMIC_SECTION("replaced: " << c.what) {
      Verdict v = judge(with_process_field(c.field), host);
      INFO(v.describe());
      REQUIRE(v.loaded);
      CHECK_FALSE(v.refused_by("apparmor"));
      CHECK(string_field(field_at(written(v), "process"), "apparmorProfile") ==
            std::optional<std::string>("docker-default"));
    }
    DYNAMIC_SECTION("refused under apparmor.unconfined refuse: " << c.what) {
      Policy p = test_policy();
      p.apparmor_unconfined = AppArmorUnconfined::kRefuse;
      require_refused_by(judge(with_process_field(c.field), host, p), "apparmor");
    }
  }
  SECTION("a duplicate key: runc reads the last; both are judged as one") {
    Verdict v = judge(with_process_field(R"("apparmorProfile":"docker-default","apparmorProfile":"unconfined")"), host);
    INFO(v.describe());
    if (v.loaded) {
      CHECK(string_field(field_at(written(v), "process"), "apparmorProfile") ==
            std::optional<std::string>("docker-default"));
    }
  }
  // Other cases and padded names are other profile names to the kernel (case-sensitive):
  // not loaded, so runc fails to start the container; never unconfined.
  for (const char* name : {"Unconfined", "UNCONFINED", "unconfined ", " unconfined"}) {
    DYNAMIC_SECTION("kept, and no confinement lost: " << name) {
      Verdict v = judge(with_process_field(std::string(R"("apparmorProfile":")") + name + "\""), host);
      INFO(v.describe());
      REQUIRE(v.loaded);
      CHECK(string_field(field_at(written(v), "process"), "apparmorProfile") == std::optional<std::string>(name));
      CHECK_FALSE(host.apparmor_profile_mode(name).has_value());
    }
  }
}

// ===================================================================== oom-score-adj
TEST_CASE("bypass/oom-score-adj: a container the OOM killer never picks", "[bypass]") {
  const char* values[] = {"-1000", "-999", "-998", "-2000", "-9223372036854775808"};
  for (const char* value : values) {
    DYNAMIC_SECTION("oomScoreAdj " << value) {
      Verdict v = judge(with_process_field(std::string(R"("oomScoreAdj":)") + value));
      INFO(v.describe());
      REQUIRE(v.loaded);
      CHECK(int_field(field_at(written(v), "process"), "oomScoreAdj") == std::optional<int64_t>(-997));
    }
  }
  const char* load_errors[] = {R"("oomScoreAdj":"-1000")", R"("oomScoreAdj":-1000.5)",
                               R"("oomScoreAdj":-99999999999999999999)"};
  for (const char* f : load_errors) {
    DYNAMIC_SECTION("refused at load: " << f) {
      Verdict v = judge(with_process_field(f));
      CHECK_FALSE(v.loaded);
    }
  }
  SECTION("a duplicate key: runc reads the last") {
    Verdict v = judge(with_process_field(R"("oomScoreAdj":0,"oomScoreAdj":-1000)"));
    INFO(v.describe());
    if (v.loaded) {
      CHECK(int_field(field_at(written(v), "process"), "oomScoreAdj") == std::optional<int64_t>(-997));
    }
  }
  SECTION("key spelled OOMScoreAdj (Go's case-insensitive match)") {
    Verdict v = judge(with_process_field(R"("OOMScoreAdj":-1000)"));
    INFO(v.describe());
    if (v.loaded) {
      Json out = written(v);
      CHECK(int_field(field_at(out, "process"), "oomScoreAdj") == std::optional<int64_t>(-997));
    }
  }
}

// ===================================================================== cgroups-path
TEST_CASE("bypass/cgroups-path: the root cgroup under other spellings", "[bypass]") {
  const char* paths[] = {"/", "//", "/..", "/../..", "/./.", "/docker/../", "///", "/.//./..",
                         ".", "..", "./", "docker/..", "system.slice:docker:-.slice",
                         "-.slice::-.slice"};
  for (const char* path : paths) {
    DYNAMIC_SECTION("cgroupsPath " << path) {
      require_refused_by(judge(with_linux_field(std::string(R"("cgroupsPath":")") + path + "\"")),
                         "cgroups-path");
    }
  }
  SECTION("key spelled CgroupsPath") {
    require_refused_by(judge(with_linux_field(R"("CgroupsPath":"/..")")), "cgroups-path");
  }
  SECTION("a duplicate key: runc reads the last") {
    Verdict v = judge(with_linux_field(R"("cgroupsPath":"/docker/x","cgroupsPath":"/")"));
    require_refused_or_load_error(v, "cgroups-path");
  }
  SECTION("as a number: runc refuses it too") {
    CHECK_FALSE(judge(with_linux_field(R"("cgroupsPath":0)")).loaded);
  }
}

}  // namespace oci_harden
