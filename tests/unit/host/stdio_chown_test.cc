// stdio_chown: which standard streams a runtime that chowns them (crun 1.8.1) would change on
// the host, and which runtime is runc. Descriptor 0 is swapped for the test and restored.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "shim/host/stdio_chown.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

// Puts `fd` on descriptor 0 for the scope; the original stdin comes back after.
class StdinAs {
 public:
  explicit StdinAs(int fd) : saved_(::dup(0)) {
    REQUIRE(saved_ >= 0);
    REQUIRE(::dup2(fd, 0) == 0);
  }
  ~StdinAs() {
    ::dup2(saved_, 0);
    ::close(saved_);
  }

 private:
  int saved_;
};

std::string listed_for_stdin() {
  std::string s;
  for (const std::string& f : stdio_files_on_host()) {
    if (f.rfind("stdin", 0) == 0) s += f;
  }
  return s;
}

// A link named "runtime" to a file named "crun" (an empty stand-in: never executed).
std::string crun_link() {
  static const std::string link = [] {
    char dir[] = "/tmp/oci-harden-crun-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    std::string file = std::string(dir) + "/crun", l = std::string(dir) + "/runtime";
    int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
    REQUIRE(fd >= 0);
    ::close(fd);
    REQUIRE(::symlink(file.c_str(), l.c_str()) == 0);
    return l;
  }();
  return link;
}

const std::vector<HostAction> kUserns{HostAction{HostAction::Kind::kPrivateStdio, "", "", 0, 0, 0}};

}  // namespace

TEST_CASE("stdio_chown: a regular file on stdin is listed with its path", "[stdio-chown]") {
  char name[] = "/tmp/oci-harden-stdio-XXXXXX";
  int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  {
    StdinAs in(fd);
    CHECK_THAT(listed_for_stdin(), Contains(std::string("stdin (descriptor 0) is ") + name + ", a regular file"));
    // Under crun it is refused; under another runtime (runc, /bin/true) it is not.
    auto r = stdio_the_runtime_would_chown(kUserns, crun_link());
    REQUIRE(!r.empty());
    CHECK_THAT(r.front(), Contains("redirect through a pipe"));
    // No user namespace (no private-stdio action): nothing is chowned, nothing refused.
    CHECK(stdio_the_runtime_would_chown({}, crun_link()).empty());
    CHECK(stdio_the_runtime_would_chown(kUserns, "/bin/true").empty());
  }
  ::close(fd);
  ::unlink(name);
}

TEST_CASE("stdio_chown: a named pipe is listed, an anonymous pipe and /dev/null are not", "[stdio-chown]") {
  char dir[] = "/tmp/oci-harden-fifo-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  std::string fifo = std::string(dir) + "/f";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int fd = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // O_RDWR: does not block on a FIFO
  REQUIRE(fd >= 0);
  {
    StdinAs in(fd);
    CHECK_THAT(listed_for_stdin(), Contains("a named pipe"));
  }
  ::close(fd);
  ::unlink(fifo.c_str());
  ::rmdir(dir);
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  {
    StdinAs in(p[0]);
    CHECK(listed_for_stdin().empty());
  }
  ::close(p[0]);
  ::close(p[1]);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(null >= 0);
  {
    StdinAs in(null);
    CHECK(listed_for_stdin().empty());
  }
  ::close(null);
}

TEST_CASE("stdio_chown: crun is told by the file the runtime path leads to", "[stdio-chown]") {
  CHECK(runtime_is_crun(crun_link()));  // a link named otherwise, to a file named crun
  CHECK_FALSE(runtime_is_crun("/bin/true"));
  CHECK_FALSE(runtime_is_crun("/nonexistent/crun"));
  if (::access("/usr/sbin/runc", X_OK) == 0) CHECK_FALSE(runtime_is_crun("/usr/sbin/runc"));
}

}  // namespace oci_harden
