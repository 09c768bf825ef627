// GPUs and CDI (issue 17.2): the policy keys allowed_device_numbers and allowed_hook_args,
// globs in allowed_readonly_paths, /proc/devices, and profiles/policy-gpu.json against what
// `nvidia-ctk cdi generate` puts in a spec (device nodes, their cgroup rules, read-only binds of
// the driver's libraries and binaries, nvidia-ctk hooks), on FakeHost.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/proc_devices.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;
using Reasons = std::vector<std::string>;

const char* const kLibs = "/usr/lib/x86_64-linux-gnu";

Policy gpu_policy() {
  auto p = parse_policy(test::repo_file("profiles/policy-gpu.json"), "/etc/oci-harden/policy.json");
  if (!p) FAIL("profiles/policy-gpu.json: " << p.error().message);
  return std::move(*p);
}

// A GPU node as the host has it: /dev/nvidia0, nvidiactl, the uvm pair (major 508 here: the
// kernel gives nvidia-uvm its major at load), and one capability node.
FakeHost gpu_host() {
  FakeHost host;
  host.devices["/dev/nvidia0"] = Host::DeviceNode{'c', 195, 0};
  host.devices["/dev/nvidiactl"] = Host::DeviceNode{'c', 195, 255};
  host.devices["/dev/nvidia-uvm"] = Host::DeviceNode{'c', 508, 0};
  host.devices["/dev/nvidia-uvm-tools"] = Host::DeviceNode{'c', 508, 1};
  host.devices["/dev/nvidia-caps/nvidia-cap1"] = Host::DeviceNode{'c', 507, 1};
  host.drivers["c nvidia-uvm"] = 508;
  host.drivers["c nvidia-caps"] = 507;
  host.binaries["/usr/bin/nvidia-ctk"] = Host::Binary{1, 101, false, "/usr/bin/nvidia-ctk"};
  host.binaries["/usr/bin/nvidia-container-runtime-hook"] =
      Host::Binary{1, 102, false, "/usr/bin/nvidia-container-runtime-hook"};
  host.binaries["/usr/bin/dash"] = Host::Binary{1, 200, false, "/usr/bin/dash"};
  for (const char* f : {"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05",
                        "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05", "/usr/bin/nvidia-smi",
                        "/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/shadow"}) {
    host.file_types[f] = S_IFREG;
  }
  return host;
}

std::string node(const std::string& path, int major, int minor, const std::string& type = "c") {
  return R"({"path": ")" + path + R"(", "type": ")" + type + R"(", "major": )" + std::to_string(major) +
         R"(, "minor": )" + std::to_string(minor) + R"(, "fileMode": 438, "uid": 0, "gid": 0})";
}
std::string cgroup_rule(int major, int minor) {
  return R"({"allow": true, "type": "c", "major": )" + std::to_string(major) +
         (minor < 0 ? std::string() : R"(, "minor": )" + std::to_string(minor)) + R"(, "access": "rwm"})";
}
std::string ro_bind(const std::string& path, const std::string& options = R"(["ro", "nosuid", "nodev", "bind"])") {
  return R"({"destination": ")" + path + R"(", "type": "bind", "source": ")" + path + R"(", "options": )" +
         options + "}";
}
std::string ctk_hook(const std::string& args) {
  return R"({"path": "/usr/bin/nvidia-ctk", "args": )" + args + "}";
}

// What nvidia-ctk cdi generate (v1.14) adds for device 0, merged into a spec by the CDI library.
std::string cdi_spec(const std::string& extra_nodes = "", const std::string& extra_rules = "",
                     const std::string& extra_mounts = "", const std::string& hooks = "") {
  std::string nodes = node("/dev/nvidia0", 195, 0) + "," + node("/dev/nvidiactl", 195, 255) + "," +
                      node("/dev/nvidia-uvm", 508, 0) + "," + node("/dev/nvidia-uvm-tools", 508, 1) + "," +
                      node("/dev/nvidia-caps/nvidia-cap1", 507, 1) + extra_nodes;
  std::string rules = R"({"allow": false, "access": "rwm"},)" + cgroup_rule(195, 0) + "," + cgroup_rule(195, 255) +
                      "," + cgroup_rule(508, 0) + "," + cgroup_rule(508, 1) + "," + cgroup_rule(507, 1) +
                      extra_rules;
  std::string mounts = ro_bind(std::string(kLibs) + "/libnvidia-ml.so.535.104.05") + "," +
                       ro_bind(std::string(kLibs) + "/libcuda.so.535.104.05") + "," +
                       ro_bind("/usr/bin/nvidia-smi") + extra_mounts;
  std::string hook_list = hooks.empty()
                              ? ctk_hook(R"(["nvidia-ctk", "hook", "create-symlinks", "--link", "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so"])") +
                                    "," + ctk_hook(R"(["nvidia-ctk", "hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"])")
                              : hooks;
  return R"({"process": {"args": ["sh"]}, "root": {"path": "/var/lib/containers/c1/rootfs"},
    "mounts": [)" + mounts + R"(],
    "hooks": {"createContainer": [)" + hook_list + R"(]},
    "linux": {"devices": [)" + nodes + R"(], "resources": {"devices": [)" + rules + "]}}}";
}

