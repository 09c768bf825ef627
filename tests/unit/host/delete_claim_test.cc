// The delete's claim on the stop record (issue 14): the poststop hook stands down only for the
// runtime process that oci-harden delete started, never for a stale or foreign claim.

#include "shim/host/delete_claim.hh"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

struct ClaimDir {
  std::string path;
  ClaimDir() {
    char tmpl[] = "/tmp/oci-harden-claim-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~ClaimDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

}  // namespace

using namespace oci_harden;

TEST_CASE("delete claim: written for a pid, seen for that pid only", "[delete-claim]") {
  ClaimDir d;
  std::string state = d.path + "/state";  // created by the claim, like the id's directory
  REQUIRE(write_delete_claim(state, "c1", 4242));
  CHECK(delete_claim_path(state, "c1") == state + "/c1/delete-pid");
  CHECK(delete_claimed_by(state, "c1", 4242));
  CHECK_FALSE(delete_claimed_by(state, "c1", 4243));   // another runtime: a stale claim
  CHECK_FALSE(delete_claimed_by(state, "c2", 4242));   // another container
  struct stat st {};
  // 0711 like the idmapped root's directories: a later container's root is walked through them
  // by runc's init, an unprivileged user on the host (0700 broke the next idmapped root).
  REQUIRE(::stat((state + "/c1").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0711);
  REQUIRE(::stat(state.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0711);
  remove_delete_claim(state, "c1");
  CHECK_FALSE(delete_claimed_by(state, "c1", 4242));
  remove_delete_claim(state, "c1");  // absent is fine
}

TEST_CASE("delete claim: a rewrite replaces a stale claim", "[delete-claim]") {
  ClaimDir d;
  REQUIRE(write_delete_claim(d.path, "c1", 100));
  REQUIRE(write_delete_claim(d.path, "c1", 200));
  CHECK_FALSE(delete_claimed_by(d.path, "c1", 100));
  CHECK(delete_claimed_by(d.path, "c1", 200));
}

TEST_CASE("delete claim: a claim others could write, or a prefix of the pid, is no claim", "[delete-claim]") {
  ClaimDir d;
  REQUIRE(write_delete_claim(d.path, "c1", 4242));
  std::string claim = delete_claim_path(d.path, "c1");
  REQUIRE(::chmod(claim.c_str(), 0622) == 0);
  CHECK_FALSE(delete_claimed_by(d.path, "c1", 4242));
  REQUIRE(::chmod(claim.c_str(), 0600) == 0);
  CHECK(delete_claimed_by(d.path, "c1", 4242));
  std::ofstream(claim, std::ios::trunc) << "42420";
  CHECK_FALSE(delete_claimed_by(d.path, "c1", 4242));
  CHECK_FALSE(delete_claimed_by(d.path, "c1", 1));  // pid 1 is never the runtime's
}

TEST_CASE("delete claim: ids and state directories that would leave state_dir are refused", "[delete-claim]") {
  ClaimDir d;
  CHECK_FALSE(write_delete_claim(d.path, "../escape", 1234));
  CHECK_FALSE(write_delete_claim(d.path, "", 1234));
  CHECK_FALSE(write_delete_claim("relative/state", "c1", 1234));
  CHECK_FALSE(delete_claimed_by(d.path, "../escape", 1234));
}

TEST_CASE("delete claim: the hook's answer is seen for the claiming runtime only, and removed", "[delete-claim]") {
  ClaimDir d;
  REQUIRE(write_delete_claim(d.path, "c1", 4242));
  CHECK_FALSE(delete_claim_seen(d.path, "c1", 4242));  // no hook ran yet
  REQUIRE(mark_delete_claim_seen(d.path, "c1", 4242));
  CHECK(delete_claim_seen(d.path, "c1", 4242));
  CHECK_FALSE(delete_claim_seen(d.path, "c1", 4243));
  remove_delete_claim(d.path, "c1");
  CHECK_FALSE(delete_claim_seen(d.path, "c1", 4242));
  CHECK_FALSE(delete_claimed_by(d.path, "c1", 4242));
  CHECK(::rmdir((d.path + "/c1").c_str()) == 0);  // nothing else was left in it
}
