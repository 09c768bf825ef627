// The idmap probe skipped where statfs answers (issue 14.1): overlayfs and proc are never
// idmapped, so no user namespace is made for an engine's overlay root. The list is checked
// against the running kernel: an idmapped clone of an overlay mount must really be refused.

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "shim/host/real_host.hh"
#include "shim/host/user_namespace.hh"
#include "tests/unit/test_support.hh"

using namespace oci_harden;

TEST_CASE("fs_type_never_idmapped: overlayfs and proc, nothing else", "[idmap-skip]") {
  CHECK(fs_type_never_idmapped(0x794c7630));  // overlayfs
  CHECK(fs_type_never_idmapped(0x9fa0));      // proc
  CHECK_FALSE(fs_type_never_idmapped(0x01021994));  // tmpfs: idmapped from 6.3
  CHECK_FALSE(fs_type_never_idmapped(0xef53));      // ext4
  CHECK_FALSE(fs_type_never_idmapped(0x58465342));  // xfs
  CHECK_FALSE(fs_type_never_idmapped(0x9123683e));  // btrfs
  CHECK_FALSE(fs_type_never_idmapped(0));
}

TEST_CASE("filesystem_never_idmapped: by statfs; an unreadable path is left to the probe", "[idmap-skip]") {
  CHECK(filesystem_never_idmapped("/proc"));
  CHECK_FALSE(filesystem_never_idmapped("/nonexistent/oci-harden/idmap"));
}

TEST_CASE("overlayfs: the kernel refuses an idmapped clone, and the probe says no without trying",
          "[idmap-skip]") {
  if (!test::have_root("overlay mounts need root")) return;
  char tmpl[] = "/tmp/oci-harden-ovl-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string d = tmpl;
  for (const char* sub : {"/l", "/u", "/w", "/m"}) REQUIRE(::mkdir((d + sub).c_str(), 0755) == 0);
  std::string opts = "lowerdir=" + d + "/l,upperdir=" + d + "/u,workdir=" + d + "/w";
  REQUIRE(::mount("overlay", (d + "/m").c_str(), "overlay", 0, opts.c_str()) == 0);
  CHECK(filesystem_never_idmapped(d + "/m"));
  CHECK_FALSE(probe_idmapped_mount(d + "/m", 1000000, 1000000, 65536));
  // What the skip stands for: the kernel's own answer, asked directly.
  auto ns = shared_user_namespace(1000000, 1000000, 65536);
  REQUIRE(ns);
  int tree = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, (d + "/m").c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  REQUIRE(tree >= 0);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(*ns);
  CHECK(::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0);
  ::close(tree);
  ::umount2((d + "/m").c_str(), MNT_DETACH);
  (void)!std::system(("rm -rf '" + d + "'").c_str());
}
