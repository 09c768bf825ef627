// Rule "devices": engines' default device rules pass; rules allowing every device (or every
// device of a kind) and device nodes the policy does not list are refused, on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";

// containerd's defaults (tests/golden/containerd-captured/ctr-run.json) plus Docker's mknod
// wildcards.
const char* const kEngineRules = R"([
  {"allow": false, "access": "rwm"},
  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
  {"allow": true, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
  {"allow": true, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
  {"allow": true, "type": "c", "major": 136, "access": "rwm"},
  {"allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
  {"allow": true, "type": "c", "major": -1, "minor": -1, "access": "m"},
  {"allow": true, "type": "b", "access": "m"},
  {"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rwm"}])";

using Reasons = std::vector<std::string>;

std::string spec_text(const std::string& rules, const std::string& nodes = "") {
  std::string linux = R"("resources": {"devices": )" + rules + "}";
  if (!nodes.empty()) linux += R"(, "devices": )" + nodes;
  return R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "linux": {)" + linux +
         "}}";
}

std::string node(const std::string& path, const std::string& type, int major, int minor) {
  return R"({"path": ")" + path + R"(", "type": ")" + type + R"(", "major": )" +
         std::to_string(major) + R"(, "minor": )" + std::to_string(minor) + "}";
}

using rule_test::parse;

Policy policy() { return rule_test::builtin(); }

Reasons run(const std::string& text, const Policy& p = policy(), const FakeHost& host = FakeHost()) {
  return rule_test::judge(rule_devices, "devices", text, p, host, Invocation{"create", "c1", kBundle});
}

}  // namespace

TEST_CASE("devices: engine defaults are unchanged", "[devices]") {
  REQUIRE(run(spec_text(kEngineRules)).empty());
  SECTION("no device rules at all") {
    REQUIRE(run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}})").empty());
  }
  SECTION("deny rules of every kind") {
    REQUIRE(run(spec_text(R"([{"allow": false, "access": "rwm"},
                              {"allow": false, "type": "c", "access": "rw"}])"))
                .empty());
  }
  SECTION("runc 1.1.5's own defaults, Docker's /dev/console and tun included") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
                              {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"},
                              {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
                              {"allow": true, "type": "c", "major": 5, "minor": 1, "access": "rwm"},
                              {"allow": true, "type": "c", "major": 136, "minor": -1, "access": "rwm"},
                              {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rwm"}])"))
                .empty());
  }
  SECTION("mknod-only and allow: false rules on any character device") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 1, "minor": 1, "access": "m"},
                              {"allow": true, "type": "c", "major": 7, "access": "m"},
                              {"allow": false, "type": "c", "major": 10, "access": "rwm"},
                              {"allow": false, "type": "c", "major": 1, "minor": 1, "access": "r"}])"))
                .empty());
  }
}

TEST_CASE("devices: character devices outside the allow-list are refused", "[devices]") {
  const std::string why = ", which is neither a runtime default device nor in the policy's allowed_devices";
  SECTION("host memory, I/O ports, kernel log") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 1, "minor": 1, "access": "r"},
                              {"allow": true, "type": "c", "major": 1, "minor": 2, "access": "rw"},
                              {"allow": true, "type": "c", "major": 1, "minor": 4, "access": "w"},
                              {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rwm"}])")) ==
            Reasons{"linux.resources.devices[0] (c 1:1 r) opens /dev/mem, the host's physical memory" + why,
                    "linux.resources.devices[1] (c 1:2 rw) opens /dev/kmem, the host kernel's memory" + why,
                    "linux.resources.devices[2] (c 1:4 w) opens /dev/port, the host's I/O ports" + why,
                    "linux.resources.devices[3] (c 1:11 rwm) opens /dev/kmsg, the host kernel's log" + why});
  }
  SECTION("a wildcard minor on a major with defaults in it") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 1, "access": "rwm"}])")) ==
            Reasons{"linux.resources.devices[0] (c 1:* rwm) opens every minor of the memory devices "
                    "(/dev/mem, /dev/kmem, /dev/port, /dev/kmsg)" + why});
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 5, "minor": -1, "access": "r"}])")).size() == 1);
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 10, "access": "rw"}])")) ==
            Reasons{"linux.resources.devices[0] (c 10:* rw) opens every minor of the misc devices "
                    "(/dev/kvm, /dev/fuse, /dev/loop-control, ...)" + why});
  }
  SECTION("host consoles, their screens, kvm, an unknown driver") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 4, "access": "rwm"},
                              {"allow": true, "type": "c", "major": 4, "minor": 1, "access": "rw"},
                              {"allow": true, "type": "c", "major": 7, "minor": 128, "access": "r"},
                              {"allow": true, "type": "c", "major": 10, "minor": 232, "access": "rw"},
                              {"allow": true, "type": "c", "major": 195, "access": "rwm"}])")) ==
            Reasons{"linux.resources.devices[0] (c 4:* rwm) opens every minor of the host's virtual consoles "
                    "and serial ports (/dev/tty0../dev/tty63, /dev/ttyS*)" + why,
                    "linux.resources.devices[1] (c 4:1 rw) opens the host's virtual consoles and serial "
                    "ports (/dev/tty0../dev/tty63, /dev/ttyS*)" + why,
                    "linux.resources.devices[2] (c 7:128 r) opens the host's console screens "
                    "(/dev/vcs*, /dev/vcsa*)" + why,
                    "linux.resources.devices[3] (c 10:232 rw) opens /dev/kvm" + why,
                    "linux.resources.devices[4] (c 195:* rwm) opens every minor of a host device" + why});
  }
  SECTION("a default device's name does not carry other numbers: c 5:3 is not /dev/tty") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 5, "minor": 3, "access": "rw"}])")).size() == 1);
  }
}

