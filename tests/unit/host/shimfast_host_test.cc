// Issue 14.1: RealHost remembers which paths lstat found nothing at while it canonicalises, and
// neither lstats their children nor statx()es them for path_identity. What it answers must not
// change: a missing path has no identity, an existing one (a directory, a file, the target of a
// symlink) still has its own, and a dangling symlink is still no file.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstdlib>
#include <string>

#include "shim/host/real_host.hh"

namespace oci_harden {
namespace {

struct ShimfastDir {
  std::string path;
  ShimfastDir() {
    char tmpl[] = "/tmp/oci-harden-shimfast-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
  }
  ~ShimfastDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

}  // namespace

TEST_CASE("RealHost: a path under a missing directory is missing, an existing one keeps its identity",
          "[shimfast]") {
  ShimfastDir d;
  REQUIRE(::mkdir((d.path + "/dir").c_str(), 0755) == 0);
  int fd = ::open((d.path + "/dir/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  ::close(fd);
  REQUIRE(::symlink((d.path + "/dir").c_str(), (d.path + "/link").c_str()) == 0);
  REQUIRE(::symlink((d.path + "/nowhere").c_str(), (d.path + "/dangling").c_str()) == 0);
  const Host& host = real_host();

  // Canonicalised first, as the sensitive-mounts rule does with the policy's paths.
  const std::string missing = host.canonical_path(d.path + "/gone/deeper/still");
  CHECK(missing == d.path + "/gone/deeper/still");
  CHECK_FALSE(host.path_identity(missing));
  CHECK_FALSE(host.path_identity(d.path + "/gone"));
  CHECK_FALSE(host.path_identity(d.path + "/gone/deeper"));
  // Under a regular file (ENOTDIR): nothing either.
  const std::string under_file = host.canonical_path(d.path + "/dir/file/x");
  CHECK_FALSE(host.path_identity(under_file));

  // Existing paths, canonicalised in the same process, keep their identity.
  const std::string file = host.canonical_path(d.path + "/link/file");
  CHECK(file == d.path + "/dir/file");
  auto id = host.path_identity(file);
  REQUIRE(id);
  struct stat st;
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK(id->ino == st.st_ino);
  CHECK(id->type == S_IFREG);
  auto dir = host.path_identity(host.canonical_path(d.path + "/dir"));
  REQUIRE(dir);
  CHECK(dir->type == S_IFDIR);

  // A dangling symlink resolves to its missing target, which has no identity.
  const std::string dangling = host.canonical_path(d.path + "/dangling");
  CHECK(dangling == d.path + "/nowhere");
  CHECK_FALSE(host.path_identity(dangling));
}

TEST_CASE("RealHost: a path never canonicalised is still identified by statx", "[shimfast]") {
  ShimfastDir d;
  REQUIRE(::mkdir((d.path + "/fresh").c_str(), 0755) == 0);
  auto id = real_host().path_identity(d.path + "/fresh");
  REQUIRE(id);
  CHECK(id->type == S_IFDIR);
}

}  // namespace oci_harden
