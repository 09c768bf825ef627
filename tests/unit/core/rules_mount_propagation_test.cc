// Rule "mount-propagation": linux.rootfsPropagation absent, shared or rshared becomes rprivate;
// shared/rshared in a mount's options become private/rprivate; slave and private forms are
// kept (they do not propagate back to the host), on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Strings = std::vector<std::string>;

rule_test::RuleRun run(const std::string& linux, const std::string& mounts = "[]") {
  return rule_test::run_rule(rule_mount_propagation, "mount-propagation",
                             rule_test::parse(R"({"process": {"args": ["sh"]}, "root": {"path": "rootfs"},
                                                  "linux": )" + linux + R"(, "mounts": )" + mounts + "}"),
                             rule_test::builtin(), FakeHost());
}

std::string propagation(const rule_test::RuleRun& r) {
  return string_field(field(&r.spec, "linux"), "rootfsPropagation").value_or("(absent)");
}

TEST_CASE("mount-propagation: the root's propagation never shares back to the host", "[mount-propagation]") {
  CHECK(propagation(run("{}")) == "rprivate");
  CHECK(propagation(run(R"({"rootfsPropagation": "shared"})")) == "rprivate");
  CHECK(propagation(run(R"({"rootfsPropagation": "rshared"})")) == "rprivate");
  CHECK(propagation(run(R"({"rootfsPropagation": "rslave"})")) == "rslave");
  CHECK(propagation(run(R"({"rootfsPropagation": "private"})")) == "private");
  auto unchanged = run(R"({"rootfsPropagation": "rprivate"})");
  CHECK(unchanged.changes.empty());
}

TEST_CASE("mount-propagation: shared mounts become private, slave ones are kept", "[mount-propagation]") {
  auto r = run(R"({"rootfsPropagation": "rprivate"})",
               R"([{"destination": "/a", "type": "bind", "source": "/s/a", "options": ["rbind", "rshared"]},
                   {"destination": "/b", "type": "bind", "source": "/s/b", "options": ["bind", "shared", "ro"]},
                   {"destination": "/c", "type": "bind", "source": "/s/c", "options": ["rbind", "rslave"]}])");
  const Json& mounts = *field(&r.spec, "mounts");
  CHECK(string_items(field(&mounts.items()[0], "options")) == Strings{"rbind", "rprivate"});
  CHECK(string_items(field(&mounts.items()[1], "options")) == Strings{"bind", "private", "ro"});
  CHECK(string_items(field(&mounts.items()[2], "options")) == Strings{"rbind", "rslave"});
  REQUIRE(r.changes.size() == 2);
  CHECK(r.changes[0].path == "mounts[0].options");
  CHECK(r.changes[1].path == "mounts[1].options");
}

}  // namespace
}  // namespace oci_harden
