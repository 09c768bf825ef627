// RealHost on the real machine: path canonicalisation with real symlinks, namespaces from
// /proc, the permission walk, and the idmapped-mount probe.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "shim/host/host_actions.hh"
#include "shim/host/user_namespace.hh"
#include "shim/host/real_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

// A fresh directory, resolved (so /tmp being a link elsewhere cannot confuse the checks), and
// removed with everything in it at the end.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-host-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

TEST_CASE("RealHost reads the machine's sizes", "[host]") {
  const Host& host = real_host();
  CHECK(host.cap_last_cap() == std::stoi(first_line("/proc/sys/kernel/cap_last_cap")));
  CHECK(host.memory_bytes() > (64LL << 20));
  CHECK(host.cpu_count() >= 1);
}

// A directory reached through a link, as /var/run -> /run is on most hosts: built here, so the
// case runs on every machine.
TEST_CASE("RealHost canonical_path resolves a linked directory for missing leaves and odd spellings", "[host]") {
  TempDir t;
  const std::string& d = t.path;
  REQUIRE(::mkdir((d + "/run").c_str(), 0755) == 0);
  REQUIRE(::symlink((d + "/run").c_str(), (d + "/varrun").c_str()) == 0);
  const Host& host = real_host();
  CHECK(host.canonical_path(d + "/varrun/oci-harden-no-such-file") == d + "/run/oci-harden-no-such-file");
  CHECK(host.canonical_path("/" + d + "//varrun/./x/") == d + "/run/x");
  CHECK(host.canonical_path(d + "/varrun") == d + "/run");
}

// The host's own /var/run: resolved where it is a link, kept where it is a directory.
TEST_CASE("RealHost canonical_path of this host's /var/run", "[host]") {
  struct stat st;
  REQUIRE(::lstat("/var/run", &st) == 0);
  const Host& host = real_host();
  if (!S_ISLNK(st.st_mode)) {
    CHECK(host.canonical_path("/var/run/oci-harden-no-such-file") == "/var/run/oci-harden-no-such-file");
    return;
  }
  char resolved[PATH_MAX];
  REQUIRE(::realpath("/var/run", resolved) != nullptr);
  CHECK(host.canonical_path("/var/run/oci-harden-no-such-file") == std::string(resolved) + "/oci-harden-no-such-file");
  CHECK(host.canonical_path("//var//run/./x/") == std::string(resolved) + "/x");
}

TEST_CASE("RealHost canonical_path follows symlink chains and '..' as the kernel would", "[host]") {
  TempDir t;
  const std::string& d = t.path;
  REQUIRE(::mkdir((d + "/a").c_str(), 0755) == 0);
  REQUIRE(::mkdir((d + "/a/b").c_str(), 0755) == 0);
  REQUIRE(::symlink("a/b", (d + "/l1").c_str()) == 0);       // relative
  REQUIRE(::symlink("l1", (d + "/l2").c_str()) == 0);        // chain
  REQUIRE(::symlink((d + "/a").c_str(), (d + "/abs").c_str()) == 0);  // absolute
  REQUIRE(::symlink("/", (d + "/root").c_str()) == 0);
  REQUIRE(::symlink("loop2", (d + "/loop1").c_str()) == 0);
  REQUIRE(::symlink("loop1", (d + "/loop2").c_str()) == 0);
  const Host& host = real_host();

  CHECK(host.canonical_path(d + "/l2") == d + "/a/b");
  // ".." after a link goes to the link target's parent, not the link's.
  CHECK(host.canonical_path(d + "/l2/../x") == d + "/a/x");
  // The missing remainder is kept, with "." and ".." resolved lexically.
  CHECK(host.canonical_path(d + "/abs/new/./deeper/../leaf") == d + "/a/new/leaf");
  // A ".." out of a missing part lands back on real directories, which are resolved again.
  CHECK(host.canonical_path(d + "/missing/../l1") == d + "/a/b");
  CHECK(host.canonical_path(d + "/root/etc") == "/etc");
  CHECK(host.canonical_path(d + "/../../../..") == "/");
  // A loop ends (ELOOP for the kernel); whatever comes back is under d.
  std::string loop = host.canonical_path(d + "/loop1/x");
  CHECK(loop.rfind(d + "/", 0) == 0);
}

TEST_CASE("RealHost canonical_path keeps magic links as the path they name", "[host]") {
  const Host& host = real_host();
  CHECK(host.canonical_path("/proc/self/root/etc") == "/etc");
}

