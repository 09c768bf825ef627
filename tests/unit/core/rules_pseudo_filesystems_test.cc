// Rule "pseudo-filesystems": each outcome (unchanged, made read-only, refused) on FakeHost, and
// its place after user-namespace in the whole decision.

#include <catch2/catch.hpp>

#include <algorithm>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";

using Strings = std::vector<std::string>;

// runc spec's mounts (runc 1.1.5), then `extra` appended.
std::string spec_text(const std::string& extra = "", const std::string& namespaces =
                                                         R"([{"type": "pid"}, {"type": "network"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}])") {
  return R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
      {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec"]},
      {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid"]},
      {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
       "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})" +
         (extra.empty() ? "" : ",\n" + extra) + R"(],
    "linux": {"namespaces": )" + namespaces + R"(,
      "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
      "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]}})";
}

Json parse(const std::string& text) {
  auto spec = parse_spec(text);
  INFO(text);
  REQUIRE(spec.ok());
  return std::move(*spec);
}

Json parse_value(const std::string& text) {
  auto v = parse_json(text);
  REQUIRE(v.ok());
  return std::move(*v);
}

Policy policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  return std::move(*p);
}

struct Run {
  Json spec;
  std::vector<Change> changes;
  Strings refusals;
};

Run run(const std::string& text) {
  Json spec = parse(text);
  Policy p = policy();
  FakeHost host;
  Invocation inv{"create", "c1", kBundle};
  RuleContext ctx(spec, p, host, inv);
  ctx.begin_rule("pseudo-filesystems");
  rule_pseudo_filesystems(ctx);
  Strings refusals;
  for (const Refusal& r : ctx.refusals()) {
    REQUIRE(r.rule == "pseudo-filesystems");
    refusals.push_back(r.reason);
  }
  for (const Change& c : ctx.changes()) REQUIRE(c.rule == "pseudo-filesystems");
  return Run{spec, ctx.changes(), refusals};
}

Strings options_at(const Json& spec, size_t i) {
  return string_items(field(&field(&spec, "mounts")->items()[i], "options"));
}

bool has(const Strings& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

const char* const kOwnNamespaces = R"([{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
    {"type": "uts"}, {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}])";

}  // namespace

TEST_CASE("pseudo-filesystems: runc's own spec is unchanged", "[pseudo-filesystems]") {
  Run r = run(spec_text());
  CHECK(r.refusals.empty());
  CHECK(r.changes.empty());
}

TEST_CASE("pseudo-filesystems: homes compared as runc places them", "[pseudo-filesystems]") {
  SECTION("trailing slash, double slash, dot-dot and relative spellings of a home") {
    Run r = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "//proc/", "type": "proc", "source": "proc"},
      {"destination": "sys/./", "type": "sysfs", "source": "sysfs", "options": ["ro"]},
      {"destination": "/x/../sys/fs/cgroup", "type": "cgroup2", "source": "cgroup", "options": ["ro"]}]})");
    CHECK(r.refusals.empty());
    CHECK(r.changes.empty());
  }
}

