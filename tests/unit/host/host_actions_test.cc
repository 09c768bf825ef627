// Host actions on the real kernel: an idmapped rootfs mounted, seen with the mapped owners,
// mounted again idempotently and cleaned up; mountpoints created inside a rootfs without ever
// following its symlinks out. Needs root (mounts, chown): skipped with a warning otherwise,
// and failed under CI=true.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "shim/host/host_actions.hh"
#include "tests/unit/test_support.hh"
#include "shim/host/mount_root.hh"
#include "shim/host/user_namespace.hh"

namespace oci_harden {
namespace {

bool have_root() { return test::have_root("host actions tests need root (mounts, chown)"); }

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-actions-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    REQUIRE(::chmod(tmpl, 0711) == 0);  // the mapped root walks through it to the rootfs
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
  }
  ~TempDir() {
    (void)cleanup_container_state(path + "/state", "c1");
    (void)!std::system(("rm -rf '" + path + "'").c_str());
  }
};

void touch(const std::string& path, uid_t uid, gid_t gid) {
  std::ofstream(path) << "x";
  REQUIRE(::chown(path.c_str(), uid, gid) == 0);
}

struct stat lstat_or_fail(const std::string& path) {
  struct stat st {};
  INFO(path);
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

int mounts_at(const std::string& target) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.find(" " + target + " ") != std::string::npos) ++n;
  }
  return n;
}

uid_t overflow_uid() {
  std::ifstream in("/proc/sys/kernel/overflowuid");
  uid_t v = 65534;
  in >> v;
  return v;
}

HostAction idmap(const std::string& source, const std::string& target) {
  return HostAction{HostAction::Kind::kIdmapRootfs, source, target, 1000000, 1000000, 65536};
}

HostAction mkdir_in(const std::string& rootfs, const std::string& dest) {
  return HostAction{HostAction::Kind::kMkdirInRootfs, rootfs, dest, 0, 0, 0};
}

}  // namespace