TEST_CASE("RealHost namespaces", "[host]") {
  const Host& host = real_host();
  auto own = host.own_namespace("network");
  auto direct = host.namespace_at("/proc/self/ns/net");
  REQUIRE(own.has_value());
  REQUIRE(direct.has_value());
  CHECK(*own == *direct);
  CHECK(host.own_namespace("mount") == host.namespace_at("/proc/self/ns/mnt"));
  CHECK(host.own_namespace("pid").has_value());
  CHECK_FALSE(host.own_namespace("bogus").has_value());
  CHECK_FALSE(host.namespace_at("/nonexistent/ns/net").has_value());
  // pid 1's may be unreadable (EACCES even for root on non-dumpable inits): either answer is
  // fine, but a readable one must be a real namespace.
  auto init = host.init_namespace("network");
  if (init) CHECK(init->ino != 0);
  CHECK_FALSE(host.init_namespace("bogus").has_value());
}

TEST_CASE("RealHost searchable_by walks the modes from /", "[host]") {
  TempDir t;
  std::string d = t.path + "/rootfs";
  REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  const Host& host = real_host();
  REQUIRE(::chmod(t.path.c_str(), 0711) == 0);
  CHECK(host.searchable_by(d, 1000000, 1000000));
  REQUIRE(::chmod(t.path.c_str(), 0700) == 0);
  CHECK_FALSE(host.searchable_by(d, 1000000, 1000000));
  CHECK_FALSE(host.searchable_by(d + "/missing", 1000000, 1000000));
  if (::geteuid() == 0) {
    // Group bits for the owning group; owner bits for the owner even when "other" would allow.
    REQUIRE(::chown(t.path.c_str(), 0, 1000000) == 0);
    REQUIRE(::chmod(t.path.c_str(), 0710) == 0);
    CHECK(host.searchable_by(d, 1000000, 1000000));
    CHECK_FALSE(host.searchable_by(d, 1000000, 5));
    REQUIRE(::chown(t.path.c_str(), 1000000, 0) == 0);
    REQUIRE(::chmod(t.path.c_str(), 0601) == 0);
    CHECK_FALSE(host.searchable_by(d, 1000000, 1000000));
    CHECK(host.searchable_by(d, 1000001, 1000001));
  }
}

namespace {

// The first mount of an ext4 or xfs filesystem (both take idmapped mounts since Linux 5.12 and
// 5.15), "" when there is none. /tmp when it is one.
std::string idmap_capable_dir(const std::string& tmp) {
  struct statfs fs;
  if (::statfs(tmp.c_str(), &fs) == 0 && (fs.f_type == 0xEF53 || fs.f_type == 0x58465342)) return tmp;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mountpoint, word;
    fields >> id >> parent >> devno >> root >> mountpoint;
    while (fields >> word && word != "-") {
    }
    std::string type;
    fields >> type;
    if (type == "ext4" || type == "xfs") return mountpoint;
  }
  return "";
}

}  // namespace

TEST_CASE("RealHost probes idmapped mount support by trying", "[host]") {
  const Host& host = real_host();
  CHECK_FALSE(host.supports_idmapped_mount("/proc", 1000000, 1000000, 65536));  // procfs never
  CHECK_FALSE(host.supports_idmapped_mount("/nonexistent-oci-harden", 1000000, 1000000, 65536));
  TempDir t;
  if (::geteuid() != 0) {
    CHECK_FALSE(host.supports_idmapped_mount(t.path, 1000000, 1000000, 65536));  // needs CAP_SYS_ADMIN
    return;
  }
  std::string good = idmap_capable_dir(t.path);
  if (good.empty()) {
    test::missing_prerequisite("no ext4 or xfs filesystem mounted here to probe");
    return;
  }
  INFO("probing " << good);
  CHECK(host.supports_idmapped_mount(good, 1000000, 1000000, 65536));
}

TEST_CASE("One user namespace per mapping per process, shared by the probe and the idmapped rootfs", "[host]") {
  if (::geteuid() != 0) {
    test::missing_prerequisite("writing a user namespace's maps to host uid 1000000 needs root");
    return;
  }
  drop_shared_user_namespaces();
  auto a = shared_user_namespace(1000000, 1000000, 65536);
  REQUIRE(a);
  auto again = shared_user_namespace(1000000, 1000000, 65536);
  REQUIRE(again);
  CHECK(*again == *a);
  auto other = shared_user_namespace(2000000, 2000000, 65536);
  REQUIRE(other);
  CHECK(*other != *a);
  char link[64] = {};
  std::string fd_path = "/proc/self/fd/" + std::to_string(*a);
  REQUIRE(::readlink(fd_path.c_str(), link, sizeof link - 1) > 0);
  CHECK(std::string(link).rfind("user:[", 0) == 0);
  CHECK((::fcntl(*a, F_GETFD) & FD_CLOEXEC) != 0);
  drop_shared_user_namespaces();
  CHECK(::fcntl(*a, F_GETFD) == -1);  // closed
}

}  // namespace oci_harden
