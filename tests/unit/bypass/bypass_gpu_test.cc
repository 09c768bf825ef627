// The bypass corpus for GPU nodes (issue 17.2): under profiles/policy-gpu.json (what a CDI spec
// for NVIDIA devices needs), specs that try to use its allowances for something else: a node of
// allowed numbers at a path where the host has another device or file, a read-write bind under
// a read-only glob, a glob reached through a symlink or "..", a hook binary that is not the
// allowed one or the allowed one run as another tool, a cgroup rule that opens every device.
// Each attempt goes through parse_spec and harden_spec as `oci-harden create` does. What runc
// 1.1.5 and crun 1.8.1 do with each is in tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

Policy gpu_policy() {
  auto p = parse_policy(test::repo_file("profiles/policy-gpu.json"), "/etc/oci-harden/policy.json");
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  return out;
}

FakeHost gpu_host() {
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  host.devices["/dev/nvidia0"] = Host::DeviceNode{'c', 195, 0};
  host.devices["/dev/nvidiactl"] = Host::DeviceNode{'c', 195, 255};
  host.devices["/dev/sda"] = Host::DeviceNode{'b', 8, 0};
  host.devices["/dev/tty1"] = Host::DeviceNode{'c', 4, 1};
  host.file_types["/dev/shm/planted"] = S_IFREG;
  host.missing.insert("/dev/nvidia7");
  host.symlinks["/dev/fd"] = "/proc/self/fd";
  host.file_types["/proc/self/status"] = S_IFREG;
  host.symlinks["/dev/disk/by-id/x"] = "/dev/sda";
  host.drivers["c nvidia-uvm"] = 508;
  host.binaries["/usr/bin/nvidia-ctk"] = Host::Binary{1, 101, false, "/usr/bin/nvidia-ctk"};
  host.binaries["/usr/bin/dash"] = Host::Binary{1, 200, false, "/usr/bin/dash"};
  host.binaries["/tmp/nvidia-ctk"] = Host::Binary{1, 300, false, "/tmp/nvidia-ctk"};  // a copy of dash
  host.symlinks["/usr/lib/x86_64-linux-gnu/libnvidia-evil.so.1"] = "/etc/shadow";
  host.symlinks["/usr/lib/x86_64-linux-gnu/libnvidia-root.so.1"] = "/";
  host.symlinks["/tmp/ctk"] = "/usr/bin/nvidia-ctk";
  host.file_types["/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05"] = S_IFREG;
  host.file_types["/etc/shadow"] = S_IFREG;
  return host;
}

std::string spec(const std::string& linux_extra, const std::string& mounts = "", const std::string& hooks = "") {
  return R"({"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"/var/lib/containers/c1/rootfs"},)"
         R"("mounts":[)" + mounts + R"(],)" + (hooks.empty() ? "" : R"("hooks":{"createContainer":[)" + hooks + "]},") +
         R"("linux":{)" + linux_extra + "}}";
}

struct Case {
  const char* what;
  std::string text;
  const char* rule;
};

void require_refused(const Case& c) {
  bypass::Verdict v = bypass::attempt(c.text, gpu_host(), gpu_policy());
  INFO(c.text);
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK(v.refused_by(c.rule));
}

}  // namespace

