// The mountinfo parser (octal escapes, optional fields, malformed lines) and the true-path
// arithmetic of path_identity.cc on mount tables written as the kernel writes them.

#include <catch2/catch.hpp>

#include "shim/core/mountinfo.hh"
#include "shim/core/path_identity.hh"
#include "shim/host/real_host.hh"

namespace oci_harden {
namespace {

const char* const kTable =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"
    "30 27 0:30 / /run rw,nosuid shared:5 master:2 - tmpfs tmpfs rw,mode=755\n"
    "40 27 254:0 / /var/lib/docker/volumes/hostroot/_data rw,relatime - ext4 /dev/vda rw\n"
    "41 27 254:0 /etc /var/lib/docker/volumes/hostetc/_data rw - ext4 /dev/vda rw\n"
    "42 27 0:30 / /var/lib/docker/volumes/hostrun/_data rw - tmpfs tmpfs rw\n"
    "43 27 0:44 / /var/lib/docker/volumes/hostproc/_data rw - proc proc rw\n"
    "44 27 0:45 / /var/lib/docker/containers/abc/mounts/shm rw - tmpfs shm rw,size=65536k\n"
    "45 27 254:0 /srv/with\\040space /mnt/a\\134b rw - ext4 /dev/vda rw\n"
    "this line is not a mount\n"
    "46 27 1:2 relative /x rw - ext4 /dev/x rw\n";

PathIdentity locate(const std::vector<MountEntry>& t, const std::string& canon) {
  const MountEntry* holder = mount_holding(t, canon);
  REQUIRE(holder != nullptr);
  PathIdentity id;
  locate_in_mounts(t, *holder, canon, &id);
  return id;
}

TEST_CASE("mountinfo: fields, optional fields and escapes", "[mount-identity]") {
  std::vector<MountEntry> t = parse_mountinfo(kTable);
  REQUIRE(t.size() == 9);  // the two malformed lines are skipped
  CHECK(t[1].id == 27);
  CHECK(t[1].parent == 1);
  CHECK(t[1].major == 254);
  CHECK(t[1].minor == 0);
  CHECK(t[1].fstype == "ext4");
  CHECK(t[1].source == "/dev/vda");
  CHECK(t[2].fstype == "tmpfs");  // after two optional fields
  CHECK(t[4].root == "/etc");
  CHECK(t[8].root == "/srv/with space");
  CHECK(t[8].mount_point == "/mnt/a\\b");
  CHECK(unescape_mountinfo("a\\011b\\012c") == "a\tb\nc");
  CHECK(unescape_mountinfo("trailing\\04") == "trailing\\04");  // incomplete: kept
}

TEST_CASE("path identity: the true path of binds and aliases", "[mount-identity]") {
  std::vector<MountEntry> t = parse_mountinfo(kTable);
  SECTION("an ordinary directory is its own true path") {
    PathIdentity id = locate(t, "/srv/www");
    CHECK(id.true_path == "/srv/www");
    CHECK(id.fstype == "ext4");
  }
  SECTION("a volume that is a bind of / shows /") {
    CHECK(locate(t, "/var/lib/docker/volumes/hostroot/_data").true_path == "/");
    CHECK(locate(t, "/var/lib/docker/volumes/hostroot/_data/etc/shadow").true_path == "/etc/shadow");
  }
  SECTION("a volume that is a bind of /etc shows /etc") {
    PathIdentity id = locate(t, "/var/lib/docker/volumes/hostetc/_data");
    CHECK(id.true_path == "/etc");
    CHECK(id.mount_root == "/etc");
    CHECK(id.inside == "/etc");
  }
  SECTION("a second view of the /run tmpfs shows /run") {
    CHECK(locate(t, "/var/lib/docker/volumes/hostrun/_data/docker.sock").true_path == "/run/docker.sock");
  }
  SECTION("a procfs of its own is itself, of type proc") {
    PathIdentity id = locate(t, "/var/lib/docker/volumes/hostproc/_data/sys");
    CHECK(id.fstype == "proc");
    CHECK(id.true_path == "/var/lib/docker/volumes/hostproc/_data/sys");
  }
  SECTION("Docker's shm tmpfs is its own filesystem") {
    CHECK(locate(t, "/var/lib/docker/containers/abc/mounts/shm").true_path ==
          "/var/lib/docker/containers/abc/mounts/shm");
  }
  SECTION("mounts below a path") {
    auto below = mounts_below(t, "/var/lib/docker/volumes");
    CHECK(below.size() == 4);
    CHECK(mounts_below(t, "/var/lib/docker/volumes/hostroot/_data").empty());
  }
}

}  // namespace
}  // namespace oci_harden

namespace oci_harden {
namespace {

TEST_CASE("path identity: the real host answers from its own mount table", "[mount-identity]") {
  const Host& host = real_host();
  auto root = host.path_identity("/");
  REQUIRE(root.has_value());
  CHECK(root->true_path == "/");
  CHECK_FALSE(root->fstype.empty());
  auto proc = host.path_identity("/proc/self");
  REQUIRE(proc.has_value());
  CHECK(proc->fstype == "proc");
  CHECK_FALSE(host.path_identity("/nonexistent/ocih").has_value());
}

}  // namespace
}  // namespace oci_harden
