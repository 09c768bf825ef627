// Standard streams a runtime would chown on the host (see stdio_chown.hh).

#include "shim/host/stdio_chown.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "shim/core/lexical_path.hh"

namespace oci_harden {

namespace {

constexpr long kPipefsMagic = 0x50495045;  // linux/magic.h PIPEFS_MAGIC
const char* const kStreamNames[] = {"stdin", "stdout", "stderr"};

std::string fd_path(int fd) {
  char buf[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "(unknown path)";
}

}  // namespace

std::vector<std::string> stdio_files_on_host() {
  std::vector<std::string> out;
  for (int fd = 0; fd <= 2; ++fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0 || st.st_nlink == 0) continue;
    const char* kind = nullptr;
    if (S_ISREG(st.st_mode)) {
      kind = "a regular file";
    } else if (S_ISFIFO(st.st_mode)) {
      struct statfs fs;
      if (::fstatfs(fd, &fs) == 0 && fs.f_type == kPipefsMagic) continue;  // anonymous pipe
      kind = "a named pipe";
    } else {
      continue;
    }
    out.push_back(std::string(kStreamNames[fd]) + " (descriptor " + std::to_string(fd) + ") is " +
                  fd_path(fd) + ", " + kind + " owned by " + std::to_string(st.st_uid) + ":" +
                  std::to_string(st.st_gid));
  }
  return out;
}

bool runtime_is_crun(const std::string& runtime) {
  char real[PATH_MAX];
  if (::realpath(runtime.c_str(), real) == nullptr) return false;  // exec fails too
  std::string name = real;
  name = base_name(name);
  return name == "crun" || name.compare(0, 5, "crun-") == 0;
}

std::vector<std::string> stdio_the_runtime_would_chown(const std::vector<HostAction>& actions,
                                                       const std::string& runtime) {
  bool userns = false;
  for (const HostAction& a : actions) userns = userns || a.kind == HostAction::Kind::kPrivateStdio;
  if (!userns) return {};
  std::vector<std::string> files = stdio_files_on_host();
  if (files.empty() || !runtime_is_crun(runtime)) return {};
  std::vector<std::string> out;
  for (const std::string& f : files) {
    out.push_back(f + ": with the user namespace, " + runtime +
                  " (crun 1.8.1) would chown it to the container's root as host root; redirect "
                  "through a pipe (| cat)");
  }
  return out;
}

}  // namespace oci_harden