Reasons judge(RuleFn fn, const char* id, const std::string& text, const Policy& p, const FakeHost& host) {
  Json spec = rule_test::parse(text);
  const Invocation inv{"create", "c1", "/bundles/c1"};  // RuleContext keeps a reference: not a temporary
  RuleContext ctx(spec, p, host, inv);
  ctx.begin_rule(id);
  fn(ctx);
  Reasons out;
  for (const Refusal& r : ctx.refusals()) out.push_back(r.reason);
  return out;
}

Reasons all_three(const std::string& text, const Policy& p, const FakeHost& host = gpu_host()) {
  Reasons out = judge(rule_devices, "devices", text, p, host);
  for (const std::string& r : judge(rule_sensitive_mounts, "sensitive-mounts", text, p, host)) out.push_back(r);
  for (const std::string& r : judge(rule_hooks, "hooks", text, p, host)) out.push_back(r);
  return out;
}

std::string joined(const Reasons& r) {
  std::string s;
  for (const std::string& x : r) s += x + "\n";
  return s;
}

}  // namespace

TEST_CASE("gpu: the policy reads allowed_device_numbers and refuses what opens every driver", "[gpu]") {
  Policy p = rule_test::policy_from(R"({"allowed_device_numbers": ["c 195:*", "c 195:255", "c nvidia-uvm:*", "b 8:16", "c cpu/cpuid:0"]})");
  REQUIRE(p.allowed_device_numbers.size() == 5);
  CHECK(p.allowed_device_numbers[0].type == 'c');
  CHECK(p.allowed_device_numbers[0].major == 195);
  CHECK(p.allowed_device_numbers[0].minor == -1);
  CHECK(p.allowed_device_numbers[1].minor == 255);
  CHECK(p.allowed_device_numbers[2].driver == "nvidia-uvm");
  CHECK(p.allowed_device_numbers[3].type == 'b');
  CHECK(p.allowed_device_numbers[4].driver == "cpu/cpuid");
  CHECK(p.allowed_device_numbers[4].minor == 0);
  for (const char* bad : {"a *:*", "c *:*", "c 195", "x 1:2", "c 195:x", "c :1", "c 19*:0", "c  :0", ""}) {
    DYNAMIC_SECTION("refused: \"" << bad << "\"") {
      auto q = parse_policy(std::string(R"({"allowed_device_numbers": [")") + bad + "\"]}", "/p.json");
      REQUIRE_FALSE(q.ok());
      CHECK_THAT(q.error().message, Contains("allowed_device_numbers"));
    }
  }
  SECTION("the built-in policy allows no numbers") { CHECK(rule_test::builtin().allowed_device_numbers.empty()); }
}