TEST_CASE("devices: allowed_devices opens their numbers on this host, exactly", "[devices]") {
  Policy p = policy();
  p.allowed_devices = {"/dev/fuse", "/dev/nvidia0", "/dev/kvm"};
  FakeHost host;
  host.devices["/dev/nvidia0"] = Host::DeviceNode{'c', 195, 0};
  host.devices["/dev/fuse"] = Host::DeviceNode{'c', 10, 229};
  SECTION("--device /dev/fuse, a GPU, and kvm (known numbers where the host has no node)") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
                              {"allow": true, "type": "c", "major": 195, "minor": 0, "access": "rwm"},
                              {"allow": true, "type": "c", "major": 10, "minor": 232, "access": "rwm"}])",
                          "[" + node("/dev/nvidia0", "c", 195, 0) + "]"),
                p, host)
                .empty());
  }
  SECTION("but not the driver's other minors, nor every minor") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 195, "minor": 255, "access": "rw"},
                              {"allow": true, "type": "c", "major": 195, "access": "rw"},
                              {"allow": true, "type": "c", "major": 10, "access": "rw"}])"),
                p, host)
                .size() == 3);
  }
  SECTION("a listed path that is no device on the host opens nothing") {
    Policy q = policy();
    q.allowed_devices = {"/dev/nvidia9"};
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": 195, "minor": 9, "access": "rw"}])"), q, host)
                .size() == 1);
  }
}

TEST_CASE("devices: a rule allowing every device is refused", "[devices]") {
  SECTION("--privileged: allow with no type") {
    REQUIRE(run(spec_text(R"([{"allow": false, "access": "rwm"}, {"allow": true, "access": "rwm"}])")) ==
            Reasons{"linux.resources.devices[1] (a *:* rwm) allows every host device"});
  }
  SECTION("type \"a\", whatever the numbers and access") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "a", "access": "rwm"}])")).size() == 1);
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "a", "major": 1, "minor": 3,
                               "access": "m"}])")) ==
            Reasons{"linux.resources.devices[0] (a 1:3 m) allows every host device"});
  }
  SECTION("every character device") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "access": "rw"}])")) ==
            Reasons{"linux.resources.devices[0] (c *:* rw) allows every host character device"});
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "major": -1, "minor": -1,
                               "access": "r"}])"))
                .size() == 1);
  }
  SECTION("every block device") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "b", "major": -1, "access": "rwm"}])")) ==
            Reasons{"linux.resources.devices[0] (b *:* rwm) allows every host block device"});
  }
  SECTION("one minor number of every driver") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "minor": 3, "access": "w"}])")) ==
            Reasons{"linux.resources.devices[0] (c *:3 w) allows every host character device "
                    "with that minor number"});
  }
  SECTION("an empty access, which runc refuses, is read as rwm") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "c", "access": ""}])")).size() == 1);
  }
}

