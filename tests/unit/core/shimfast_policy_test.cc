// Issue 14.1: a policy file loaded by load_policy_file (the path of every `oci-harden create`)
// leaves the built-in seccomp profile unparsed until the seccomp rule asks for it. What the
// policy means must not change: the profile it answers with is the built-in one, named policies
// share it, a profile file is still parsed (and a broken one refused) at load, and a spec is
// hardened exactly as with the eagerly parsed policy.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

struct PolicyDir {
  std::string path;
  PolicyDir() {
    char tmpl[] = "/tmp/oci-harden-shimfast-policy-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
    REQUIRE(::chmod(path.c_str(), 0755) == 0);
  }
  ~PolicyDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string file = path + "/" + name;
    std::ofstream(file) << text;
    REQUIRE(::chmod(file.c_str(), 0644) == 0);
    return file;
  }
};

const char kRuntime[] = "\"runtime\":\"/bin/true\"";

}  // namespace

TEST_CASE("a loaded policy defers the built-in seccomp profile and answers with it", "[shimfast]") {
  if (!test::have_root("policy files must be root's")) return;
  PolicyDir dir;
  auto builtin = builtin_policy();
  REQUIRE(builtin);
  REQUIRE(builtin->seccomp_profile.is_object());
  CHECK_FALSE(builtin->seccomp_profile_deferred);
  CHECK(&builtin->seccomp_profile_json() == &builtin->seccomp_profile);

  auto p = load_policy_file(dir.write("policy.json", std::string("{") + kRuntime + "}"));
  if (!p) FAIL(p.error().message);
  CHECK(p->seccomp_profile_deferred);
  CHECK(p->seccomp_profile.is_null());
  CHECK(p->seccomp_profile_json() == builtin->seccomp_profile);

  SECTION("named policies share the deferred profile") {
    auto named = load_policy_file(dir.write(
        "named.json", std::string("{") + kRuntime +
                          R"(,"policies":{"batch":{"limits":{"pids":{"default":64}}}},"selectors":[{"match":{"image":"batch/*"},"policy":"batch"}]})"));
    if (!named) FAIL(named.error().message);
    REQUIRE(named->named_policies.size() == 1);
    CHECK(named->named_policies[0]->seccomp_profile_deferred);
    CHECK(named->named_policies[0]->seccomp_profile_json() == builtin->seccomp_profile);
  }

  SECTION("a profile file is parsed at load, and a broken one refused at load") {
    dir.write("mine.json", R"({"defaultAction":"SCMP_ACT_LOG","syscalls":[]})");
    auto own = load_policy_file(dir.write("own.json", std::string("{") + kRuntime + R"(,"seccomp":{"profile":"mine.json"}})"));
    if (!own) FAIL(own.error().message);
    CHECK_FALSE(own->seccomp_profile_deferred);
    REQUIRE(own->seccomp_profile_json().get_exact("defaultAction") != nullptr);
    CHECK(own->seccomp_profile_json().get_exact("defaultAction")->text() == "SCMP_ACT_LOG");

    dir.write("broken.json", R"({"syscalls":[)");
    auto broken = load_policy_file(dir.write("bad.json", std::string("{") + kRuntime + R"(,"seccomp":{"profile":"broken.json"}})"));
    CHECK_FALSE(broken);
  }

  SECTION("a spec is hardened as with the eagerly parsed policy") {
    auto eager = parse_policy(std::string("{") + kRuntime + "}", "");
    REQUIRE(eager);
    for (const char* config : {"tests/golden/docker-captured/plain.json", "tests/golden/docker-captured/seccomp-unconfined.json",
                               "tests/golden/containerd-captured/ctr-run.json"}) {
      INFO(config);
      auto a = parse_spec(test::repo_file(config));
      auto b = parse_spec(test::repo_file(config));
      REQUIRE(a);
      REQUIRE(b);
      FakeHost host;
      Decision da = harden_spec(std::move(*a), *eager, host, Invocation{"create", "c1", "/bundles/c1"});
      Decision db = harden_spec(std::move(*b), *p, host, Invocation{"create", "c1", "/bundles/c1"});
      CHECK(to_json(db.spec) == to_json(da.spec));
      CHECK(db.refusals.size() == da.refusals.size());
    }
  }
}

}  // namespace oci_harden
