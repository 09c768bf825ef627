// Remembered seccomp verdicts (see seccomp_verdicts.hh).

#include "shim/host/seccomp_verdicts.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "shim/core/handles.hh"
#include "shim/core/sha256.hh"

namespace oci_harden {

namespace {

// This binary's identity, read once per process: another build, or the same path replaced,
// gives other names.
const std::string& binary_identity() {
  static const std::string id = [] {
    struct stat st = {};
    if (::stat("/proc/self/exe", &st) != 0) return std::string();
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
  }();
  return id;
}

std::string verdict_dir(const std::string& state_dir) { return state_dir + "/seccomp-held"; }

// Owned by the euid, not writable by group or others, of the expected type.
bool trusted(const struct stat& st, mode_t type) {
  return (st.st_mode & S_IFMT) == type && st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

}  // namespace

std::string seccomp_verdict_path(const std::string& state_dir, const std::string& key) {
  if (state_dir.empty() || state_dir[0] != '/' || binary_identity().empty()) return "";
  return verdict_dir(state_dir) + "/" + sha256_hex(binary_identity() + "\n" + key);
}

bool seccomp_verdict_remembered(const std::string& state_dir, const std::string& key) {
  const std::string path = seccomp_verdict_path(state_dir, key);
  if (path.empty()) return false;
  struct stat st = {};
  if (::lstat(verdict_dir(state_dir).c_str(), &st) != 0 || !trusted(st, S_IFDIR)) return false;
  if (::lstat(path.c_str(), &st) != 0 || !trusted(st, S_IFREG)) return false;
  return true;
}

void remember_seccomp_verdict(const std::string& state_dir, const std::string& key) {
  const std::string path = seccomp_verdict_path(state_dir, key);
  if (path.empty()) return;
  (void)::mkdir(state_dir.c_str(), 0711);  // as the idmapped roots' state directory
  const std::string dir = verdict_dir(state_dir);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return;
  struct stat st = {};
  if (::lstat(dir.c_str(), &st) != 0 || !trusted(st, S_IFDIR)) return;
  // A temporary name, then link: a reader never sees a half-made verdict (there is nothing in it
  // to half-write, but its mode is set before it has its name).
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return;
  fd.reset();
  // EEXIST: another process remembered it first; any other failure: not remembered this time.
  if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    (void)::unlink(tmp.c_str());
    return;
  }
  (void)::unlink(tmp.c_str());
}

}  // namespace oci_harden