TEST_CASE("pseudo-filesystems: a pseudo-filesystem away from home is refused", "[pseudo-filesystems]") {
  SECTION("a second procfs at /hp (ctr run --mount type=proc,...)") {
    Run r = run(spec_text(R"({"destination": "/hp", "type": "proc", "source": "proc"})"));
    REQUIRE(r.refusals.size() == 1);
    CHECK_THAT(r.refusals[0], Catch::Contains("mounts[6].destination: a proc filesystem is mounted at /hp"));
    CHECK_THAT(r.refusals[0], Catch::Contains("allowed only at /proc"));
  }
  SECTION("sysfs at /x, cgroup2 at /mnt, mqueue and devpts elsewhere") {
    Run r = run(spec_text(R"({"destination": "/x", "type": "sysfs", "source": "sysfs"},
      {"destination": "/mnt", "type": "cgroup2", "source": "cgroup2"},
      {"destination": "/q", "type": "mqueue", "source": "mqueue"},
      {"destination": "/dev/pts2", "type": "devpts", "source": "devpts"})"));
    REQUIRE(r.refusals.size() == 4);
    CHECK_THAT(r.refusals[1], Catch::Contains("cgroup2 is allowed only at /sys/fs/cgroup"));
  }
  SECTION("a relative destination that cleans to somewhere else") {
    Run r = run(spec_text(R"({"destination": "proc/../hp", "type": "proc", "source": "proc"})"));
    REQUIRE(r.refusals.size() == 1);
    CHECK_THAT(r.refusals[0], Catch::Contains("proc/../hp (placed at /hp)"));
  }
  SECTION("proc in upper case at /PROC is not the home") {
    Run r = run(spec_text(R"({"destination": "/PROC", "type": "proc", "source": "proc"})"));
    REQUIRE(r.refusals.size() == 1);
  }
}

TEST_CASE("pseudo-filesystems: each home holds one", "[pseudo-filesystems]") {
  SECTION("a second proc at /proc") {
    Run r = run(spec_text(R"({"destination": "/proc/", "type": "proc", "source": "proc"})"));
    REQUIRE(r.refusals.size() == 1);
    CHECK_THAT(r.refusals[0], Catch::Contains("a second proc filesystem"));
  }
  SECTION("cgroup2 on top of cgroup at /sys/fs/cgroup") {
    Run r = run(spec_text(R"({"destination": "/sys/fs/cgroup", "type": "cgroup2", "source": "cgroup2"})"));
    REQUIRE(r.refusals.size() == 1);
  }
  SECTION("a second sysfs remounting /sys read-write") {
    Run r = run(spec_text(R"({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["remount", "rw"]})"));
    REQUIRE(r.refusals.size() == 1);
  }
}

TEST_CASE("pseudo-filesystems: other types spelled like a pseudo-filesystem are refused",
          "[pseudo-filesystems]") {
  for (const char* type : {"Proc", "PROC", "Sysfs", "CGROUP2"}) {
    DYNAMIC_SECTION("type " << type << " at /hp") {
      Run r = run(spec_text(std::string(R"({"destination": "/hp", "type": ")") + type +
                            R"(", "source": "proc"})"));
      REQUIRE(r.refusals.size() == 1);
      CHECK_THAT(r.refusals[0], Catch::Contains("mounts[6].type"));
    }
  }
}

TEST_CASE("pseudo-filesystems: nothing else in /proc or /sys", "[pseudo-filesystems]") {
  SECTION("a tmpfs over /proc/sys names the read-only path it replaces") {
    Run r = run(spec_text(R"({"destination": "/proc/sys", "type": "tmpfs", "source": "tmpfs"})"));
    REQUIRE(r.refusals.size() == 1);
    CHECK_THAT(r.refusals[0], Catch::Contains("mounts[6].destination: a filesystem of type \"tmpfs\" is "
                                              "mounted at /proc/sys (it covers masked or read-only /proc/sys)"));
  }
  SECTION("a bind over /sys/firmware, and over /proc/kcore") {
    Run r = run(spec_text(R"({"destination": "/sys/firmware", "type": "bind", "source": "/srv/empty", "options": ["rbind"]},
      {"destination": "/proc/kcore", "type": "none", "source": "/srv/file", "options": ["bind", "rw"]})"));
    REQUIRE(r.refusals.size() == 2);
    CHECK_THAT(r.refusals[0], Catch::Contains("a bind of /srv/empty is mounted at /sys/firmware"));
  }
  SECTION("a tmpfs at a parent of masked paths, and at /proc itself") {
    Run r = run(spec_text(R"({"destination": "/sys/fs", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"})"));
    REQUIRE(r.refusals.size() == 2);
  }
  SECTION("a proc-typed bind is a bind: judged by its destination here") {
    Run r = run(spec_text(R"({"destination": "/proc/1", "type": "proc", "source": "/srv/x", "options": ["rbind"]})"));
    REQUIRE(r.refusals.size() == 1);
    CHECK_THAT(r.refusals[0], Catch::Contains("a bind of /srv/x"));
  }
  SECTION("spellings that fold to /proc") {
    Run r = run(spec_text(R"({"destination": "/PROC/sys", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/dev/../sys/kernel", "type": "tmpfs", "source": "tmpfs"})"));
    REQUIRE(r.refusals.size() == 2);
  }
  SECTION("binds at the /proc files runc lets LXCFS cover are allowed") {
    Run r = run(spec_text(R"({"destination": "/proc/meminfo", "type": "bind",
      "source": "/var/lib/lxcfs/proc/meminfo", "options": ["rbind", "ro"]})"));
    CHECK(r.refusals.empty());
  }
  SECTION("but not a tmpfs there") {
    Run r = run(spec_text(R"({"destination": "/proc/meminfo", "type": "tmpfs", "source": "tmpfs"})"));
    CHECK(r.refusals.size() == 1);
  }
  SECTION("mounts outside /proc and /sys are not this rule's") {
    Run r = run(spec_text(R"({"destination": "/procx", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind"]})"));
    CHECK(r.refusals.empty());
  }
}

TEST_CASE("pseudo-filesystems: sysfs and cgroup read-only without own user and cgroup namespaces",
          "[pseudo-filesystems]") {
  SECTION("sysfs rw, cgroup with no options") {
    Run r = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "ro", "rw"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"}]})");
    CHECK(r.refusals.empty());
    REQUIRE(r.changes.size() == 2);
    CHECK(r.changes[0].path == "mounts[0].options");
    CHECK(options_at(r.spec, 0) == Strings{"nosuid", "ro"});
    CHECK(options_at(r.spec, 1) == Strings{"nosuid", "noexec", "nodev", "ro"});
  }
  SECTION("cgroup2 with rrw (crun clears read-only recursively)") {
    Run r = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/sys/fs/cgroup", "type": "cgroup2", "source": "cgroup", "options": ["ro", "rrw"]}]})");
    REQUIRE(r.changes.size() == 1);
    CHECK(options_at(r.spec, 0) == Strings{"ro"});
  }
  SECTION("proc, mqueue and devpts are left as they are") {
    Run r = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc", "options": ["rw"]},
      {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue"}]})");
    CHECK(r.changes.empty());
  }
  SECTION("a new user namespace and a new cgroup namespace: writable, as Docker leaves it") {
    Run r = run(spec_text(R"({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw"]})",
                          kOwnNamespaces));
    // The one at /sys/fs/cgroup in spec_text is first; this second one is refused, not rewritten.
    CHECK(r.changes.empty());
    Run rw = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["rw"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw"]}],
      "linux": {"namespaces": )" + std::string(kOwnNamespaces) + "}}");
    CHECK(rw.refusals.empty());
    CHECK(rw.changes.empty());
  }
  SECTION("a cgroup namespace joined by path, or none: read-only") {
    for (const char* ns : {R"([{"type": "user"}, {"type": "cgroup", "path": "/proc/1/ns/cgroup"}])",
                           R"([{"type": "user"}])", R"([{"type": "cgroup"}])",
                           R"([{"type": "user", "path": "/proc/9/ns/user"}, {"type": "cgroup"}])"}) {
      Run r = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw"]}],
        "linux": {"namespaces": )" + std::string(ns) + "}}");
      INFO(ns);
      CHECK(options_at(r.spec, 0) == Strings{"ro"});
    }
  }
  SECTION("the read-only rbind of /sys that user-namespace puts at /sys is its sysfs") {
    Run r = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "nosuid", "ro"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]}]})");
    CHECK(r.refusals.empty());
    // Its submounts (the host's cgroup hierarchies) are made read-only too.
    REQUIRE(r.changes.size() == 1);
    CHECK(options_at(r.spec, 0) == Strings{"rbind", "nosuid", "ro", "rro"});
    Run own = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "rro", "ro"]}],
      "linux": {"namespaces": )" + std::string(kOwnNamespaces) + "}}");
    CHECK(own.refusals.empty());
    CHECK(own.changes.empty());
    Run rrw = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "ro", "rrw"]}],
      "linux": {"namespaces": )" + std::string(kOwnNamespaces) + "}}");
    CHECK(options_at(rrw.spec, 0) == Strings{"rbind", "ro", "rro"});
    Run rw = run(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
      {"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "ro", "rw"]}]})");
    CHECK(rw.refusals.size() == 1);
  }
}

