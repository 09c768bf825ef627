// The reviewed learned profile: tests/golden/learned/recording-sh.json (what `sh -c 'echo hi'` in
// busybox calls, with what runc 1.1.5 calls after it installs the filter as always_allowed)
// learned from the built-in default profile, as `oci-hardenctl profile learn` writes it
// (tests/golden/learned/sh-default.json). After a deliberate change:
// OCI_HARDEN_GOLDEN_UPDATE=1 build/unit-tests "[learned-golden]", then read the diff.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "shim/cli/profile_learn.hh"
#include "shim/core/embedded.hh"
#include "shim/core/learned_profile.hh"
#include "tests/unit/test_support.hh"

using namespace oci_harden;

TEST_CASE("the golden learned profile of busybox sh -c 'echo hi'", "[learned-golden][learned-profile]") {
  auto rec = parse_recording(test::repo_file("tests/golden/learned/recording-sh.json"), "recording-sh.json");
  REQUIRE(rec.ok());
  auto merged = merge_recordings({*rec});
  REQUIRE(merged.ok());
  auto base = parse_json(embedded_file("seccomp-default.json"));
  REQUIRE(base.ok());
  auto learned = learn_profile(*base, *merged);
  REQUIRE(learned.ok());
  const std::string got = format_profile_text(learned->profile);
  const std::string rel = "tests/golden/learned/sh-default.json";
  if (const char* u = std::getenv("OCI_HARDEN_GOLDEN_UPDATE"); u != nullptr && std::string(u) == "1")
    std::ofstream(test::repo_path(rel), std::ios::binary) << got;
  INFO("golden " << rel << " (OCI_HARDEN_GOLDEN_UPDATE=1 rewrites it)");
  CHECK(got == test::repo_file(rel));
  // Less than a third of what the default allows, never wider than it, and what `profile check`
  // would say is clean.
  CHECK(learned->learned_allowed * 3 < learned->base_allowed);
  CHECK(check_never_wider(learned->profile, *base, {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}).ok());
  CHECK(learned->notes == std::vector<std::string>{
                              "architectures no recording lists, left out: SCMP_ARCH_X32, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM",
                              "personality seen but not added: no recorded argument value matches the base's rule"});
}
