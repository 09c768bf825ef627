// One home each (issue 16.4): path components and names as written, container ids by runc's
// grammar, and oci-harden's state directory layout, built and parsed back in one place.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "shim/core/container_id.hh"
#include "shim/core/handles.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/split.hh"
#include "shim/core/state_dir.hh"

namespace oci_harden {

using Parts = std::vector<std::string>;

TEST_CASE("split_at keeps every piece, empty ones too", "[homes]") {
  CHECK(split_at("a,,b", ',') == Parts{"a", "", "b"});
  CHECK(split_at("", ',') == Parts{""});
  CHECK(split_at(",", ',') == Parts{"", ""});
  CHECK(split_at("one", ' ') == Parts{"one"});
}

TEST_CASE("written_parts keeps .. where lexical_parts applies it", "[homes]") {
  CHECK(written_parts("/a//./b/..") == Parts{"a", "b", ".."});
  CHECK(lexical_parts("/a//./b/..") == Parts{"a"});
  CHECK(written_parts("/proc/self/cwd/../../etc") == Parts{"proc", "self", "cwd", "..", "..", "etc"});
  CHECK(lexical_parts("/../..") == Parts{});
  CHECK(written_parts("").empty());
  CHECK(written_parts("relative/x") == Parts{"relative", "x"});
}

TEST_CASE("base_name and dir_name split at the last slash, as written", "[homes]") {
  CHECK(base_name("/usr/bin/crun") == "crun");
  CHECK(base_name("crun") == "crun");
  CHECK(base_name("/a/b/") == "");
  CHECK(dir_name("/a/b") == "/a");
  CHECK(dir_name("/a") == "/");
  CHECK(dir_name("a") == ".");
  CHECK(dir_name("a/b") == "a");
}

TEST_CASE("valid_container_id is runc's grammar", "[homes]") {
  for (const char* ok : {"c1", "a.b", "A_b+c-d", "abc123", "..a", "a.."}) {
    CHECK(valid_container_id(ok));
  }
  for (const char* bad : {"", ".", "..", "a/b", "/", "a b", "a,b", "a:b", "é", "a\nb"}) {
    CHECK_FALSE(valid_container_id(bad));
  }
  CHECK(valid_container_id(std::string(1024, 'x')));
  CHECK_FALSE(valid_container_id(std::string(1025, 'x')));
}

TEST_CASE("the state directory layout parses back what it builds", "[homes]") {
  CHECK(container_state_dir("/run/oci-harden", "c1") == "/run/oci-harden/c1");
  std::string rootfs = idmapped_rootfs_path("/run/oci-harden", "c1");
  CHECK(rootfs == "/run/oci-harden/c1/rootfs");
  auto dirs = idmapped_rootfs_dirs(rootfs);
  REQUIRE(dirs);
  CHECK(dirs->state_dir == "/run/oci-harden");
  CHECK(dirs->container_dir == "/run/oci-harden/c1");
  auto top = idmapped_rootfs_dirs("/s/rootfs");
  REQUIRE(top);
  CHECK(top->state_dir == "/");
  CHECK_FALSE(idmapped_rootfs_dirs("/run/oci-harden/c1/other"));
  CHECK_FALSE(idmapped_rootfs_dirs("relative/c1/rootfs"));
  CHECK_FALSE(idmapped_rootfs_dirs("/rootfs"));
}

TEST_CASE("make_pipe owns both ends, close-on-exec", "[homes]") {
  std::optional<Pipe> p = make_pipe();
  REQUIRE(p);
  CHECK((::fcntl(p->read_end.get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK((::fcntl(p->write_end.get(), F_GETFD) & FD_CLOEXEC) != 0);
  REQUIRE(::write(p->write_end.get(), "x", 1) == 1);
  p->write_end.reset();
  char c[2] = {};
  CHECK(::read(p->read_end.get(), c, 2) == 1);
  CHECK(c[0] == 'x');
  int fd = p->read_end.get();
  p.reset();
  CHECK(::fcntl(fd, F_GETFD) == -1);  // closed with its owner
}

}  // namespace oci_harden
