// Read, then replace by rename: config.json is never edited in place.

#include "shim/host/atomic_file.hh"

#include <utility>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace oci_harden {

namespace {

Error io_error(const std::string& path, const std::string& what, int err) {
  return make_error(ErrorCode::kIo, path + ": " + what + (what.empty() ? "" : ": ") + std::strerror(err));
}

Status write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path, "write", errno);
    }
    off += static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace

Result<AtomicFile> AtomicFile::open(const std::string& dir, const std::string& name, size_t max_bytes) {
  AtomicFile f;
  f.name_ = name;
  f.path_ = dir + "/" + name;
  f.dir_fd_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!f.dir_fd_.valid()) return io_error(dir, "", errno);
  UniqueFd fd(::openat(f.dir_fd_.get(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ELOOP) {
      return make_error(ErrorCode::kSpec, f.path_ + ": is a symbolic link; refusing to follow it");
    }
    return make_error(ErrorCode::kSpec, f.path_ + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return io_error(f.path_, "stat", errno);
  if (!S_ISREG(st.st_mode)) return make_error(ErrorCode::kSpec, f.path_ + ": not a regular file");
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return make_error(ErrorCode::kSpec, f.path_ + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  f.mode_ = st.st_mode & 07777;
  f.uid_ = st.st_uid;
  f.gid_ = st.st_gid;
  f.text_.resize(static_cast<size_t>(st.st_size));
  size_t off = 0;
  for (;;) {
    if (off == f.text_.size()) f.text_.resize(off + 4096);  // grew since fstat
    ssize_t n = ::read(fd.get(), &f.text_[off], f.text_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(f.path_, "read", errno);
    }
    if (n == 0) break;
    off += static_cast<size_t>(n);
    if (off > max_bytes) {
      return make_error(ErrorCode::kSpec, f.path_ + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  f.text_.resize(off);
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept { *this = std::move(other); }

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this == &other) return *this;
  discard();
  dir_fd_ = std::move(other.dir_fd_);
  name_ = std::move(other.name_);
  path_ = std::move(other.path_);
  text_ = std::move(other.text_);
  tmp_name_ = std::exchange(other.tmp_name_, std::string());
  mode_ = other.mode_;
  uid_ = other.uid_;
  gid_ = other.gid_;
  return *this;
}

AtomicFile::~AtomicFile() { discard(); }

namespace {

// The temporary name's random part, from getrandom(2): std::random_device probes the CPU
// (cpuid) on construction, a trap to the hypervisor on a virtual machine that cost ~30 µs of a
// create (issue 14.1). O_EXCL makes a collision a retry, never a shared file, so the pid and a
// counter do when getrandom cannot answer.
unsigned temp_suffix() {
  unsigned v = 0;
  if (::getrandom(&v, sizeof v, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof v)) return v;
  static unsigned counter = 0;
  return static_cast<unsigned>(::getpid()) * 2654435761U + ++counter;
}

}  // namespace

void AtomicFile::discard() {
  if (!tmp_name_.empty() && dir_fd_.valid()) ::unlinkat(dir_fd_.get(), tmp_name_.c_str(), 0);
  tmp_name_.clear();
}

Status AtomicFile::prepare(const std::string& contents) {
  discard();
  for (int attempt = 0; attempt < 16; ++attempt) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".oci-harden.%08x", temp_suffix());
    std::string tmp = "." + name_ + suffix;
    UniqueFd fd(::openat(dir_fd_.get(), tmp.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      if (errno == EEXIST) continue;
      return io_error(path_, "create temporary file", errno);
    }
    tmp_name_ = tmp;
    auto st = write_all(fd.get(), contents, path_);
    if (!st) return st;
    // Same owner and mode as the file it replaces (the engine may read it as another user).
    if (::fchown(fd.get(), uid_, gid_) != 0 && errno != EPERM) return io_error(path_, "chown", errno);
    if (::fchmod(fd.get(), mode_) != 0) return io_error(path_, "chmod", errno);
    if (::fsync(fd.get()) != 0) return io_error(path_, "fsync", errno);
    return Ok{};
  }
  return make_error(ErrorCode::kIo, path_ + ": could not create a temporary file");
}

Status AtomicFile::commit() {
  if (tmp_name_.empty()) return make_error(ErrorCode::kIo, path_ + ": nothing prepared");
  if (::renameat(dir_fd_.get(), tmp_name_.c_str(), dir_fd_.get(), name_.c_str()) != 0) {
    return io_error(path_, "rename", errno);
  }
  tmp_name_.clear();
  if (::fsync(dir_fd_.get()) != 0) return io_error(path_, "fsync directory", errno);
  return Ok{};
}

}  // namespace oci_harden