TEST_CASE("bypass/gpu: allowed numbers at a path where the host has something else", "[bypass][gpu]") {
  const std::string rule = R"("resources":{"devices":[{"allow":true,"type":"c","major":195,"minor":0,"access":"rwm"}]})";
  const Case cases[] = {
      {"/dev/sda (host disk) declared as c 195:0: runc binds the host's /dev/sda in a user namespace",
       spec(R"("devices":[{"path":"/dev/sda","type":"c","major":195,"minor":0}],)" + rule), "devices"},
      {"/dev/nvidia0 declared as c 195:1 (another GPU's numbers on the host's node)",
       spec(R"("devices":[{"path":"/dev/nvidia0","type":"c","major":195,"minor":1}],)" + rule), "devices"},
      {"/dev/nvidia0 (an allowed name) declared with kmsg's numbers c 1:11",
       spec(R"("devices":[{"path":"/dev/nvidia0","type":"c","major":1,"minor":11}],)" + rule), "devices"},
      {"/dev/tty1 declared as c 195:0: the host's console", spec(R"("devices":[{"path":"/dev/tty1","type":"c","major":195,"minor":0}],)" + rule), "devices"},
      {"a regular file under /dev declared as c 195:0", spec(R"("devices":[{"path":"/dev/shm/planted","type":"c","major":195,"minor":0}],)" + rule), "devices"},
      {"a path through a symlink out of /dev (/dev/fd/../status is /proc/self/status)",
       spec(R"("devices":[{"path":"/dev/fd/../status","type":"c","major":195,"minor":0}],)" + rule), "devices"},
      {"a path that is a symlink to the host disk (/dev/disk/by-id/x -> /dev/sda)",
       spec(R"("devices":[{"path":"/dev/disk/by-id/x","type":"c","major":195,"minor":0}],)" + rule), "devices"},
      {"an allowed major as a block device (b 195:0)", spec(R"("devices":[{"path":"/dev/nvidia7","type":"b","major":195,"minor":0}],)" + rule), "devices"},
      {"'u' (unbuffered character) type with allowed numbers at the host disk", spec(R"("devices":[{"path":"/dev/sda","type":"u","major":195,"minor":0}],)" + rule), "devices"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { require_refused(c); }
  }
  SECTION("the genuine node passes the devices rule") {
    bypass::Verdict v = bypass::attempt(spec(R"("devices":[{"path":"/dev/nvidia0","type":"c","major":195,"minor":0}],)" + rule),
                                        gpu_host(), gpu_policy());
    INFO(v.describe());
    CHECK_FALSE(v.refused_by("devices"));
  }
}

TEST_CASE("bypass/gpu: the refusal names the node, its numbers and what the host has there", "[bypass][gpu]") {
  bypass::Verdict v = bypass::attempt(
      spec(R"("devices":[{"path":"/dev/sda","type":"c","major":195,"minor":0}],"resources":{"devices":[]})"),
      gpu_host(), gpu_policy());
  INFO(v.describe());
  CHECK_THAT(v.describe(), Catch::Matchers::Contains(
                               "device /dev/sda (linux.devices[0]): numbers c 195:0 are not /dev/sda's on the host "
                               "(b 8:0, a host block device), which runc binds instead in a user namespace"));
}

TEST_CASE("bypass/gpu: cgroup rules that open every device stay refused under the GPU policy", "[bypass][gpu]") {
  const Case cases[] = {
      {"a *:* rwm", spec(R"("resources":{"devices":[{"allow":true,"type":"a","access":"rwm"}]})"), "devices"},
      {"no type (the runtime-spec's a)", spec(R"("resources":{"devices":[{"allow":true,"access":"rwm"}]})"), "devices"},
      {"c *:* rw", spec(R"("resources":{"devices":[{"allow":true,"type":"c","access":"rw"}]})"), "devices"},
      {"c 508:* rw with nvidia-uvm at 508 is fine, c 509:* is not",
       spec(R"("resources":{"devices":[{"allow":true,"type":"c","major":509,"access":"rw"}]})"), "devices"},
      {"b 195:0 rw: the numbers are allowed as character devices only",
       spec(R"("resources":{"devices":[{"allow":true,"type":"b","major":195,"minor":0,"access":"rw"}]})"), "devices"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { require_refused(c); }
  }
}

TEST_CASE("bypass/gpu: read-only library globs admit no writable bind and no other file", "[bypass][gpu]") {
  auto bind = [](const std::string& source, const std::string& options) {
    return R"({"destination":"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1","type":"bind","source":")" + source +
           R"(","options":)" + options + "}";
  };
  const std::string lib = "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.104.05";
  const Case cases[] = {
      {"read-write bind of an allowed library", spec("", bind(lib, R"(["rbind","rw"])")), "sensitive-mounts"},
      {"ro then rw: the last wins", spec("", bind(lib, R"(["bind","ro","rw"])")), "sensitive-mounts"},
      {"a name the glob matches, a symlink to /etc/shadow",
       spec("", bind("/usr/lib/x86_64-linux-gnu/libnvidia-evil.so.1", R"(["bind","ro"])")), "sensitive-mounts"},
      {"a name the glob matches, a symlink to /",
       spec("", bind("/usr/lib/x86_64-linux-gnu/libnvidia-root.so.1", R"(["bind","ro"])")), "sensitive-mounts"},
      {"through '..' from a name the glob matches",
       spec("", bind("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1/../../../../etc/shadow", R"(["bind","ro"])")),
       "sensitive-mounts"},
      {"a glob's directory itself", spec("", bind("/usr/lib/x86_64-linux-gnu", R"(["bind","ro"])")), "sensitive-mounts"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { require_refused(c); }
  }
  SECTION("the library itself, read-only, passes sensitive-mounts") {
    bypass::Verdict v = bypass::attempt(spec("", bind(lib, R"(["bind","ro","nosuid","nodev"])")), gpu_host(), gpu_policy());
    INFO(v.describe());
    CHECK_FALSE(v.refused_by("sensitive-mounts"));
  }
}

