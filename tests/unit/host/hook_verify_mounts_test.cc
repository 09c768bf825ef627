// oci-harden-hook's mount checks read with oci-harden's own mountinfo parser (issue 14: no
// libmount, so the hook is a static PIE): the root mount read-only, no shared propagation.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "shim/host/process_verify.hh"
#include "shim/core/json.hh"

using namespace oci_harden;

namespace {

struct MountinfoFile {
  std::string path;
  explicit MountinfoFile(const std::string& text) {
    char tmpl[] = "/tmp/oci-harden-mountinfo-XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~MountinfoFile() { ::unlink(path.c_str()); }
};

const Check* find_check(const std::vector<Check>& checks, const std::string& name) {
  for (const Check& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<Check> checks_for(const std::string& mountinfo, bool readonly_root) {
  MountinfoFile f(mountinfo);
  ProcessView view;
  view.readable = true;
  view.status = "NoNewPrivs:\t1\n";
  view.mountinfo = f.path;
  view.mountinfo_text = mountinfo;
  auto spec = parse_json(readonly_root ? R"({"root": {"path": "r", "readonly": true}})" : R"({"root": {"path": "r"}})");
  REQUIRE(spec);
  return verify_process(*spec, view);
}

const char* kPrivateRo =
    "20 1 8:1 / / ro,relatime - ext4 /dev/vda rw\n"
    "21 20 0:5 / /proc rw,nosuid - proc proc rw\n"
    "22 20 0:6 / /tmp\\040dir rw - tmpfs tmpfs rw\n";

}  // namespace

TEST_CASE("hook mounts: a read-only private root passes both checks", "[hook-verify-mounts]") {
  auto checks = checks_for(kPrivateRo, true);
  const Check* ro = find_check(checks, "rootfs_readonly");
  const Check* shared = find_check(checks, "no_shared_mounts");
  REQUIRE(ro != nullptr);
  REQUIRE(shared != nullptr);
  CHECK(ro->ok);
  CHECK(ro->actual == "ro");
  CHECK(shared->ok);
  CHECK(shared->actual == "none");
}

TEST_CASE("hook mounts: the last mount on / is the root; 'ro' is a whole option", "[hook-verify-mounts]") {
  // An earlier read-only "/" stacked under a read-write one: the process sees the last.
  auto checks = checks_for("20 1 8:1 / / ro - ext4 /dev/vda rw\n30 20 8:2 / / rw,errors=ro - ext4 /dev/vdb rw\n", true);
  const Check* ro = find_check(checks, "rootfs_readonly");
  REQUIRE(ro != nullptr);
  CHECK_FALSE(ro->ok);
  CHECK(ro->actual == "rw");
}

TEST_CASE("hook mounts: a shared mount is named, by its unescaped mount point", "[hook-verify-mounts]") {
  auto checks = checks_for("20 1 8:1 / / ro - ext4 /dev/vda rw\n"
                           "23 20 0:7 / /data\\040x rw master:3 shared:12 - tmpfs tmpfs rw\n",
                           false);
  const Check* shared = find_check(checks, "no_shared_mounts");
  REQUIRE(shared != nullptr);
  CHECK_FALSE(shared->ok);
  CHECK(shared->actual == "/data x");
  CHECK(find_check(checks, "rootfs_readonly") == nullptr);  // not asked for
}

TEST_CASE("hook mounts: an unreadable or empty table is a failed check", "[hook-verify-mounts]") {
  auto checks = checks_for("", true);
  const Check* m = find_check(checks, "mountinfo");
  REQUIRE(m != nullptr);
  CHECK_FALSE(m->ok);
}
