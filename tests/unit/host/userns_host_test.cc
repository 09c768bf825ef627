// The host side of issue 18 items 1, 4 and 9, on the real kernel: the facts the idmap decision
// is made from (RealHost::ancestors, mount_at), a joined user namespace's real maps
// (read_user_namespace_map) and the private standard streams (kPrivateStdio). Needs root
// (mounts, setns, mknod): skipped with a warning otherwise, and failed under CI=true.

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstdlib>
#include <string>

#include "shim/host/host_actions.hh"
#include "shim/host/user_namespace.hh"
#include "shim/host/real_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

bool have_root() { return test::have_root("these tests need root (mounts, setns, mknod)"); }

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-userns-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
  }
  ~TempDir() {
    for (int i = 0; i < 8; ++i) {
      (void)!std::system(("grep -q ' " + path + "/' /proc/self/mountinfo && awk '$5 ~ \"^" + path +
                          "/\" {print $5}' /proc/self/mountinfo | sort -r | xargs -r umount -l")
                             .c_str());
    }
    (void)!std::system(("rm -rf '" + path + "'").c_str());
  }
};

bool same_map(const std::vector<IdMapRange>& got, uint32_t c, uint32_t h, uint32_t n) {
  return got.size() == 1 && got[0].container == c && got[0].host == h && got[0].size == n;
}

}  // namespace

TEST_CASE("parse_id_map reads uid_map text", "[userns-host]") {
  auto m = parse_id_map("         0    1000000      65536\n     65536    2000000          1\n");
  REQUIRE(m.has_value());
  REQUIRE(m->size() == 2);
  CHECK((*m)[1].container == 65536);
  CHECK((*m)[1].host == 2000000);
  CHECK((*m)[1].size == 1);
  CHECK(parse_id_map("")->empty());
  CHECK_FALSE(parse_id_map("0 1\n").has_value());
  CHECK_FALSE(parse_id_map("0 1 2 3\n").has_value());
  CHECK_FALSE(parse_id_map("0 -1 2\n").has_value());
  CHECK_FALSE(parse_id_map("0 4294967296 1\n").has_value());
  // Blank lines, tabs, and a last line without its newline, as the kernel's text never has but
  // a hand-written one may.
  auto loose = parse_id_map("\n\t0\t0\t4294967295\n\n  7 8 9");
  REQUIRE(loose.has_value());
  REQUIRE(loose->size() == 2);
  CHECK((*loose)[0].size == 4294967295U);
  CHECK((*loose)[1].container == 7);
  CHECK((*loose)[1].size == 9);
}

TEST_CASE("read_user_namespace_map reads a namespace's real maps, not a spec's", "[userns-host]") {
  if (!have_root()) return;
  SECTION("a namespace of ours, by a /proc/self/fd path") {
    auto ns = make_user_namespace(1234000, 1235000, 4096);
    REQUIRE(ns.ok());
    auto m = read_user_namespace_map("/proc/self/fd/" + std::to_string(ns->get()));
    REQUIRE(m.has_value());
    CHECK(same_map(m->uid, 0, 1234000, 4096));
    CHECK(same_map(m->gid, 0, 1235000, 4096));
  }
  SECTION("one that maps 0 to 0") {
    auto ns = make_user_namespace(0, 0, 65536);
    REQUIRE(ns.ok());
    auto m = read_user_namespace_map("/proc/self/fd/" + std::to_string(ns->get()));
    REQUIRE(m.has_value());
    CHECK(same_map(m->uid, 0, 0, 65536));
  }
  SECTION("our own: every id is itself") {
    auto m = read_user_namespace_map("/proc/self/ns/user");
    REQUIRE(m.has_value());
    CHECK(same_map(m->uid, 0, 0, 4294967295u));
  }
  SECTION("not a user namespace, or nothing at all") {
    CHECK_FALSE(read_user_namespace_map("/proc/self/ns/net").has_value());
    CHECK_FALSE(read_user_namespace_map("/nonexistent/ns").has_value());
    CHECK_FALSE(read_user_namespace_map("/etc/hostname").has_value());
  }
}

