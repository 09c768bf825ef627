// Reading, backing up and replacing an engine's configuration file (see configure.hh).

#include "shim/cli/configure.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <utility>

#include "shim/core/bounded_read.hh"
#include "shim/core/handles.hh"
#include "shim/core/lexical_path.hh"
#include "shim/host/atomic_file.hh"

namespace oci_harden {

namespace {

// An engine configuration file is small; a larger one is not one.
constexpr size_t kMaxEngineConfigBytes = 4 << 20;

Error io_error(const std::string& path, const std::string& what) {
  return make_error(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(errno));
}

Status write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(path, "write");
    off += static_cast<size_t>(n);
  }
  return Ok{};
}

// A new file written whole under a name no one else has (O_EXCL), with this mode and owner.
// *taken says whether the name was already there.
Status write_new_file(const std::string& path, const std::string& data, mode_t mode, uid_t uid, gid_t gid,
                      bool* taken = nullptr) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (taken != nullptr) *taken = !fd.valid() && errno == EEXIST;
  if (!fd.valid()) return io_error(path, "create");
  auto st = write_all(fd.get(), data, path);
  if (st && ::fchown(fd.get(), uid, gid) != 0 && errno != EPERM) st = io_error(path, "chown");
  if (st && ::fchmod(fd.get(), mode) != 0) st = io_error(path, "chmod");
  if (st && ::fsync(fd.get()) != 0) st = io_error(path, "fsync");
  if (!st) ::unlink(path.c_str());
  return st;
}

// `containerd config default`: the configuration a host without a file runs with, written out.
Result<std::string> containerd_default_config() {
  const char* candidates[] = {"/usr/bin/containerd", "/usr/local/bin/containerd", "/usr/sbin/containerd"};
  const char* binary = nullptr;
  for (const char* c : candidates)
    if (::access(c, X_OK) == 0) binary = c;
  if (binary == nullptr)
    return make_error(ErrorCode::kIo, "no containerd binary to write its default configuration; create the file "
                                      "with `containerd config default > FILE` first");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(write_end.get(), STDOUT_FILENO);
    ::execl(binary, binary, "config", "default", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  write_end.reset();
  auto out = read_fd_bounded(read_end.get(), std::string(binary) + " config default", kMaxEngineConfigBytes);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!out) return out.error();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return make_error(ErrorCode::kIo, std::string(binary) + " config default failed");
  return out;
}

std::string backup_suffix() {
  time_t now = ::time(nullptr);
  struct tm tm;
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(".oci-harden.bak-") + buf;
}

}  // namespace

std::string default_runtime_path() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string beside = dir_name(self) + "/oci-harden";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
  return "/usr/local/bin/oci-harden";
}

Result<ConfigureOutcome> configure_engine(const ConfigureOptions& options) {
  ConfigureOutcome out;
  out.path = options.config_path.empty() ? engine_config_path(options.request.engine) : options.config_path;
  std::string dir = dir_name(out.path);
  std::string base = base_name(out.path);
  struct stat st;
  std::string text;
  std::optional<AtomicFile> file;
  if (::lstat(out.path.c_str(), &st) != 0) {
    if (errno != ENOENT) return io_error(out.path, "stat");
    out.existed = false;
    if (options.request.engine == Engine::kContainerd) {
      auto def = containerd_default_config();
      if (!def) return std::move(def).context(out.path + " does not exist").error();
      text = *def;
      out.started_from = "the output of `containerd config default`";
    } else {
      out.started_from = "an empty file";
    }
  } else {
    auto opened = AtomicFile::open(dir, base, kMaxEngineConfigBytes);
    if (!opened) return opened.error();
    text = opened->text();
    file.emplace(std::move(*opened));
  }
  auto edit = edit_engine_config(text, out.path, options.request);
  if (!edit) return edit.error();
  out.changed = edit->changed || !out.existed;
  out.text = edit->text;
  out.done = edit->done;
  out.warnings = edit->warnings;
  if (options.dry_run || !out.changed) return out;
  if (!out.existed) {
    struct stat dst;
    if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode)) return io_error(dir, "not a directory");
    std::string tmp = dir + "/." + base + ".oci-harden.new";
    ::unlink(tmp.c_str());
    auto w = write_new_file(tmp, out.text, 0644, ::geteuid(), ::getegid());
    if (!w) return w.error();
    if (::rename(tmp.c_str(), out.path.c_str()) != 0) {
      Error e = io_error(out.path, "rename");
      ::unlink(tmp.c_str());
      return e;
    }
    return out;
  }
  // Never over an earlier backup: two runs in one second get .1, .2, ...
  Status b = Ok{};
  for (int n = 0; n < 100; ++n) {
    out.backup_path = out.path + backup_suffix() + (n == 0 ? std::string() : "." + std::to_string(n));
    bool taken = false;
    b = write_new_file(out.backup_path, text, st.st_mode & 07777, st.st_uid, st.st_gid, &taken);
    if (b || !taken) break;
  }
  if (!b) return std::move(b).context("backing up " + out.path).error();
  auto p = file->prepare(out.text);
  if (p) p = file->commit();
  if (!p) return p.error();
  return out;
}

}  // namespace oci_harden
