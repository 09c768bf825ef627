// oci-harden's own identity and the user's directories, read from the kernel and environment.

#include "shim/host/process_identity.hh"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "shim/core/bounded_read.hh"
#include "shim/host/user_namespace.hh"

namespace oci_harden {

namespace {

ProcessIdentity read_identity() {
  ProcessIdentity who;
  who.euid = static_cast<uint32_t>(::geteuid());
  auto text = read_file_bounded("/proc/self/uid_map", 64 * 1024, ErrorCode::kIo);
  if (text) {
    if (auto map = parse_id_map(*text); map && !map->empty()) who.uid_map = std::move(*map);
  }
  if (auto overflow = read_file_bounded("/proc/sys/fs/overflowuid", 64, ErrorCode::kIo)) {
    char* end = nullptr;
    unsigned long v = std::strtoul(overflow->c_str(), &end, 10);
    if (end != overflow->c_str()) who.overflow_uid = static_cast<uint32_t>(v);
  }
  return who;
}

}  // namespace

const ProcessIdentity& own_identity() {
  static const ProcessIdentity who = read_identity();
  return who;
}

UserDirs own_user_dirs() {
  UserDirs dirs;
  if (const char* s = std::getenv("XDG_STATE_HOME"); s != nullptr) dirs.xdg_state_home = s;
  if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') {
    dirs.home = h;
    return dirs;
  }
  std::optional<uint32_t> uid = host_uid_of(own_identity());
  if (!uid) return dirs;
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(*uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr && found->pw_dir != nullptr) {
    dirs.home = found->pw_dir;
  }
  return dirs;
}

std::string rootless_cgroup_limits_unsettable() {
  if (!is_rootless(own_identity())) return "";
  struct statfs fs;
  if (::statfs("/sys/fs/cgroup", &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
    return "a rootless runtime cannot create cgroups on this cgroup v1 (or hybrid) host";
  }
  auto text = read_file_bounded("/proc/self/cgroup", 64 * 1024, ErrorCode::kIo);
  std::string path;
  if (text) {
    size_t at = text->find("0::");
    if (at == 0 || (at != std::string::npos && (*text)[at - 1] == '\n')) {
      path = text->substr(at + 3, text->find('\n', at) - at - 3);
    }
  }
  std::string dir = "/sys/fs/cgroup" + path;
  if (path.empty() || !writable_here(dir)) {
    return "the cgroup v2 subtree " + dir + " is not delegated to this user (systemd: Delegate=yes)";
  }
  return "";
}

bool writable_here(const std::string& path) { return ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0; }

}  // namespace oci_harden
