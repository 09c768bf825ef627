// The recorder's socket and its detached start (shim/host/seccomp_listener.hh).

#include "shim/host/seccomp_listener.hh"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shim/core/handles.hh"
#include "shim/core/lexical_path.hh"

namespace oci_harden {

namespace {

Status os_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
}

Status make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return Ok{};
  return os_error("mkdir " + path, errno);
}

// In the grandchild: descriptor 3 the socket, /dev/null on 0-2, nothing else, then exec.
[[noreturn]] void exec_recorder(int sock, const std::string& hook_path, const std::vector<std::string>& args) {
  (void)::setsid();
  if (sock != 3) {
    if (::dup2(sock, 3) < 0) ::_exit(127);
  } else {
    (void)::fcntl(3, F_SETFD, 0);
  }
  int null = ::open("/dev/null", O_RDWR);
  if (null < 0) ::_exit(127);
  for (int fd = 0; fd < 3; ++fd) (void)::dup2(null, fd);
#ifdef SYS_close_range
  (void)::syscall(SYS_close_range, 4U, ~0U, 0U);
#endif
  if (::chdir("/") != 0) ::_exit(127);
  std::vector<std::string> words{"oci-harden-hook", "record"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  ::execv(hook_path.c_str(), argv.data());
  ::_exit(127);
}

}  // namespace

Status start_seccomp_recorder(const std::string& hook_path, const std::string& socket_path,
                              const std::vector<std::string>& args) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof addr.sun_path) {
    return make_error(ErrorCode::kIo, "the recorder's socket path " + socket_path + " is too long for a unix socket");
  }
  const std::string dir = dir_name(socket_path);
  auto st = make_dir(dir_name(dir), 0711);
  if (!st) return st;
  st = make_dir(dir, 0700);
  if (!st) return st;
  struct stat old;
  if (::lstat(socket_path.c_str(), &old) == 0) {
    if (!S_ISSOCK(old.st_mode)) return make_error(ErrorCode::kIo, socket_path + ": exists and is not a socket");
    if (::unlink(socket_path.c_str()) != 0) return os_error("unlink " + socket_path, errno);
  }
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return os_error("socket", errno);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return os_error("bind " + socket_path, errno);
  }
  if (::chmod(socket_path.c_str(), 0600) != 0 || ::listen(sock.get(), 16) != 0) {
    int err = errno;
    (void)::unlink(socket_path.c_str());
    return os_error("listen " + socket_path, err);
  }
  pid_t child = ::fork();
  if (child < 0) {
    int err = errno;
    (void)::unlink(socket_path.c_str());
    return os_error("fork the recorder", err);
  }
  if (child == 0) {
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    exec_recorder(sock.get(), hook_path, args);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    (void)::unlink(socket_path.c_str());
    return make_error(ErrorCode::kIo, "cannot start the recorder (fork failed)");
  }
  return Ok{};
}

}  // namespace oci_harden
