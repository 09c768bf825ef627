// Whole files and descriptors read under a named limit (see bounded_read.hh).

#include "shim/core/bounded_read.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shim/core/handles.hh"

namespace oci_harden {

Result<std::string> read_fd_bounded(int fd, const std::string& name, size_t max_bytes, ErrorCode too_big) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return make_error(ErrorCode::kIo, name + ": " + std::strerror(errno));
    }
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return make_error(too_big, name + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> read_file_bounded(const std::string& path, size_t max_bytes, ErrorCode too_big) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  return read_fd_bounded(fd.get(), path, max_bytes, too_big);
}

}  // namespace oci_harden
