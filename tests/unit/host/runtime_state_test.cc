// The runtime's own state directory, as `oci-harden delete` reads it to hand a delete of a
// container the runtime does not have straight to the runtime (issue 14).

#include "shim/host/runtime_state.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

namespace oci_harden {

namespace {

struct ScratchRoot {
  std::string dir;
  ScratchRoot() {
    char tmpl[] = "/tmp/ocih-rtstate.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~ScratchRoot() {
    for (const char* name : {"/here", "/link", "/file"}) {
      std::string p = dir + name;
      if (::rmdir(p.c_str()) != 0) ::unlink(p.c_str());
    }
    ::rmdir(dir.c_str());
  }
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;
};

}  // namespace

TEST_CASE("runtime state root: --root when given, else the runtime's default as root", "[runtime-state]") {
  CHECK(runtime_state_root("/usr/bin/runc", "/var/run/docker/runtime-runc/moby") ==
        "/var/run/docker/runtime-runc/moby");
  CHECK(runtime_state_root("/usr/local/bin/some-runtime", "/x") == "/x");
  if (::geteuid() == 0) {
    CHECK(runtime_state_root("/usr/bin/runc", "") == "/run/runc");
    CHECK(runtime_state_root("/usr/bin/crun", "") == "/run/crun");
  } else {
    // Rootless runtimes keep their state under $XDG_RUNTIME_DIR: not guessed.
    CHECK(runtime_state_root("/usr/bin/runc", "").empty());
  }
  // Another runtime's default is not known.
  CHECK(runtime_state_root("/usr/local/bin/youki", "").empty());
}

TEST_CASE("runtime lacks container: true only when <root>/<id> is certainly absent", "[runtime-state]") {
  ScratchRoot r;
  CHECK(runtime_lacks_container("/usr/bin/runc", r.dir, "gone"));
  REQUIRE(::mkdir((r.dir + "/here").c_str(), 0700) == 0);
  CHECK_FALSE(runtime_lacks_container("/usr/bin/runc", r.dir, "here"));
  // A dangling symlink is an entry: not absent.
  REQUIRE(::symlink("/nonexistent", (r.dir + "/link").c_str()) == 0);
  CHECK_FALSE(runtime_lacks_container("/usr/bin/runc", r.dir, "link"));
  // An id runc would refuse is never joined to a path.
  CHECK_FALSE(runtime_lacks_container("/usr/bin/runc", r.dir, "../gone"));
  CHECK_FALSE(runtime_lacks_container("/usr/bin/runc", r.dir, ""));
  // A root that is a file: ENOTDIR, not ENOENT, so not certain.
  REQUIRE(::close(::open((r.dir + "/file").c_str(), O_CREAT | O_WRONLY, 0600)) == 0);
  CHECK_FALSE(runtime_lacks_container("/usr/bin/runc", r.dir + "/file", "x"));
  // Unknown root: not certain.
  CHECK_FALSE(runtime_lacks_container("/usr/local/bin/youki", "", "gone"));
}

}  // namespace oci_harden