TEST_CASE("gpu: the policy reads allowed_hook_args", "[gpu]") {
  Policy p = rule_test::policy_from(R"({"allowed_hook_args": ["/usr/bin/x hook chmod", "/usr/bin//x a  b"]})");
  REQUIRE(p.allowed_hook_args.count("/usr/bin/x") == 1);
  CHECK(p.allowed_hook_args["/usr/bin/x"] == std::vector<std::vector<std::string>>{{"hook", "chmod"}, {"a", "b"}});
  for (const char* bad : {R"({})", R"(["x hook"])", R"(["/x"])", R"(["/x   "])", R"([1])"}) {
    DYNAMIC_SECTION("refused: " << bad) {
      auto q = parse_policy(std::string(R"({"allowed_hook_args": )") + bad + "}", "/p.json");
      REQUIRE_FALSE(q.ok());
      CHECK_THAT(q.error().message, Contains("allowed_hook_args"));
    }
  }
  SECTION("the built-in policy allows nvidia-ctk only as 'nvidia-ctk hook ...'") {
    Policy b = rule_test::builtin();
    CHECK(b.allowed_hook_args["/usr/bin/nvidia-ctk"] == std::vector<std::vector<std::string>>{{"@createContainer", "hook"}});
  }
}

TEST_CASE("gpu: /proc/devices gives each driver's major by section", "[gpu]") {
  auto d = parse_proc_devices(
      "Character devices:\n  1 mem\n195 nvidia-frontend\n203 cpu/cpuid\n508 nvidia-uvm\n\nBlock devices:\n  8 sd\n259 blkext\n");
  REQUIRE(d.size() == 6);
  CHECK(d[1].type == 'c');
  CHECK(d[1].major == 195);
  CHECK(d[1].name == "nvidia-frontend");
  CHECK(d[2].name == "cpu/cpuid");
  CHECK(d[4].type == 'b');
  CHECK(d[4].name == "sd");
  CHECK(parse_proc_devices("  1 mem\n").empty());  // no section: nothing is typed
  CHECK(driver_major_in(d, 'c', "cpu/cpuid") == 203);
  CHECK(driver_major_in(d, 'b', "nvidia-uvm") == std::nullopt);
  CHECK(driver_major_in(d, 'c', "nvidia") == std::nullopt);
}

TEST_CASE("gpu: profiles/policy-gpu.json admits a CDI-shaped NVIDIA spec", "[gpu]") {
  Policy gpu = gpu_policy();
  Reasons r = all_three(cdi_spec(), gpu);
  INFO(joined(r));
  CHECK(r.empty());
  SECTION("the legacy prestart hook, as Docker's --gpus writes it") {
    std::string hook = R"({"path": "/usr/bin/nvidia-container-runtime-hook", "args": ["nvidia-container-runtime-hook", "prestart"]})";
    std::string spec = cdi_spec("", "", "", hook);
    spec.replace(spec.find("\"createContainer\""), 17, "\"prestart\"");  // where Docker puts it
    Reasons h = judge(rule_hooks, "hooks", spec, gpu, gpu_host());
    INFO(joined(h));
    CHECK(h.empty());
    // ... and only there (allowed_hook_args: "prestart /usr/bin/nvidia-container-runtime-hook prestart").
    CHECK_FALSE(judge(rule_hooks, "hooks", cdi_spec("", "", "", hook), gpu, gpu_host()).empty());
  }
  SECTION("a driver-wide rule 'c 195:* rwm', as device plugins write it") {
    Reasons d = judge(rule_devices, "devices", cdi_spec("", "," + cgroup_rule(195, -1)), gpu, gpu_host());
    INFO(joined(d));
    CHECK(d.empty());
  }
  SECTION("a node the host does not have (another GPU's): its numbers decide") {
    FakeHost host = gpu_host();
    host.missing.insert("/dev/nvidia1");
    Reasons d = judge(rule_devices, "devices", cdi_spec("," + node("/dev/nvidia1", 195, 1), "," + cgroup_rule(195, 1)), gpu, host);
    INFO(joined(d));
    CHECK(d.empty());
  }
  SECTION("its keys as read") {
    CHECK(gpu.allowed_device_numbers.size() == 5);
    CHECK(gpu.allowed_hook_args.count("/usr/bin/nvidia-cdi-hook") == 1);
  }
}

TEST_CASE("gpu: the default policy refuses the CDI spec, naming field and device", "[gpu]") {
  Policy def = rule_test::builtin();
  def.hook_path.clear();
  Reasons r = all_three(cdi_spec(), def);
  std::string all = joined(r);
  INFO(all);
  CHECK_THAT(all, Contains("linux.resources.devices[1] (c 195:0 rwm) opens a host device"));
  CHECK_THAT(all, Contains("linux.devices passes host devices not in the policy's allowed_devices: /dev/nvidia0"));
  CHECK_THAT(all, Contains("(mounts[0]): under sensitive host path /usr"));
  CHECK_THAT(all, Contains("/usr/bin/nvidia-smi is mounted at /usr/bin/nvidia-smi (mounts[2]): under sensitive host path /usr"));
}

TEST_CASE("gpu: allowed_device_numbers judges numbers, and the host's node at the path", "[gpu]") {
  Policy gpu = gpu_policy();
  SECTION("a driver named in the policy but not loaded allows nothing") {
    FakeHost host = gpu_host();
    host.drivers.clear();
    Reasons d = judge(rule_devices, "devices", cdi_spec(), gpu, host);
    std::string all = joined(d);
    INFO(all);
    CHECK_THAT(all, Contains("linux.resources.devices[3] (c 508:0 rwm) opens a host device, which is neither a runtime "
                             "default device nor in the policy's allowed_devices or allowed_device_numbers"));
    CHECK_THAT(all, Contains("device /dev/nvidia-uvm (linux.devices[2]): numbers c 508:0 (a host device) are in "
                             "neither the policy's allowed_device_numbers nor, by path, its allowed_devices"));
  }
  SECTION("an exact entry does not open the driver's every minor") {
    Policy p = gpu;
    p.allowed_device_numbers = rule_test::policy_from(R"({"allowed_device_numbers": ["c 195:0"]})").allowed_device_numbers;
    Reasons d = judge(rule_devices, "devices", R"({"process": {"args": ["sh"]}, "root": {"path": "r"}, "linux": {"resources": {"devices": [)" +
                                                   cgroup_rule(195, -1) + "," + cgroup_rule(195, 0) + "]}}}",
                      p, gpu_host());
    REQUIRE(d.size() == 1);
    CHECK_THAT(d[0], Contains("linux.resources.devices[0] (c 195:* rwm) opens every minor of a host device"));
  }
  SECTION("a node outside /dev") {
    FakeHost host = gpu_host();
    host.missing.insert("/opt/nvidia0");
    Reasons d = judge(rule_devices, "devices", cdi_spec("," + node("/opt/nvidia0", 195, 0)), gpu, host);
    REQUIRE(d.size() == 1);
    CHECK_THAT(d[0], Contains("device /opt/nvidia0 (linux.devices[5]): numbers c 195:0 are allowed (allowed_device_numbers), "
                              "but only for a node under /dev"));
  }
}

TEST_CASE("gpu: allowed_readonly_paths globs match one component of the true path", "[gpu]") {
  Policy gpu = gpu_policy();
  FakeHost host = gpu_host();
  auto mounts = [&](const std::string& m) { return judge(rule_sensitive_mounts, "sensitive-mounts", cdi_spec("", "", "," + m), gpu, host); };
  SECTION("read-write: refused") {
    Reasons r = mounts(ro_bind(std::string(kLibs) + "/libnvidia-ml.so.535.104.05", R"(["rw", "bind"])"));
    REQUIRE(r.size() == 1);
    CHECK_THAT(r[0], Contains("mounts[3]): the policy allows it only read-only (:ro)"));
  }
  SECTION("a library the globs do not name") {
    Reasons r = mounts(ro_bind(std::string(kLibs) + "/libc.so.6"));
    REQUIRE(r.size() == 1);
    CHECK_THAT(r[0], Contains("(mounts[3]): under sensitive host path /usr"));
  }
  SECTION("no glob crosses a '/': libnvidia-*.so.* does not match a directory's files") {
    Reasons r = mounts(ro_bind(std::string(kLibs) + "/libnvidia-x/y.so.1"));
    REQUIRE(r.size() == 1);
    CHECK_THAT(r[0], Contains("under sensitive host path /usr"));
  }
}

}  // namespace oci_harden

