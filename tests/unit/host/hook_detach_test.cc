// The hook's detached worker and the pinned container process (issue 14): the runtime's hook
// returns at once, the worker carries on in its own session, and a process that ended is
// judged as such, never through its pid's next owner.

#include "shim/host/detached_worker.hh"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "shim/core/json.hh"

using namespace oci_harden;

namespace {

pid_t sleeper() {
  pid_t p = ::fork();
  REQUIRE(p >= 0);
  if (p == 0) {
    ::pause();
    ::_exit(0);
  }
  return p;
}

bool eventually(bool (*what)(const std::string&), const std::string& arg) {
  for (int i = 0; i < 200; ++i) {
    if (what(arg)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool has_two_lines(const std::string& path) {
  std::ifstream in(path);
  std::string a, b;
  return static_cast<bool>(std::getline(in, a)) && static_cast<bool>(std::getline(in, b));
}

}  // namespace

TEST_CASE("pinned process: alive, then killed through its pidfd, then ended", "[hook-detach]") {
  pid_t child = sleeper();
  PinnedProcess pinned = pin_process(child);
  CHECK(pinned.pid() == child);
  CHECK(pinned.pinned());
  CHECK_FALSE(pinned.exited());
  CHECK(pinned.kill());
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(pinned.exited());
  CHECK_FALSE(pinned.kill());  // reaped: no signal reaches whoever has the pid now
}

TEST_CASE("pinned process: no pid is no process", "[hook-detach]") {
  PinnedProcess none = pin_process(0);
  CHECK(none.exited());
  CHECK_FALSE(none.kill());
}

TEST_CASE("verify_pinned: a process that ended is one failed check", "[hook-detach]") {
  pid_t child = sleeper();
  PinnedProcess pinned = pin_process(child);
  ::kill(child, SIGKILL);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  auto checks = verify_pinned(Json::object(), read_pinned_view(pinned));
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].name == "process");
  CHECK_FALSE(checks[0].ok);
  CHECK(checks[0].actual == "ended before verification");
}

TEST_CASE("detach_worker: the caller returns, the worker runs in its own session", "[hook-detach]") {
  char tmpl[] = "/tmp/oci-harden-detach-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string out = std::string(tmpl) + "/worker";
  pid_t caller_session = ::getsid(0);
  // The detach is done in a child so that the worker never returns into the test runner.
  pid_t hook = ::fork();
  REQUIRE(hook >= 0);
  if (hook == 0) {
    if (detach_worker(5) == HookRole::kReturnNow) ::_exit(0);
    std::ofstream(out) << ::getsid(0) << "\n" << ::getppid() << "\n"
                       << (::isatty(1) ? "tty" : "not-tty") << "\n";
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(hook, &status, 0) == hook);
  CHECK(WIFEXITED(status));
  REQUIRE(eventually(has_two_lines, out));
  std::ifstream in(out);
  pid_t worker_session = 0;
  pid_t worker_parent = 0;
  in >> worker_session >> worker_parent;
  CHECK(worker_session != caller_session);
  CHECK(worker_parent != hook);  // reparented away from the hook
  (void)!std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
}
