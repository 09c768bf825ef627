// What the stop-token tests share (issue 14): a private state directory and audit log, the
// policy that points at them, stop records counted, and child processes that stand in for a
// hook or a delete and may die (SIGKILL) at a chosen step.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include "shim/core/policy.hh"
#include "shim/core/rule.hh"  // Refusal, complete for AuditEvent
#include "shim/host/audit.hh"

namespace oci_harden::stop_test {

struct StopFixture {
  std::string dir;
  std::string state;
  std::string log;
  Policy policy;
  StopFixture() {
    char tmpl[] = "/tmp/oci-harden-stop-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    state = dir + "/state";
    log = dir + "/audit.jsonl";
    auto p = builtin_policy();
    REQUIRE(p.ok());
    policy = std::move(*p);
    policy.audit_log = log;
    policy.state_dir = state;
    policy.runtime = "/usr/bin/runc";
  }
  ~StopFixture() { (void)!std::system(("rm -rf '" + dir + "'").c_str()); }

  // Stop records for `id` in the log; with `by`, only those with that recorded_by ("" = the hook's).
  int stops(const std::string& id) const {
    std::ifstream in(log);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      auto j = parse_json(line);
      if (!j || !j->is_object()) continue;
      const Json* ev = j->get("event");
      const Json* c = j->get("container");
      if (ev != nullptr && c != nullptr && ev->text() == "stop" && c->text() == id) ++n;
    }
    return n;
  }
  int lines_with(const std::string& needle) const {
    std::ifstream in(log);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
  bool exists(const std::string& rel) const {
    struct stat st;
    return ::lstat((state + "/" + rel).c_str(), &st) == 0;
  }
};

// Runs `body` in a child; returns its wait status. The child never returns into Catch.
inline int in_child(const std::function<void()>& body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

inline bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

}  // namespace oci_harden::stop_test
