// Rule "privileged": unchanged for ordinary engine configs, refused for each sign of
// --privileged (every capability; all devices allowed with nothing masked), on FakeHost.

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

// Docker's default capabilities, device rules and masked paths (tests/golden/docker-captured).
const char* const kDockerCaps =
    R"(["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
        "CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"])";
const char* const kDockerDevices =
    R"([{"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": true, "type": "c", "major": 136, "access": "rwm"},
        {"allow": true, "type": "c", "access": "m"},
        {"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rwm"}])";
const char* const kDockerMasked = R"(["/proc/asound", "/proc/kcore", "/sys/firmware"])";

// What Docker 28 wrote for --privileged on a kernel whose cap_last_cap is 40: 0..37 only.
const char* const kDocker28PrivilegedCaps =
    R"(["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL",
        "CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER",
        "CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT",
        "CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL",
        "CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND","CAP_AUDIT_READ"])";

const char* const kPrivilegedMessage =
    "process.capabilities.bounding holds every capability (--privileged)";
const char* const kDevicesMessage =
    "linux.resources.devices allows every host device and linux.maskedPaths is empty "
    "(--privileged)";

std::string caps_up_to(int last, int skip = -1) {
  std::string out = "[";
  for (int n = 0; n <= last; ++n) {
    if (n == skip) continue;
    out += std::string(out.size() > 1 ? "," : "") + "\"" + capability_name(n) + "\"";
  }
  return out + "]";
}

// A spec with the given bounding set, device rules and masked paths ("" leaves a field out).
std::string spec_text(const std::string& bounding, const std::string& devices,
                      const std::string& masked) {
  std::string linux = R"("namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                                        {"type": "uts"}, {"type": "mount"}])";
  if (!devices.empty()) linux += R"(, "resources": {"devices": )" + devices + "}";
  if (!masked.empty()) linux += R"(, "maskedPaths": )" + masked;
  return R"({"ociVersion": "1.0.2",
             "process": {"args": ["sh"], "cwd": "/", "capabilities": {"bounding": )" +
         bounding + R"(, "effective": )" + bounding + R"(}},
             "root": {"path": "rootfs"},
             "linux": {)" + linux + "}}";
}

using rule_test::parse;

Policy policy() { return rule_test::builtin(); }

std::vector<std::string> run(const std::string& text, const FakeHost& host = FakeHost()) {
  return rule_test::judge(rule_privileged, "privileged", text, policy(), host, Invocation{"create", "c1", kBundle});
}

}  // namespace

TEST_CASE("privileged: an ordinary engine config is unchanged", "[privileged]") {
  REQUIRE(run(spec_text(kDockerCaps, kDockerDevices, kDockerMasked)).empty());
  SECTION("no capabilities, device rules or masked paths at all") {
    REQUIRE(run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}})").empty());
  }
  SECTION("--cap-add ALL minus one (CAP_SYS_ADMIN) is the capabilities rule's business") {
    REQUIRE(run(spec_text(caps_up_to(40, 21), kDockerDevices, kDockerMasked)).empty());
  }
  SECTION("--security-opt systempaths=unconfined alone: empty maskedPaths, devices restricted") {
    REQUIRE(run(spec_text(kDockerCaps, kDockerDevices, "[]")).empty());
  }
  SECTION("all devices allowed but /proc and /sys still masked") {
    REQUIRE(run(spec_text(kDockerCaps, R"([{"allow": true, "access": "rwm"}])", kDockerMasked))
                .empty());
  }
  SECTION("a char-only wildcard is the devices rule's business") {
    REQUIRE(run(spec_text(kDockerCaps, R"([{"allow": true, "type": "c", "access": "rwm"}])", ""))
                .empty());
  }
  SECTION("a deny-all rule is not an allow-all rule") {
    REQUIRE(run(spec_text(kDockerCaps, R"([{"allow": false, "access": "rwm"}])", "")).empty());
  }
}

TEST_CASE("privileged: a bounding set with every capability is refused", "[privileged]") {
  FakeHost host;
  host.last_cap = 40;
  SECTION("every capability the kernel knows, 0..cap_last_cap") {
    REQUIRE(run(spec_text(caps_up_to(40), kDockerDevices, kDockerMasked), host) ==
            std::vector<std::string>{kPrivilegedMessage});
  }
  SECTION("Docker 28's --privileged set (0..37) on a kernel that knows 40") {
    REQUIRE(run(spec_text(kDocker28PrivilegedCaps, kDockerDevices, kDockerMasked), host) ==
            std::vector<std::string>{kPrivilegedMessage});
  }
  SECTION("an older kernel that knows fewer capabilities") {
    host.last_cap = 35;
    REQUIRE(run(spec_text(caps_up_to(35), kDockerDevices, kDockerMasked), host) ==
            std::vector<std::string>{kPrivilegedMessage});
  }
  SECTION("order and repetition do not matter") {
    std::string caps = R"(["CAP_AUDIT_READ", "CAP_CHOWN", )" + caps_up_to(37).substr(1);
    REQUIRE(run(spec_text(caps, kDockerDevices, kDockerMasked), host).size() == 1);
  }
}

TEST_CASE("privileged: all devices allowed with nothing masked is refused", "[privileged]") {
  SECTION("Docker's --privileged device rule, maskedPaths absent") {
    REQUIRE(run(spec_text(kDockerCaps, R"([{"allow": false, "access": "rwm"},
                                           {"allow": true, "access": "rwm"}])", "")) ==
            std::vector<std::string>{kDevicesMessage});
  }
  SECTION("type \"a\" spelled out, maskedPaths empty") {
    REQUIRE(run(spec_text(kDockerCaps, R"([{"allow": true, "type": "a", "access": "rwm"}])", "[]"))
                .size() == 1);
  }
  SECTION("type \"a\" with major and minor: the kernel ignores them for \"a\"") {
    REQUIRE(run(spec_text(kDockerCaps,
                          R"([{"allow": true, "type": "a", "major": 1, "minor": 3, "access": "r"}])",
                          ""))
                .size() == 1);
  }
  SECTION("both signs: both reasons") {
    REQUIRE(run(spec_text(kDocker28PrivilegedCaps, R"([{"allow": true, "access": "rwm"}])", ""))
                .size() == 2);
  }
}

TEST_CASE("privileged: refused through harden_spec", "[privileged]") {
  Json spec = parse(spec_text(kDocker28PrivilegedCaps, R"([{"allow": true, "access": "rwm"}])", ""));
  Policy p = policy();
  FakeHost host;
  Decision d = harden_spec(std::move(spec), p, host, Invocation{"create", "c1", kBundle});
  std::vector<std::string> reasons;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "privileged") reasons.push_back(r.reason);
  }
  REQUIRE(reasons == std::vector<std::string>{kPrivilegedMessage, kDevicesMessage});
  REQUIRE(d.refused());
}

}  // namespace oci_harden
