// stdio_chown: which standard streams a runtime that chowns them (crun 1.8.1) would change on
// the host, and which runtime is runc. Descriptor 0 is swapped for the test and restored.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "shim/stdio_chown.hh"

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

const std::vector<HostAction> kUserns{HostAction{HostAction::Kind::kPrivateStdio, "", "", 0, 0, 0}};

}  // namespace

TEST_CASE("stdio_chown: a regular file on stdin is listed with its path", "[stdio-chown]") {
  char name[] = "/tmp/oci-harden-stdio-XXXXXX";
  int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  {
    StdinAs in(fd);
    CHECK_THAT(listed_for_stdin(), Contains(std::string("stdin (descriptor 0) is ") + name + ", a regular file"));
    // A runtime that is not runc (here: /bin/true prints nothing) is refused for it.
    auto r = stdio_the_runtime_would_chown(kUserns, "/bin/true");
    REQUIRE(!r.empty());
    CHECK_THAT(r.front(), Contains("redirect through a pipe"));
    // No user namespace (no private-stdio action): nothing is chowned, nothing refused.
    CHECK(stdio_the_runtime_would_chown({}, "/bin/true").empty());
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

TEST_CASE("stdio_chown: runc is told from other runtimes by what it prints", "[stdio-chown]") {
  CHECK_FALSE(runtime_is_runc("/bin/true"));
  CHECK_FALSE(runtime_is_runc("/nonexistent/runc"));
  if (::access("/usr/sbin/runc", X_OK) == 0) CHECK(runtime_is_runc("/usr/sbin/runc"));
  if (::access("/usr/bin/crun", X_OK) == 0) CHECK_FALSE(runtime_is_runc("/usr/bin/crun"));
}

}  // namespace oci_harden