TEST_CASE("make_user_namespace gives a user namespace other than ours", "[host-actions]") {
  if (!have_root()) return;
  auto ns = make_user_namespace(1000000, 1000000, 65536);
  REQUIRE(ns.ok());
  struct stat theirs, mine;
  REQUIRE(::fstat(ns->get(), &theirs) == 0);
  REQUIRE(::stat("/proc/self/ns/user", &mine) == 0);
  CHECK(theirs.st_ino != mine.st_ino);
  CHECK((::fcntl(ns->get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK_FALSE(make_user_namespace(1, 1, 0).ok());
}

TEST_CASE("kIdmapRootfs mounts an idmapped bind, idempotently; cleanup removes it", "[host-actions]") {
  if (!have_root()) return;
  TempDir t;
  std::string src = t.path + "/rootfs";
  std::string state = t.path + "/state";
  std::string target = state + "/c1/rootfs";
  REQUIRE(::mkdir(src.c_str(), 0755) == 0);
  touch(src + "/owned-by-0", 0, 0);
  touch(src + "/owned-by-1000000", 1000000, 1000000);

  Status st = perform_host_actions({idmap(src, target)});
  INFO((st.ok() ? std::string() : st.error().message));
  REQUIRE(st.ok());
  CHECK(is_mount_root(target));
  CHECK(mounts_at(target) == 1);
  // The directories oci-harden made: root's, searchable but not listable by others.
  CHECK((lstat_or_fail(state + "/c1").st_mode & 07777) == 0711);
  CHECK(lstat_or_fail(state + "/c1").st_uid == 0);

  // Direction: the mount shows an on-disk id k as the host id that the namespace maps k to.
  // On-disk 0 is container root, host 1000000; on-disk 1000000 is outside the 0..65535 range
  // of the namespace, so it has no id there and reads as the overflow uid.
  CHECK(lstat_or_fail(target + "/owned-by-0").st_uid == 1000000);
  CHECK(lstat_or_fail(target + "/owned-by-0").st_gid == 1000000);
  CHECK(lstat_or_fail(target + "/owned-by-1000000").st_uid == overflow_uid());
  CHECK(lstat_or_fail(src + "/owned-by-0").st_uid == 0);  // the original is untouched
  // Host root (uid 0) has no id in the mount's namespace: it cannot create files through it.
  int fd = ::open((target + "/by-host-root").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  CHECK(fd < 0);
  CHECK(errno == EOVERFLOW);
  if (fd >= 0) ::close(fd);

  // A retried run: already there, not stacked.
  REQUIRE(perform_host_actions({idmap(src, target)}).ok());
  CHECK(mounts_at(target) == 1);

  // A stale mount of another tree under the same id is replaced.
  std::string other = t.path + "/other";
  REQUIRE(::mkdir(other.c_str(), 0755) == 0);
  touch(other + "/marker", 0, 0);
  REQUIRE(perform_host_actions({idmap(other, target)}).ok());
  CHECK(exists(target + "/marker"));
  CHECK_FALSE(exists(target + "/owned-by-0"));

  REQUIRE(cleanup_container_state(state, "c1").ok());
  CHECK(mounts_at(target) == 0);
  CHECK_FALSE(exists(target));
  CHECK_FALSE(exists(state + "/c1"));
  CHECK(exists(state));
  CHECK(cleanup_container_state(state, "c1").ok());  // missing is fine
}

TEST_CASE("kIdmapRootfs refuses a state directory others could write", "[host-actions]") {
  if (!have_root()) return;
  TempDir t;
  std::string src = t.path + "/rootfs";
  REQUIRE(::mkdir(src.c_str(), 0755) == 0);
  REQUIRE(::mkdir((t.path + "/state").c_str(), 0777) == 0);
  REQUIRE(::chmod((t.path + "/state").c_str(), 0777) == 0);
  Status st = perform_host_actions({idmap(src, t.path + "/state/c1/rootfs")});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find(t.path + "/state") != std::string::npos);
  CHECK(mounts_at(t.path + "/state/c1/rootfs") == 0);
}

TEST_CASE("kIdmapRootfs refuses a state dir below a directory others cannot search", "[host-actions]") {
  if (!have_root()) return;
  TempDir t;
  std::string src = t.path + "/rootfs";
  REQUIRE(::mkdir(src.c_str(), 0755) == 0);
  REQUIRE(::mkdir((t.path + "/private").c_str(), 0700) == 0);
  Status st = perform_host_actions({idmap(src, t.path + "/private/state/c1/rootfs")});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find(t.path + "/private (mode 0700) is not searchable by others") != std::string::npos);
  CHECK(mounts_at(t.path + "/private/state/c1/rootfs") == 0);
  (void)cleanup_container_state(t.path + "/private/state", "c1");
}

TEST_CASE("kIdmapRootfs names the path when the filesystem cannot be idmapped", "[host-actions]") {
  if (!have_root()) return;
  TempDir t;
  Status st = perform_host_actions({idmap("/proc", t.path + "/state/c1/rootfs")});
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("/proc") != std::string::npos);
  CHECK(mounts_at(t.path + "/state/c1/rootfs") == 0);
}

TEST_CASE("cleanup_container_state refuses ids that could leave the state directory", "[host-actions]") {
  for (const char* id : {"", ".", "..", "a/b", "../etc"}) {
    INFO(id);
    CHECK_FALSE(cleanup_container_state("/run/oci-harden", id).ok());
  }
  CHECK_FALSE(cleanup_container_state("relative", "c1").ok());
  CHECK(cleanup_container_state("/nonexistent-oci-harden-state", "c1").ok());
}

TEST_CASE("kMkdirInRootfs creates mountpoints inside the rootfs", "[host-actions]") {
  if (!have_root()) return;
  TempDir t;
  std::string rootfs = t.path + "/rootfs";
  REQUIRE(::mkdir(rootfs.c_str(), 0755) == 0);
  REQUIRE(perform_host_actions({mkdir_in(rootfs, "/var/tmp"), mkdir_in(rootfs, "/proc"),
                                mkdir_in(rootfs, "/var/tmp")})
              .ok());
  CHECK(S_ISDIR(lstat_or_fail(rootfs + "/var/tmp").st_mode));
  CHECK((lstat_or_fail(rootfs + "/var").st_mode & 07777) == 0755);
  CHECK(lstat_or_fail(rootfs + "/proc").st_uid == 0);
}

TEST_CASE("kMkdirInRootfs makes a file mountpoint for a bind of a file, never through a link",
          "[host-actions]") {
  if (!have_root()) return;
  TempDir t;
  std::string rootfs = t.path + "/rootfs";
  std::string outside = t.path + "/outside";
  REQUIRE(::mkdir(rootfs.c_str(), 0755) == 0);
  HostAction file = mkdir_in(rootfs, "/run/app.sock");
  file.file = true;
  REQUIRE(perform_host_actions({file, file}).ok());
  CHECK(S_ISREG(lstat_or_fail(rootfs + "/run/app.sock").st_mode));
  CHECK(S_ISDIR(lstat_or_fail(rootfs + "/run").st_mode));
  // A link in the last component is not followed: the file is not made outside.
  REQUIRE(::symlink(outside.c_str(), (rootfs + "/link").c_str()) == 0);
  HostAction through = mkdir_in(rootfs, "/link");
  through.file = true;
  (void)perform_host_actions({through});
  struct stat st;
  CHECK(::lstat(outside.c_str(), &st) != 0);
}

TEST_CASE("kMkdirInRootfs never follows a symlink out of the rootfs", "[host-actions]") {
  if (!have_root()) return;
  TempDir t;
  std::string rootfs = t.path + "/rootfs";
  std::string name = "oci-harden-escape-" + std::to_string(::getpid());
  REQUIRE(::mkdir(rootfs.c_str(), 0755) == 0);
  REQUIRE(::symlink("/etc", (rootfs + "/tmp").c_str()) == 0);
  REQUIRE(::symlink("../../../../../../../etc", (rootfs + "/up").c_str()) == 0);
  REQUIRE(::symlink("/proc/self/root/etc", (rootfs + "/magic").c_str()) == 0);

  SECTION("an absolute link resolves inside the rootfs (rootfs/etc missing: fails)") {
    Status st = perform_host_actions({mkdir_in(rootfs, "/tmp/" + name)});
    CHECK_FALSE(st.ok());
    if (!st.ok()) CHECK(st.error().message.find(rootfs) != std::string::npos);
  }
  SECTION("an absolute link resolves inside the rootfs (rootfs/etc exists: created there)") {
    REQUIRE(::mkdir((rootfs + "/etc").c_str(), 0755) == 0);
    REQUIRE(perform_host_actions({mkdir_in(rootfs, "/tmp/" + name)}).ok());
    CHECK(exists(rootfs + "/etc/" + name));
  }
  SECTION("'..' links stop at the rootfs") {
    REQUIRE(::mkdir((rootfs + "/etc").c_str(), 0755) == 0);
    REQUIRE(perform_host_actions({mkdir_in(rootfs, "/up/" + name)}).ok());
    CHECK(exists(rootfs + "/etc/" + name));
  }
  SECTION("a /proc/self/root link resolves inside the rootfs too") {
    CHECK_FALSE(perform_host_actions({mkdir_in(rootfs, "/magic/" + name)}).ok());
  }
  SECTION("the link itself is left alone") {
    REQUIRE(perform_host_actions({mkdir_in(rootfs, "/tmp")}).ok());
    CHECK(S_ISLNK(lstat_or_fail(rootfs + "/tmp").st_mode));
  }
  CHECK_FALSE(exists("/etc/" + name));
  ::rmdir(("/etc/" + name).c_str());
}

}  // namespace oci_harden
