// Issue 17, "small truths": a mount's options that are the same set in another order are not a
// change. The rules that rewrite mounts[].options (readonly-engine-files, pseudo-filesystems,
// mount-propagation) keep the engine's order where they add nothing, and record nothing then;
// checked on each rule and on Docker's captured --read-only config (its /etc/hosts, /etc/hostname,
// /etc/resolv.conf binds come as ["rbind","ro","rprivate"]).

#include <catch2/catch.hpp>

#include <algorithm>

#include "shim/core/harden.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

using Strings = std::vector<std::string>;

rule_test::RuleRun run(RuleFn fn, const char* id, const std::string& mounts) {
  return rule_test::run_rule(fn, id,
                             rule_test::parse(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, )"
                                              R"("linux": {"rootfsPropagation": "rprivate"}, "mounts": )" +
                                              mounts + "}"),
                             rule_test::builtin(), FakeHost());
}

Strings options(const Json& spec, size_t i) { return string_items(field(&field(&spec, "mounts")->items()[i], "options")); }

// A change to a mount's options whose before and after hold the same options, in another order.
bool reorder_recorded(const std::vector<Change>& changes) {
  for (const Change& c : changes) {
    if (c.path.size() < 8 || c.path.compare(c.path.size() - 8, 8, ".options") != 0) continue;
    Strings before = string_items(&c.before), after = string_items(&c.after);
    std::sort(before.begin(), before.end());
    std::sort(after.begin(), after.end());
    if (before == after) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("mount options: readonly-engine-files keeps an engine's \"ro\" where it is", "[mount-options]") {
  auto r = run(rule_readonly_engine_files, "readonly-engine-files",
               R"([{"destination": "/etc/hosts", "type": "bind", "source": "/d/hosts", "options": ["rbind", "ro", "rprivate"]},
                   {"destination": "/etc/hostname", "type": "bind", "source": "/d/hostname", "options": ["ro", "rbind"]},
                   {"destination": "/etc/resolv.conf", "type": "bind", "source": "/d/resolv", "options": ["rbind", "rprivate", "rw"]}])");
  CHECK(options(r.spec, 0) == Strings{"rbind", "ro", "rprivate"});
  CHECK(options(r.spec, 1) == Strings{"ro", "rbind"});
  // Still made read-only where it was not: "rw" dropped, "ro" added.
  CHECK(options(r.spec, 2) == Strings{"rbind", "rprivate", "ro"});
  REQUIRE(r.changes.size() == 1);
  CHECK(r.changes[0].path == "mounts[2].options");
  CHECK_FALSE(reorder_recorded(r.changes));
}

TEST_CASE("mount options: pseudo-filesystems and mount-propagation record no reorder", "[mount-options]") {
  auto p = run(rule_pseudo_filesystems, "pseudo-filesystems",
               R"([{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["ro", "nosuid", "noexec", "nodev"]},
                   {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}])");
  CHECK(options(p.spec, 0) == Strings{"ro", "nosuid", "noexec", "nodev"});
  CHECK_FALSE(reorder_recorded(p.changes));
  auto m = run(rule_mount_propagation, "mount-propagation",
               R"([{"destination": "/data", "type": "bind", "source": "/d", "options": ["rprivate", "rbind", "ro"]}])");
  CHECK(options(m.spec, 0) == Strings{"rprivate", "rbind", "ro"});
  CHECK(m.changes.empty());
}

TEST_CASE("mount options: Docker's --read-only capture: its engine-file binds are not changed", "[mount-options]") {
  auto spec = parse_spec(test::repo_file("tests/golden/docker-captured/read-only.json"));
  REQUIRE(spec.ok());
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/bundles/c1"});
  CHECK_FALSE(reorder_recorded(d.changes));
  for (const Change& c : d.changes) {
    INFO(c.rule << " " << c.path);
    CHECK(c.rule != "readonly-engine-files");
  }
}

}  // namespace oci_harden
