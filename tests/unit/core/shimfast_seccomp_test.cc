// Issue 14.1: the seccomp rule recognises Docker's or Podman's default profile by comparing the
// spec's profile, serialised, with the embedded file's text, without parsing the default. That
// holds only while each embedded engine default is kept exactly as to_json writes it; and a
// profile that differs from it in any way (one name, the order of its members) must still be
// judged by effect, never waved through.

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/embedded.hh"
#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

Decision harden_docker(void (*edit)(Json&)) {
  auto spec = parse_spec(test::repo_file("tests/golden/docker-captured/plain.json"));
  REQUIRE(spec);
  if (edit != nullptr) edit(*field_at(*spec, "linux.seccomp"));
  auto p = builtin_policy();
  REQUIRE(p);
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  return harden_spec(std::move(*spec), *p, host, Invocation{"create", "c1", "/bundles/c1"});
}

const Change* seccomp_change(const Decision& d) {
  for (const Change& c : d.changes) {
    if (c.rule == "seccomp") return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("each embedded engine default profile is kept as to_json writes it", "[shimfast]") {
  for (const char* name : {"engine-seccomp-docker.json", "engine-seccomp-podman.json"}) {
    INFO(name);
    std::string text(embedded_file(name));
    while (!text.empty() && text.back() == '\n') text.pop_back();
    REQUIRE_FALSE(text.empty());
    auto parsed = parse_json(text);
    REQUIRE(parsed);
    CHECK(to_json(*parsed) == text);
  }
}

TEST_CASE("Docker's default profile passes untouched; one changed by a name or an order is judged", "[shimfast]") {
  // The captured config carries dockerd 20.10's default profile: the same text, no change.
  Decision same = harden_docker(nullptr);
  CHECK(same.refusals.empty());
  CHECK(seccomp_change(same) == nullptr);

  // One more allowed name (unshare): no longer Docker's default, and weaker than the policy's:
  // replaced, with what was open recorded.
  Decision wider = harden_docker([](Json& profile) {
    Json* names = field(&field(&profile, "syscalls")->items()[0], "names");
    names->push_back(Json::string("unshare"));
  });
  const Change* c = seccomp_change(wider);
  REQUIRE(c != nullptr);
  CHECK(to_json(c->before).find("unshare") != std::string::npos);

  // The same rules with architectures moved to the end: a different text, so judged by effect
  // (which finds it as strict as Docker's default and keeps it).
  Decision reordered = harden_docker([](Json& profile) {
    Json arches = *field(&profile, "architectures");
    profile.erase("architectures");
    profile.set("architectures", std::move(arches));
  });
  CHECK(reordered.refusals.empty());
  CHECK(seccomp_change(reordered) == nullptr);
}

}  // namespace oci_harden
