// The delete's claim on the stop record (see delete_claim.hh).

#include "shim/host/delete_claim.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shim/core/container_id.hh"
#include "shim/core/handles.hh"
#include "shim/core/state_dir.hh"

namespace oci_harden {

namespace {

constexpr const char* kClaimName = "delete-pid";
constexpr const char* kSeenName = "delete-seen";

bool holds_pid(const std::string& path, pid_t runtime_pid);

bool usable(const std::string& state_dir, const std::string& container_id) {
  return !state_dir.empty() && state_dir[0] == '/' && valid_container_id(container_id);
}

Error io_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
}

// `path` replaced by a new file (0600, never through a link) holding the runtime's pid.
Status write_pid_file(const std::string& path, pid_t runtime_pid) {
  ::unlink(path.c_str());  // a stale one, or anything else in its place
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return io_error("create " + path, errno);
  std::string text = std::to_string(runtime_pid);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return io_error("write " + path, errno);
  }
  return Ok{};
}

}  // namespace

std::string delete_claim_path(const std::string& state_dir, const std::string& container_id) {
  return container_state_dir(state_dir, container_id) + "/" + kClaimName;
}

Status write_delete_claim(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid) {
  if (!usable(state_dir, container_id)) {
    return make_error(ErrorCode::kUsage, "no claim for container \"" + container_id + "\" in \"" + state_dir + "\"");
  }
  std::string dir = container_state_dir(state_dir, container_id);
  // 0711, as the idmapped root's own directories (host_actions.cc): a later container of this
  // id, or any container under this state_dir, has its root walked through them by runc's init,
  // an unprivileged user on the host. 0700 here made the next idmapped root unreachable.
  for (const std::string& d : {state_dir, dir}) {
    if (::mkdir(d.c_str(), 0711) != 0 && errno != EEXIST) return io_error("mkdir " + d, errno);
  }
  return write_pid_file(delete_claim_path(state_dir, container_id), runtime_pid);
}

bool delete_claimed_by(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid) {
  if (!usable(state_dir, container_id)) return false;
  return holds_pid(delete_claim_path(state_dir, container_id), runtime_pid);
}

Status mark_delete_claim_seen(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid) {
  if (!usable(state_dir, container_id)) {
    return make_error(ErrorCode::kUsage, "no mark for container \"" + container_id + "\" in \"" + state_dir + "\"");
  }
  return write_pid_file(container_state_dir(state_dir, container_id) + "/" + kSeenName, runtime_pid);
}

bool delete_claim_seen(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid) {
  if (!usable(state_dir, container_id)) return false;
  return holds_pid(container_state_dir(state_dir, container_id) + "/" + kSeenName, runtime_pid);
}

namespace {

bool holds_pid(const std::string& path, pid_t runtime_pid) {
  if (runtime_pid <= 1) return false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return false;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return false;
  }
  char buf[32] = {};
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  return std::string(buf, static_cast<size_t>(n)) == std::to_string(runtime_pid);
}

}  // namespace

void remove_delete_claim(const std::string& state_dir, const std::string& container_id) {
  if (!usable(state_dir, container_id)) return;
  ::unlink(delete_claim_path(state_dir, container_id).c_str());
  ::unlink((container_state_dir(state_dir, container_id) + "/" + kSeenName).c_str());
}

}  // namespace oci_harden
