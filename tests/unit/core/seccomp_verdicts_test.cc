// Remembered seccomp verdicts (issue 14): a spec's own profile that held is not judged again
// under the same policy profile, references and architectures; one that was weaker is judged
// every time; and the real store trusts only its own files.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "shim/host/seccomp_verdicts.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {

namespace {

Json parsed(const std::string& text) {
  auto j = parse_json(text);
  REQUIRE(j);
  return *j;
}

const Change* seccomp_change(const Decision& d) {
  for (const Change& c : d.changes)
    if (c.rule == "seccomp") return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("seccomp rule: a profile that held is remembered; the next identical one is not judged", "[seccomp-verdicts]") {
  auto base = builtin_policy();
  REQUIRE(base);
  Policy policy = std::move(*base);
  policy.hook_path.clear();
  policy.state_dir = "/run/oci-harden";
  FakeHost host;
  const Invocation inv{"create", "c1", "/bundles/c1"};
  // Docker's default with one name taken out: not an accepted default by text, so judged by
  // effect; narrower than Docker's, so it holds.
  Json spec = parsed(test::repo_file("tests/golden/docker-captured/plain.json"));
  Json* first = field_at(spec, "linux.seccomp")->get("syscalls")->items()[0].get("names");
  first->items().erase(first->items().begin());
  Decision d1 = harden_spec(spec, policy, host, inv);
  CHECK(seccomp_change(d1) == nullptr);
  REQUIRE(host.seccomp_held.size() == 1);
  CHECK(host.seccomp_held.begin()->rfind("/run/oci-harden|seccomp-holds 1\n", 0) == 0);

  SECTION("the same profile again: kept, from the remembered verdict") {
    Decision d2 = harden_spec(spec, policy, host, inv);
    CHECK(seccomp_change(d2) == nullptr);
    CHECK(host.seccomp_held.size() == 1);
  }
  SECTION("another capability set (another policy profile as installed): another key") {
    Json other = spec;
    // Without CAP_SYS_CHROOT the policy's profile is installed without its chroot group.
    for (const char* set : {"bounding", "effective", "permitted"}) {
      Json* caps = field_at(other, std::string("process.capabilities.") + set);
      REQUIRE(caps != nullptr);
      auto& items = caps->items();
      items.erase(std::remove(items.begin(), items.end(), Json::string("CAP_SYS_CHROOT")), items.end());
    }
    (void)harden_spec(other, policy, host, inv);
    CHECK(host.seccomp_held.size() == 2);
  }
  SECTION("a weaker profile is replaced and nothing is remembered for it") {
    Json weaker = spec;
    field_at(weaker, "linux.seccomp")->get("syscalls")->items()[0].get("names")->push_back(Json::string("unshare"));
    Decision d3 = harden_spec(weaker, policy, host, inv);
    REQUIRE(seccomp_change(d3) != nullptr);
    CHECK(host.seccomp_held.size() == 1);
    // And judged again the next time: still replaced.
    Decision d4 = harden_spec(weaker, policy, host, inv);
    CHECK(seccomp_change(d4) != nullptr);
  }
  SECTION("a remembered verdict for a key is only that key's: a forged entry for another profile does not help it") {
    Json weaker = spec;
    field_at(weaker, "linux.seccomp")->get("syscalls")->items()[0].get("names")->push_back(Json::string("keyctl"));
    host.seccomp_held.insert("/run/oci-harden|seccomp-holds 1\n");
    Decision d5 = harden_spec(weaker, policy, host, inv);
    CHECK(seccomp_change(d5) != nullptr);
  }
}

TEST_CASE("seccomp verdict store: written and read back; anything not its own is no verdict", "[seccomp-verdicts]") {
  char tmpl[] = "/tmp/ocih-verdicts.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string state = tmpl;
  const std::string key = "seccomp-holds 1\n{}\n{}\npolicy,\nSCMP_ARCH_X86_64,";
  CHECK_FALSE(seccomp_verdict_remembered(state, key));
  remember_seccomp_verdict(state, key);
  CHECK(seccomp_verdict_remembered(state, key));
  CHECK_FALSE(seccomp_verdict_remembered(state, key + "x"));
  const std::string path = seccomp_verdict_path(state, key);
  REQUIRE(path.rfind(state + "/seccomp-held/", 0) == 0);
  struct stat st = {};
  REQUIRE(::stat((state + "/seccomp-held").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  // Remembering twice is harmless.
  remember_seccomp_verdict(state, key);
  CHECK(seccomp_verdict_remembered(state, key));
  // A verdict in a directory others may write is not trusted.
  REQUIRE(::chmod((state + "/seccomp-held").c_str(), 0777) == 0);
  CHECK_FALSE(seccomp_verdict_remembered(state, key));
  REQUIRE(::chmod((state + "/seccomp-held").c_str(), 0700) == 0);
  // Nor a verdict that is not a regular file (a symlink to one).
  REQUIRE(::unlink(path.c_str()) == 0);
  const std::string real = state + "/real";
  REQUIRE(::close(::open(real.c_str(), O_CREAT | O_WRONLY, 0600)) == 0);
  REQUIRE(::symlink(real.c_str(), path.c_str()) == 0);
  CHECK_FALSE(seccomp_verdict_remembered(state, key));
  // A relative or empty state directory is never used.
  CHECK(seccomp_verdict_path("relative", key).empty());
  CHECK_FALSE(seccomp_verdict_remembered("", key));
  ::unlink(path.c_str());
  ::unlink(real.c_str());
  ::rmdir((state + "/seccomp-held").c_str());
  ::rmdir(state.c_str());
}

}  // namespace oci_harden
