// The one way an event is recorded (record_event) and its decision named (decision_word): the
// record gets the policy, runtime and duration; a log that cannot be written stops the event
// unless the policy's audit_failure lets it pass, and then the error is handed back to be told.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/host/audit.hh"

namespace oci_harden {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-record-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

Policy policy_logging_to(const std::string& log) {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  p->audit_log = log;
  p->runtime = "/usr/bin/runc";
  return std::move(*p);
}

}  // namespace

TEST_CASE("decision_word names every decision", "[record-event]") {
  CHECK(decision_word(Mode::kAudit, true, true) == "audited");
  CHECK(decision_word(Mode::kAudit, false, false) == "audited");
  CHECK(decision_word(Mode::kEnforce, true, true) == "refused");
  CHECK(decision_word(Mode::kEnforce, false, true) == "applied");
  CHECK(decision_word(Mode::kEnforce, false, false) == "unchanged");
}

TEST_CASE("record_event writes one line with the policy's runtime and a duration", "[record-event]") {
  TempDir dir;
  Policy p = policy_logging_to(dir.path + "/audit.jsonl");
  AuditEvent e;
  e.event = "exec";
  e.decision = "applied";
  e.container = "c1";
  REQUIRE(record_event(p, e, now_us() - 5000).ok());
  std::ifstream in(dir.path + "/audit.jsonl");
  std::string line;
  REQUIRE(std::getline(in, line));
  auto j = parse_json(line);
  REQUIRE(j.ok());
  CHECK(j->get_exact("runtime")->text() == "/usr/bin/runc");
  CHECK(j->get_exact("event")->text() == "exec");
  int64_t us = 0;
  REQUIRE(j->get_exact("duration_us")->to_int64(&us));
  CHECK(us >= 5000);
  CHECK_FALSE(std::getline(in, line));
}

TEST_CASE("record_event: an unwritable log stops the event unless audit_failure allows", "[record-event]") {
  TempDir dir;
  // A directory where the log file should be: the append fails.
  std::string log = dir.path + "/audit.jsonl";
  REQUIRE(::mkdir(log.c_str(), 0700) == 0);
  Policy p = policy_logging_to(log);
  AuditEvent e;
  e.event = "create";
  e.decision = "applied";
  p.audit_failure = AuditFailure::kRefuse;
  std::string let_pass;
  CHECK_FALSE(record_event(p, e, now_us(), &let_pass).ok());
  CHECK(let_pass.empty());
  p.audit_failure = AuditFailure::kAllow;
  CHECK(record_event(p, e, now_us(), &let_pass).ok());
  CHECK(let_pass.find(log) != std::string::npos);
}

}  // namespace oci_harden