TEST_CASE("bypass/gpu: toolkit hooks only as the allowed binary and only as a hook", "[bypass][gpu]") {
  auto hook = [](const std::string& path, const std::string& args) {
    return R"({"path":")" + path + R"(","args":)" + args + "}";
  };
  const Case cases[] = {
      {"a copy of dash named nvidia-ctk", spec("", "", hook("/tmp/nvidia-ctk", R"(["nvidia-ctk","hook","chmod"])")), "hooks"},
      {"dash with nvidia-ctk's arguments", spec("", "", hook("/usr/bin/dash", R"(["nvidia-ctk","hook","chmod"])")), "hooks"},
      {"nvidia-ctk runtime configure (rewrites daemon.json as host root)",
       spec("", "", hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","runtime","configure","--runtime=docker"])")), "hooks"},
      {"nvidia-ctk config --set ... --output FILE",
       spec("", "", hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","config","--set","a=b","--output","/etc/x"])")), "hooks"},
      {"nvidia-ctk through a symlink, as another tool",
       spec("", "", hook("/tmp/ctk", R"(["nvidia-ctk","cdi","generate","--output=/etc/cdi/x.yaml"])")), "hooks"},
      {"nvidia-ctk hook with a subcommand the policy does not list",
       spec("", "", hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","hook","update-ldcachex"])")), "hooks"},
      {"nvidia-ctk with no arguments", spec("", "", hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk"])")), "hooks"},
      {"the subcommand in args[0], where nvidia-ctk does not read it",
       spec("", "", hook("/usr/bin/nvidia-ctk", R"(["hook","runtime","configure"])")), "hooks"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { require_refused(c); }
  }
  SECTION("nvidia-ctk hook update-ldcache passes") {
    bypass::Verdict v = bypass::attempt(
        spec("", "", hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","hook","update-ldcache","--folder","/usr/lib/x86_64-linux-gnu"])")),
        gpu_host(), gpu_policy());
    INFO(v.describe());
    CHECK_FALSE(v.refused_by("hooks"));
  }
  SECTION("under the default policy too, nvidia-ctk runs only as 'nvidia-ctk hook ...'") {
    bypass::Verdict v = bypass::attempt(
        spec("", "", hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","runtime","configure"])")), gpu_host(), bypass::policy());
    INFO(v.describe());
    CHECK(v.refused_by("hooks"));
  }
}

}  // namespace oci_harden
