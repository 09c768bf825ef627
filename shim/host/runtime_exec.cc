// execv of the real runtime, and the checks that it is the runtime and not ourselves.

#include "shim/host/runtime_exec.hh"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace oci_harden {

Status check_runtime(const std::string& runtime) {
  if (runtime.empty() || runtime[0] != '/') {
    return make_error(ErrorCode::kRuntime, "runtime \"" + runtime + "\" is not an absolute path");
  }
  struct stat rt, self;
  if (::stat(runtime.c_str(), &rt) != 0) {
    return make_error(ErrorCode::kRuntime, "runtime " + runtime + ": " + std::strerror(errno));
  }
  if (!S_ISREG(rt.st_mode) || ::access(runtime.c_str(), X_OK) != 0) {
    return make_error(ErrorCode::kRuntime, "runtime " + runtime + ": not an executable file");
  }
  // Why: a runtime path that leads back to this binary would exec itself forever, or worse,
  // run the container without runc's checks; compare the files, not their names.
  if (::stat("/proc/self/exe", &self) == 0 && self.st_dev == rt.st_dev && self.st_ino == rt.st_ino) {
    return make_error(ErrorCode::kRuntime,
                      "runtime " + runtime + " is oci-harden itself; set \"runtime\" to runc or crun");
  }
  return Ok{};
}

Error exec_runtime(const std::string& runtime, const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  args.push_back(const_cast<char*>(runtime.c_str()));
  for (size_t i = 1; i < argv.size(); ++i) args.push_back(const_cast<char*>(argv[i].c_str()));
  args.push_back(nullptr);
  ::execv(runtime.c_str(), args.data());
  return make_error(ErrorCode::kRuntime, "exec " + runtime + ": " + std::strerror(errno));
}

int run_runtime_version(const std::string& runtime) {
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    const char* args[] = {runtime.c_str(), "--version", nullptr};
    ::execv(runtime.c_str(), const_cast<char* const*>(args));
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace oci_harden