TEST_CASE("devices: block-device rules need an allowed node with their numbers", "[devices]") {
  const std::string why =
      ") opens host block devices that no allowed node in linux.devices carries (list the device "
      "in the policy's allowed_devices and pass it with --device)";
  SECTION("--device-cgroup-rule 'b 8:0 rw' alone: the host disk through a node made with mknod") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "b", "major": 8, "minor": 0, "access": "rw"}])")) ==
            Reasons{"linux.resources.devices[0] (b 8:0 rw" + why});
  }
  SECTION("every minor of one driver ('b 7:* rwm', the loop devices)") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "b", "major": 7, "access": "rwm"}])")) ==
            Reasons{"linux.resources.devices[0] (b 7:* rwm" + why});
  }
  SECTION("read only is still reading the disk") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}])")).size() == 1);
  }
  SECTION("mknod alone opens nothing") {
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "b", "major": 8, "minor": 0, "access": "m"}])")).empty());
  }
  SECTION("--device /dev/sdb, listed in allowed_devices: node and rule together pass") {
    Policy p = policy();
    p.allowed_devices = {"/dev/sdb"};
    FakeHost host;
    host.devices["/dev/sdb"] = Host::DeviceNode{'b', 8, 16};
    REQUIRE(run(spec_text(R"([{"allow": true, "type": "b", "major": 8, "minor": 16, "access": "rwm"}])",
                          "[" + node("/dev/sdb", "b", 8, 16) + "]"),
                p, host)
                .empty());
    SECTION("but not a rule for the whole driver, nor another disk") {
      REQUIRE(run(spec_text(R"([{"allow": true, "type": "b", "major": 8, "access": "rwm"},
                                {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "rw"}])",
                            "[" + node("/dev/sdb", "b", 8, 16) + "]"),
                  p, host) == Reasons{"linux.resources.devices[0] (b 8:* rwm" + why,
                                "linux.resources.devices[1] (b 8:0 rw" + why});
    }
  }
  SECTION("a node the policy does not allow backs nothing") {
    Reasons r = run(spec_text(R"([{"allow": true, "type": "b", "major": 8, "minor": 16, "access": "rwm"}])",
                              "[" + node("/dev/sdb", "b", 8, 16) + "]"));
    REQUIRE(r.size() == 2);
    CHECK(r[0] == "linux.resources.devices[0] (b 8:16 rwm" + why);
  }
}

TEST_CASE("devices: device nodes outside allowed_devices are refused", "[devices]") {
  SECTION("--device /dev/fuse with the default (empty) list") {
    REQUIRE(run(spec_text("[]", "[" + node("/dev/fuse", "c", 10, 229) + "]")) ==
            Reasons{"device /dev/fuse (linux.devices[0]) is not in the policy's allowed_devices "
                    "(--device)"});
  }
  SECTION("allowed when listed, however the path is spelled") {
    Policy p = policy();
    p.allowed_devices = {"/dev/fuse", "/dev/dri/renderD128"};
    FakeHost host;
    host.devices["/dev/dri/renderD128"] = Host::DeviceNode{'c', 226, 128};
    REQUIRE(run(spec_text("[]", "[" + node("/dev/fuse", "c", 10, 229) + ", " +
                                    node("/dev/../dev//fuse", "c", 10, 229) + ", " +
                                    node("/dev/dri/renderD128", "c", 226, 128) + "]"),
                p, host)
                .empty());
  }
  SECTION("a listed name carrying another device's numbers") {
    Policy p = policy();
    p.allowed_devices = {"/dev/fuse"};
    REQUIRE(run(spec_text("[]", "[" + node("/dev/fuse", "b", 8, 0) + "]"), p) ==
            Reasons{"device /dev/fuse (linux.devices[0]): numbers b 8:0 are not /dev/fuse's (c 10:229)"});
  }
  SECTION("a listed name of no well-known device is judged by the host's node there") {
    Policy p = policy();
    p.allowed_devices = {"/dev/sdb"};
    FakeHost host;
    host.devices["/dev/sdb"] = Host::DeviceNode{'b', 8, 16};
    REQUIRE(run(spec_text("[]", "[" + node("/dev/sdb", "b", 8, 0) + "]"), p, host) ==
            Reasons{"device /dev/sdb (linux.devices[0]): numbers b 8:0 are not /dev/sdb's (b 8:16)"});
    SECTION("and refused where the host has none: nothing says what its numbers open") {
      REQUIRE(run(spec_text("[]", "[" + node("/dev/sdb", "b", 8, 16) + "]"), p) ==
              Reasons{"device /dev/sdb (linux.devices[0]): numbers b 8:16: the host has no device at /dev/sdb"});
    }
  }
  SECTION("--privileged's host devices: one refusal naming a few") {
    std::string nodes = "[";
    for (int i = 0; i < 8; ++i) {
      nodes += std::string(i ? ", " : "") + node("/dev/loop" + std::to_string(i), "b", 7, i);
    }
    Reasons r = run(spec_text("[]", nodes + "]"));
    REQUIRE(r == Reasons{"linux.devices passes host devices not in the policy's allowed_devices: "
                         "/dev/loop0, /dev/loop1, /dev/loop2, /dev/loop3, /dev/loop4 and 3 more"});
  }
}

TEST_CASE("devices: refused through harden_spec", "[devices]") {
  FakeHost host;
  Policy p = policy();
  Decision d = harden_spec(parse(spec_text(R"([{"allow": true, "access": "rwm"}])",
                                           "[" + node("/dev/vda", "b", 254, 0) + "]")),
                           p, host, Invocation{"create", "c1", kBundle});
  Reasons reasons;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "devices") reasons.push_back(r.reason);
  }
  REQUIRE(reasons == Reasons{"linux.resources.devices[0] (a *:* rwm) allows every host device",
                             "device /dev/vda (linux.devices[0]) is not in the policy's "
                             "allowed_devices (--device)"});
}

}  // namespace oci_harden
