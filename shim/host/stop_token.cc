// The token that decides who records a container's stop (see stop_token.hh).

#include "shim/host/stop_token.hh"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "shim/core/container_id.hh"
#include "shim/core/state_dir.hh"

namespace oci_harden {

namespace {

constexpr const char* kTokenName = "stop-token";
constexpr const char* kRecordedMark = "recorded\n";
constexpr const char* kStopAtDeleteName = "stop-at-delete";
// A directory that vanishes under us (the last one out removed it) is made again this often.
constexpr int kAttempts = 4;

bool usable(const std::string& state_dir, const std::string& container_id) {
  return !state_dir.empty() && state_dir[0] == '/' && valid_container_id(container_id);
}

Error io_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
}

Error unusable(const std::string& state_dir, const std::string& container_id) {
  return make_error(ErrorCode::kUsage,
                    "no stop token for container \"" + container_id + "\" in \"" + state_dir + "\"");
}

// <state_dir> and <state_dir>/<id>, 0711 as the idmapped root's own directories
// (host_actions.cc): runc's init, an unprivileged user on the host, walks through them to a
// later container's idmapped root.
Status make_dirs(const std::string& state_dir, const std::string& dir) {
  for (const std::string& d : {state_dir, dir}) {
    if (::mkdir(d.c_str(), 0711) != 0 && errno != EEXIST) return io_error("mkdir " + d, errno);
  }
  return Ok{};
}

// Ours and writable by no one else (the state directory is root's; a rootless engine's, its
// user's).
bool own_private(const struct stat& st) {
  return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool says_recorded(int fd) {
  char buf[128] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 && std::strstr(buf, kRecordedMark) != nullptr;
}

// The last one out: the token goes when it says "recorded" (an unrecorded one is left for a
// later delete to take over), then the directory when nothing else is in it.
void remove_recorded_token_and_dir(const std::string& dir) {
  std::string token = dir + "/" + kTokenName;
  UniqueFd fd(::open(token.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.valid()) {
    // The lock of a live taker (none should be left here) keeps its token.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 || !says_recorded(fd.get())) return;
    ::unlink(token.c_str());
    ::unlink((dir + "/" + kStopAtDeleteName).c_str());  // its work is done
  }
  ::rmdir(dir.c_str());  // ENOTEMPTY: an idmapped root that could not be removed stays named
}

// <state_dir>/<id>, made (0711) when missing, opened and flock'ed with `lock` (LOCK_SH: a
// delete's hold; LOCK_EX: a create's). wait_ms < 0 waits as long as it takes; otherwise the lock
// is tried every 10 ms and, after wait_ms, the error names the delete that holds it. A directory
// the last one out removed while we waited is made again.
Result<UniqueFd> lock_container_dir(const std::string& state_dir, const std::string& container_id, int lock,
                                    int wait_ms) {
  if (!usable(state_dir, container_id)) return unusable(state_dir, container_id);
  const std::string dir = container_state_dir(state_dir, container_id);
  int waited = 0;
  for (int attempt = 0; attempt < kAttempts;) {
    auto made = make_dirs(state_dir, dir);
    if (!made) return made.error();
    UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d.valid()) {
      if (errno != ENOENT) return io_error("open " + dir, errno);
      ++attempt;
      continue;
    }
    if (::flock(d.get(), lock | (wait_ms < 0 ? 0 : LOCK_NB)) != 0) {
      if (errno == EINTR) continue;
      if (errno != EWOULDBLOCK || wait_ms < 0) return io_error("lock " + dir, errno);
      if (waited >= wait_ms) {
        return make_error(ErrorCode::kIo, "a delete of container \"" + container_id + "\" is still running (it holds " +
                                              dir + "); create it again once that delete has ended");
      }
      struct timespec ten_ms = {0, 10 * 1000 * 1000};
      ::nanosleep(&ten_ms, nullptr);
      waited += 10;
      continue;
    }
    struct stat st;
    if (::fstat(d.get(), &st) != 0) return io_error("stat " + dir, errno);
    if (st.st_nlink == 0) {  // the last one out removed it while we waited
      ++attempt;
      continue;
    }
    if (!own_private(st)) return make_error(ErrorCode::kIo, dir + ": not ours, or writable by others");
    return d;
  }
  return make_error(ErrorCode::kIo, "hold " + dir + ": it kept vanishing");
}

}  // namespace

std::string stop_token_path(const std::string& state_dir, const std::string& container_id) {
  return container_state_dir(state_dir, container_id) + "/" + kTokenName;
}

Status StopToken::mark_recorded() {
  if (!fd_.valid()) return Ok{};
  ssize_t len = static_cast<ssize_t>(std::strlen(kRecordedMark));
  if (::lseek(fd_.get(), 0, SEEK_END) < 0 || ::write(fd_.get(), kRecordedMark, static_cast<size_t>(len)) != len) {
    return io_error("mark the stop token recorded", errno);
  }
  return Ok{};
}

Result<StopToken> take_stop_token(const std::string& state_dir, const std::string& container_id) {
  if (!usable(state_dir, container_id)) return unusable(state_dir, container_id);
  const std::string dir = container_state_dir(state_dir, container_id);
  const std::string token = dir + "/" + kTokenName;
  const std::string fresh_path = token + "." + std::to_string(::getpid());
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto made = make_dirs(state_dir, dir);
    if (!made) return made.error();
    // Locked before it has the token's name: nobody can see it unlocked while we live.
    ::unlink(fresh_path.c_str());
    UniqueFd fresh(::open(fresh_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fresh.valid()) {
      if (errno == ENOENT) continue;  // the directory went (the last one out): made again
      return io_error("create " + fresh_path, errno);
    }
    if (::flock(fresh.get(), LOCK_EX | LOCK_NB) != 0) return io_error("lock " + fresh_path, errno);
    std::string who = std::to_string(::getpid()) + "\n";
    if (::write(fresh.get(), who.data(), who.size()) != static_cast<ssize_t>(who.size())) {
      int err = errno;
      ::unlink(fresh_path.c_str());
      return io_error("write " + fresh_path, err);
    }
    int linked = ::link(fresh_path.c_str(), token.c_str());
    int err = errno;
    ::unlink(fresh_path.c_str());
    if (linked == 0) {
      StopToken t;
      t.fd_ = std::move(fresh);
      return t;
    }
    if (err != EEXIST) return io_error("link " + token, err);

    // Someone took it: wait for them (their lock), then see whether they recorded.
    UniqueFd held(::open(token.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!held.valid()) {
      if (errno == ENOENT) return StopToken{};  // removed, which happens only once recorded
      return io_error("open " + token, errno);
    }
    while (::flock(held.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return io_error("lock " + token, errno);
    }
    struct stat st;
    if (::fstat(held.get(), &st) != 0) return io_error("stat " + token, errno);
    if (st.st_nlink == 0) return StopToken{};  // removed while we waited: recorded
    if (!S_ISREG(st.st_mode) || !own_private(st)) {
      return make_error(ErrorCode::kIo, token + ": not a token of ours (a regular file, ours, writable by no one else)");
    }
    if (says_recorded(held.get())) return StopToken{};
    // The taker died before it recorded: the record is ours now.
    StopToken t;
    t.fd_ = std::move(held);
    t.taken_over_ = true;
    return t;
  }
  return make_error(ErrorCode::kIo, "take " + token + ": its directory kept vanishing");
}

bool stop_token_exists(const std::string& state_dir, const std::string& container_id) {
  if (!usable(state_dir, container_id)) return false;
  struct stat st;
  return ::lstat(stop_token_path(state_dir, container_id).c_str(), &st) == 0;
}

void release_stop_token_if_alone(const std::string& state_dir, const std::string& container_id) {
  if (!usable(state_dir, container_id)) return;
  const std::string dir = container_state_dir(state_dir, container_id);
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!d.valid()) return;
  // A delete holds it: that delete is the last one out.
  if (::flock(d.get(), LOCK_EX | LOCK_NB) != 0) return;
  remove_recorded_token_and_dir(dir);
}

Result<DeleteHold> DeleteHold::enter(const std::string& state_dir, const std::string& container_id) {
  auto d = lock_container_dir(state_dir, container_id, LOCK_SH, -1);
  if (!d) return d.error();
  DeleteHold h;
  h.dir_ = std::move(*d);
  h.state_dir_ = state_dir;
  h.container_id_ = container_id;
  return h;
}

void DeleteHold::leave() {
  if (!dir_.valid()) return;
  // Unlock, then try alone: of deletes leaving together, the last to unlock finds no holder
  // (an upgrade in place could fail for both).
  ::flock(dir_.get(), LOCK_UN);
  if (::flock(dir_.get(), LOCK_EX | LOCK_NB) == 0) {
    remove_recorded_token_and_dir(container_state_dir(state_dir_, container_id_));
  }
  dir_.reset();
}

Status expect_stop_at_delete(const std::string& state_dir, const std::string& container_id,
                             const StopAtDelete& what) {
  if (!usable(state_dir, container_id)) return unusable(state_dir, container_id);
  const std::string dir = container_state_dir(state_dir, container_id);
  auto made = make_dirs(state_dir, dir);
  if (!made) return made.error();
  ::unlink((dir + "/" + kTokenName).c_str());
  const std::string path = dir + "/" + kStopAtDeleteName;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return io_error("create " + path, errno);
  const std::string text = what.runtime_root + "\n" + what.bundle + "\n";
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return io_error("write " + path, errno);
  }
  return Ok{};
}

std::optional<StopAtDelete> stop_at_delete_of(const std::string& state_dir, const std::string& container_id) {
  if (!usable(state_dir, container_id)) return std::nullopt;
  const std::string path = container_state_dir(state_dir, container_id) + "/" + kStopAtDeleteName;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return std::nullopt;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !own_private(st)) return std::nullopt;
  char buf[8193] = {};
  ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
  if (n <= 0 || buf[n - 1] != '\n') return std::nullopt;
  std::string text(buf, static_cast<size_t>(n - 1));
  size_t nl = text.find('\n');
  if (nl == std::string::npos || text.find('\n', nl + 1) != std::string::npos) return std::nullopt;
  return StopAtDelete{text.substr(0, nl), text.substr(nl + 1)};
}

Result<CreateHold> CreateHold::enter(const std::string& state_dir, const std::string& container_id, int wait_ms) {
  auto d = lock_container_dir(state_dir, container_id, LOCK_EX, wait_ms);
  if (!d) return d.error();
  CreateHold h;
  h.dir_ = std::move(*d);
  return h;
}

void forget_stop_token(const std::string& state_dir, const std::string& container_id) {
  if (!usable(state_dir, container_id)) return;
  ::unlink(stop_token_path(state_dir, container_id).c_str());
}

}  // namespace oci_harden
