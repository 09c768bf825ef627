// seccomp_learned's never-wider check with remembered verdicts (issue 14/15): the store is asked
// before judging, told after a profile passed, and its key covers the profile's text, so a
// verdict for one profile never admits another.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>

#include "shim/core/policy.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {

namespace {

struct ScratchDir {
  std::string dir;
  ScratchDir() {
    char tmpl[] = "/tmp/ocih-learned-verdicts.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  }
  ~ScratchDir() {
    for (const char* f : {"/narrow.json", "/wide.json"}) ::unlink((dir + f).c_str());
    ::rmdir(dir.c_str());
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string write(const std::string& name, const std::string& text) const {
    std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    return path;
  }
};

std::string policy_naming(const std::string& profile) {
  return R"({"user_namespace": {"state_dir": "/run/oci-harden-test"}, "seccomp_learned": {"profile": ")" + profile +
         R"("}})";
}

}  // namespace

TEST_CASE("seccomp_learned: the never-wider verdict is remembered and read back by its own key only", "[learn][seccomp-verdicts]") {
  if (!test::have_root("the learned profile must be a root-owned file")) return;
  ScratchDir d;
  const std::string narrow_text = test::repo_file("tests/golden/learned/sh-default.json");
  const std::string narrow = d.write("narrow.json", narrow_text);
  std::string wide_text = narrow_text;
  const std::string anchor = "\"syscalls\": [";
  REQUIRE(wide_text.find(anchor) != std::string::npos);
  wide_text.insert(wide_text.find(anchor) + anchor.size(), R"({"names": ["keyctl"], "action": "SCMP_ACT_ALLOW"}, )");
  const std::string wide = d.write("wide.json", wide_text);

  std::set<std::string> remembered;
  int asked = 0;
  set_policy_verdict_store({[&](const std::string& state_dir, const std::string& key) {
                              ++asked;
                              return remembered.count(state_dir + "|" + key) != 0;
                            },
                            [&](const std::string& state_dir, const std::string& key) {
                              remembered.insert(state_dir + "|" + key);
                            }});
  // Judged, passed, remembered.
  auto first = parse_policy(policy_naming(narrow), d.dir + "/policy.json");
  INFO((first ? "" : first.error().message));
  REQUIRE(first);
  CHECK(asked == 1);
  REQUIRE(remembered.size() == 1);
  CHECK(remembered.begin()->rfind("/run/oci-harden-test|learned-not-wider 1\n", 0) == 0);
  // Read back.
  REQUIRE(parse_policy(policy_naming(narrow), d.dir + "/policy.json"));
  CHECK(asked == 2);
  CHECK(remembered.size() == 1);
  // A wider profile is judged (its key is another) and refused; nothing is remembered for it.
  auto refused = parse_policy(policy_naming(wide), d.dir + "/policy.json");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("keyctl") != std::string::npos);
  CHECK(remembered.size() == 1);
  set_policy_verdict_store({});
}

}  // namespace oci_harden