namespace oci_harden {

TEST_CASE("gpu: the keys work in a named policy that GPU workloads select", "[gpu]") {
  Policy p = rule_test::policy_from(R"({
    "policies": {"gpu": {"allowed_device_numbers": ["c 195:*", "c nvidia-uvm:*"],
                         "allowed_hook_args": ["/usr/bin/nvidia-cdi-hook update-ldcache"]}},
    "selectors": [{"match": {"image": "nvcr.io/*"}, "policy": "gpu"}]})");
  CHECK(p.allowed_device_numbers.empty());
  REQUIRE(p.named_policies.size() == 1);
  const Policy& gpu = *p.named_policies[0];
  CHECK(gpu.name == "gpu");
  REQUIRE(gpu.allowed_device_numbers.size() == 2);
  CHECK(gpu.allowed_device_numbers[1].driver == "nvidia-uvm");
  CHECK(gpu.allowed_hook_args.count("/usr/bin/nvidia-cdi-hook") == 1);
  CHECK(gpu.allowed_hook_args.count("/usr/bin/nvidia-ctk") == 0);  // the list replaces the default's whole
}

TEST_CASE("gpu: the default policy refuses the legacy NVIDIA prestart hook (it adds devices after the rules)", "[gpu]") {
  auto def = builtin_policy();
  REQUIRE(def.ok());
  std::string hook = R"({"path": "/usr/bin/nvidia-container-runtime-hook", "args": ["nvidia-container-runtime-hook", "prestart"]})";
  Reasons h = judge(rule_hooks, "hooks", cdi_spec("", "", "", hook), *def, gpu_host());
  INFO(joined(h));
  CHECK_FALSE(h.empty());
}

}  // namespace oci_harden