TEST_CASE("RealHost: the directories on the way and the mount at a rootfs", "[userns-host]") {
  if (!have_root()) return;
  TempDir t;
  std::string closed = t.path + "/closed";
  std::string rootfs = closed + "/rootfs";
  REQUIRE(::mkdir(closed.c_str(), 0700) == 0);
  REQUIRE(::mkdir(rootfs.c_str(), 0755) == 0);
  const Host& host = real_host();

  std::vector<DirAccess> dirs = host.ancestors(rootfs);
  REQUIRE(dirs.size() >= 3);
  CHECK(dirs.front().path == "/");
  CHECK(dirs.back().path == closed);
  CHECK(dirs.back().mode == 0700);
  CHECK(dirs.back().uid == 0);

  CHECK_FALSE(host.mount_at(rootfs).has_value());  // a plain directory
  REQUIRE(::mount("tmpfs", rootfs.c_str(), "tmpfs", 0, "mode=0755") == 0);
  auto m = host.mount_at(rootfs);
  REQUIRE(m.has_value());
  CHECK(m->fs_root == "/");
  CHECK(m->fstype == "tmpfs");
  CHECK(m->also_at.empty());

  std::string sub = rootfs + "/sub", alias = t.path + "/alias", bound = closed + "/bound";
  REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
  REQUIRE(::mkdir(alias.c_str(), 0755) == 0);
  REQUIRE(::mkdir(bound.c_str(), 0755) == 0);
  REQUIRE(::mount(rootfs.c_str(), alias.c_str(), nullptr, MS_BIND, nullptr) == 0);
  REQUIRE(::mount(sub.c_str(), bound.c_str(), nullptr, MS_BIND, nullptr) == 0);
  m = host.mount_at(rootfs);
  REQUIRE(m.has_value());
  CHECK(std::find(m->also_at.begin(), m->also_at.end(), alias) != m->also_at.end());
  auto b = host.mount_at(bound);
  REQUIRE(b.has_value());
  CHECK(b->fs_root == "/sub");
}

TEST_CASE("kPrivateStdio: a chown of stdin on /dev/null does not reach the host's /dev/null",
          "[userns-host]") {
  if (!have_root()) return;
  struct stat before;
  REQUIRE(::stat("/dev/null", &before) == 0);
  // In a child: the action replaces descriptors 0-2 of the process that runs it.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(null_fd, 2) < 0) ::_exit(10);
    if (!perform_host_actions({HostAction{HostAction::Kind::kPrivateStdio, "", "", 0, 0, 0}}).ok()) ::_exit(11);
    struct stat st0, st2, host;
    if (::fstat(0, &st0) != 0 || ::fstat(2, &st2) != 0) ::_exit(12);
    if (!S_ISCHR(st0.st_mode) || st0.st_rdev != before.st_rdev) ::_exit(13);  // still a /dev/null
    if (st0.st_ino == before.st_ino && st0.st_dev == before.st_dev) ::_exit(14);  // but not the host's
    if ((st0.st_mode & 07777) != (before.st_mode & 07777) || st0.st_uid != before.st_uid) ::_exit(15);
    if ((::fcntl(0, F_GETFD) & FD_CLOEXEC) != 0) ::_exit(16);  // the runtime inherits it
    // A second call (harden-bench, a retried run) leaves the private node alone.
    if (!private_stdio_devices().ok()) ::_exit(20);
    struct stat again;
    if (::fstat(0, &again) != 0 || again.st_ino != st0.st_ino || again.st_dev != st0.st_dev) ::_exit(21);
    char c;
    if (::read(0, &c, 1) != 0 || ::write(2, "x", 1) != 1) ::_exit(17);  // reads EOF, writes vanish
    // What crun 1.8.1 does before it enters the user namespace.
    if (::fchown(0, 1000000, 1000000) != 0 || ::fchown(2, 1000000, 1000000) != 0) ::_exit(18);
    if (::stat("/dev/null", &host) != 0 || host.st_uid != before.st_uid || host.st_gid != before.st_gid) ::_exit(19);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  struct stat after;
  REQUIRE(::stat("/dev/null", &after) == 0);
  CHECK(after.st_uid == before.st_uid);
  CHECK(after.st_gid == before.st_gid);
  CHECK(after.st_mode == before.st_mode);
}

}  // namespace oci_harden
