// Rules "masked-paths" (the default linux.maskedPaths and linux.readonlyPaths restored where an
// engine emptied or shortened them, entries kept, none repeated) and "readonly-engine-files"
// (the engine's /etc/hosts, /etc/hostname, /etc/resolv.conf binds end read-only, whatever "rw"
// they carried), on FakeHost.

#include <catch2/catch.hpp>

#include <algorithm>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using rule_test::parse;
using Strings = std::vector<std::string>;

rule_test::RuleRun run(RuleFn fn, const char* id, const std::string& text) {
  return rule_test::run_rule(fn, id, parse(text), rule_test::builtin(), FakeHost());
}

Strings at(const Json& spec, const std::string& path) { return string_items(field_at(spec, path)); }

bool has(const Strings& list, const std::string& s) { return std::find(list.begin(), list.end(), s) != list.end(); }

TEST_CASE("masked-paths: emptied lists (systempaths=unconfined) get the defaults back", "[masked-paths]") {
  auto r = run(rule_masked_paths, "masked-paths",
               R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
                   "linux": {"maskedPaths": [], "readonlyPaths": []}})");
  Strings masked = at(r.spec, "linux.maskedPaths"), readonly = at(r.spec, "linux.readonlyPaths");
  for (const char* p : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/acpi"}) {
    CHECK(has(masked, p));
  }
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/fs", "/proc/irq"}) {
    CHECK(has(readonly, p));
  }
  CHECK(r.refusals.empty());
  REQUIRE(r.changes.size() == 2);
  CHECK(r.changes[0].path == "linux.maskedPaths");
  CHECK(r.changes[1].path == "linux.readonlyPaths");
}

TEST_CASE("masked-paths: the spec's own entries are kept, a default it has is not repeated", "[masked-paths]") {
  auto r = run(rule_masked_paths, "masked-paths",
               R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
                   "linux": {"maskedPaths": ["/proc/custom", "/proc/kcore"]}})");
  Strings masked = at(r.spec, "linux.maskedPaths");
  CHECK(masked.front() == "/proc/custom");
  CHECK(std::count(masked.begin(), masked.end(), "/proc/kcore") == 1);
  CHECK(has(masked, "/sys/firmware"));
  CHECK(has(at(r.spec, "linux.readonlyPaths"), "/proc/sys"));  // absent: added
}

TEST_CASE("readonly-engine-files: the engine's binds end read-only, others are left", "[readonly-engine-files]") {
  auto r = run(rule_readonly_engine_files, "readonly-engine-files",
               R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"}, "mounts": [
                   {"destination": "/etc/hosts", "type": "bind", "source": "/d/hosts", "options": ["rbind", "rprivate"]},
                   {"destination": "/etc/hostname", "type": "bind", "source": "/d/hostname", "options": ["rbind", "ro", "rw"]},
                   {"destination": "/etc/resolv.conf", "source": "/d/resolv.conf", "options": ["bind", "rw"]},
                   {"destination": "/data", "type": "bind", "source": "/d/data", "options": ["rbind", "rw"]},
                   {"destination": "/etc/hosts2", "type": "bind", "source": "/d/hosts", "options": ["rbind"]}]})");
  const Json& mounts = *field(&r.spec, "mounts");
  auto options = [&](size_t i) { return string_items(field(&mounts.items()[i], "options")); };
  CHECK(options(0) == Strings{"rbind", "rprivate", "ro"});
  CHECK(options(1) == Strings{"rbind", "ro"});  // the last of ro/rw wins at runc: no rw left
  CHECK(options(2) == Strings{"bind", "ro"});
  CHECK(options(3) == Strings{"rbind", "rw"});
  CHECK(options(4) == Strings{"rbind"});
  CHECK(r.changes.size() == 3);
  CHECK(r.refusals.empty());
}

}  // namespace
}  // namespace oci_harden