TEST_CASE("pseudo-filesystems: judged after user-namespace, on the final spec", "[pseudo-filesystems]") {
  // Docker with userns-remap leaves the cgroup mount writable (no cgroup namespace on cgroup v1).
  Json spec = parse(spec_text("", R"([{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
      {"type": "uts"}, {"type": "mount"}, {"type": "user"}])"));
  Json* cg = &field(&spec, "mounts")->items()[5];
  cg->set("options", string_array({"nosuid", "noexec", "nodev"}));
  spec.get("linux")->set("uidMappings", parse_value(R"([{"containerID": 0, "hostID": 100000, "size": 65536}])"));
  spec.get("linux")->set("gidMappings", parse_value(R"([{"containerID": 0, "hostID": 100000, "size": 65536}])"));
  FakeHost host;
  Policy p = policy();
  p.hook_path.clear();
  Decision d = harden_spec(std::move(spec), p, host, Invocation{"create", "c1", kBundle});
  bool changed = false;
  for (const Change& c : d.changes) {
    if (c.rule == "pseudo-filesystems" && c.path == "mounts[5].options") changed = true;
  }
  CHECK(changed);
  CHECK(has(options_at(d.spec, 5), "ro"));
  const auto& rules = all_rules();
  auto pos = [&](const char* id) {
    return std::find_if(rules.begin(), rules.end(), [&](const RuleInfo& r) { return std::string(r.id) == id; });
  };
  CHECK(pos("user-namespace") < pos("pseudo-filesystems"));
}

}  // namespace oci_harden
