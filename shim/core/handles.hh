// RAII owners for every C handle the project creates: descriptors and pipes, directory
// streams, yajl, libseccomp filters, libmount tables and iterators, zlib files. Each handle is
// wrapped the moment it is created, so no error path can leak it. A deleter's library is linked
// only by the programs that make such a handle (libmount: the hook; zlib: oci-hardenctl).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <libmount/libmount.h>
#include <seccomp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <zlib.h>

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

// Both ends of a pipe, each owned: a failed step after pipe2 cannot leak either.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
// pipe2(O_CLOEXEC | extra_flags); nullopt with errno set when it fails.
inline std::optional<Pipe> make_pipe(int extra_flags = 0) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | extra_flags) != 0) return std::nullopt;
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

struct DirClose { void operator()(DIR* d) const { ::closedir(d); } };
using UniqueDir = std::unique_ptr<DIR, DirClose>;

struct ScmpRelease { void operator()(scmp_filter_ctx c) const { seccomp_release(c); } };
using ScmpFilter = std::unique_ptr<std::remove_pointer_t<scmp_filter_ctx>, ScmpRelease>;

struct MntTableUnref { void operator()(libmnt_table* t) const { mnt_unref_table(t); } };
using MntTable = std::unique_ptr<libmnt_table, MntTableUnref>;
struct MntIterFree { void operator()(libmnt_iter* i) const { mnt_free_iter(i); } };
using MntIter = std::unique_ptr<libmnt_iter, MntIterFree>;

struct GzClose { void operator()(gzFile f) const { gzclose(f); } };
using GzFile = std::unique_ptr<std::remove_pointer_t<gzFile>, GzClose>;

}  // namespace oci_harden
