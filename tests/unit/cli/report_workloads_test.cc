// oci-hardenctl report, per workload (issue 15): from the create record's "seccomp" object and
// the recorder's seccomp_learn / seccomp_watch records, each workload's profile in force, how
// many syscalls it allows against the generic profile, recordings and violations, in the table,
// the JSON and the Prometheus output; nothing of it when no record names a workload.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "shim/cli/report.hh"
#include "shim/cli/report_workloads.hh"
#include "shim/core/json.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

std::string head(const std::string& time, const std::string& event, const std::string& decision, const std::string& id) {
  return R"({"v":1,"time":")" + time + R"(","event":")" + event + R"(","decision":")" + decision +
         R"(","container":")" + id + R"(","bundle":"/b","runtime":"/usr/bin/runc","mode":"enforce",)"
         R"("policy":{"path":"/etc/oci-harden/policy.json","digest":"sha256:00"},"engine":"docker","annotations":{},)";
}

std::string start(const std::string& time, const std::string& id, const std::string& seccomp, const std::string& decision = "applied") {
  return head(time, "create", decision, id) + R"("changes":[],"opt_outs":{"requested":[],"granted":[],"denied":[]},)"
         R"("refused":[],"user":{},)" + (seccomp.empty() ? "" : R"("seccomp":)" + seccomp + ",") + R"("duration_us":1})";
}

std::string recorder(const std::string& time, const std::string& id, const std::string& event, const std::string& body) {
  return head(time, event, "unchanged", id) + body + R"(,"duration_us":1})";
}

const char* kLearned = R"({"source":"learned","profile":"/etc/oci-harden/learned/web.json","digest":"sha256:ab",)"
                       R"("allowed":48,"generic_allowed":373,"mode":"enforce","workload":"web"})";
const char* kLearning = R"({"source":"learn","profile":"built-in","digest":"sha256:cd","allowed":["read","write"],)"
                        R"("generic_allowed":373,"mode":"learn","workload":"db"})";

std::string report_of(const std::vector<std::string>& lines, ReportFormat format, std::vector<std::string>* warnings = nullptr) {
  char tmpl[] = "/tmp/oci-harden-report-workloads-XXXXXX";
  int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  {
    std::ofstream out(tmpl, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }
  ReportOptions o;
  o.logs = {tmpl};
  o.format = format;
  std::vector<std::string> own;
  auto r = run_report(o, warnings != nullptr ? warnings : &own);
  ::unlink(tmpl);
  REQUIRE(r.ok());
  if (warnings == nullptr) CHECK(own.empty());
  return *r;
}

const std::vector<std::string> kLog = {
    start("2026-12-04T10:00:00Z", "web-1", kLearned),
    start("2026-12-04T10:01:00Z", "web-2", kLearned),
    start("2026-12-04T10:02:00Z", "db-1", kLearning),
    start("2026-12-04T10:02:30Z", "plain", ""),
    start("2026-12-04T10:02:40Z", "refused-web", kLearned, "refused"),
    recorder("2026-12-04T10:03:00Z", "web-1", "seccomp_watch",
             R"("action":"denied","violations":[{"name":"unshare","arch":"SCMP_ARCH_X86_64","count":2},)"
             R"({"name":"keyctl","arch":"SCMP_ARCH_X86_64","count":1}])"),
    recorder("2026-12-04T10:04:00Z", "web-2", "seccomp_watch",
             R"("action":"denied","violations":[{"name":"unshare","arch":"SCMP_ARCH_X86_64","count":3}])"),
    recorder("2026-12-04T10:05:00Z", "db-1", "seccomp_learn",
             R"("recording":"/var/lib/oci-harden/learn/db/db-1.json","syscalls":37,"notifications":900,"dropped":0)"),
};

TEST_CASE("report: per workload, the profile in force, allowed against generic, violations", "[report][report-workloads]") {
  std::string table = report_of(kLog, ReportFormat::kTable);
  CHECK_THAT(table, Contains("WORKLOAD         MODE    SOURCE   ALLOWED GENERIC RUNS  VIOLS PROFILE\n"
                             "db               learn   learn          2     373    1      0 built-in\n"
                             "web              enforce learned       48     373    2      6 /etc/oci-harden/learned/web.json\n"));
  CHECK_THAT(table, Contains("  db: 1 recording (up to 37 syscalls, 900 notifications, 0 dropped)\n"));
  CHECK_THAT(table, Contains("  web: violations unshare/X86_64 x5, keyctl/X86_64 x1 (6 denied)\n"));

  auto parsed = parse_json(report_of(kLog, ReportFormat::kJson));
  REQUIRE(parsed.ok());
  const Json* workloads = parsed->get_exact("workloads");
  REQUIRE(workloads != nullptr);
  REQUIRE(workloads->items().size() == 2);
  const Json& web = workloads->items()[1];
  CHECK(web.get_exact("name")->text() == "web");
  CHECK(to_json(*web.get_exact("containers")) == R"(["web-1","web-2"])");
  CHECK(to_json(*web.get_exact("allowed")) == "48");
  CHECK(to_json(*web.get_exact("generic_allowed")) == "373");
  CHECK(to_json(*web.get_exact("violations")) ==
        R"([{"name":"keyctl","arch":"SCMP_ARCH_X86_64","count":1},{"name":"unshare","arch":"SCMP_ARCH_X86_64","count":5}])");
  CHECK(to_json(*workloads->items()[0].get_exact("learn")) == R"({"recordings":1,"syscalls":37,"notifications":900,"dropped":0})");

  std::string prom = report_of(kLog, ReportFormat::kPrometheus);
  CHECK_THAT(prom, Contains("oci_harden_workload_syscalls_allowed{workload=\"web\",profile=\"in_force\"} 48\n"));
  CHECK_THAT(prom, Contains("oci_harden_workload_syscalls_allowed{workload=\"web\",profile=\"generic\"} 373\n"));
  CHECK_THAT(prom, Contains("oci_harden_workload_violations_total{workload=\"web\",action=\"denied\"} 6\n"));
  CHECK_THAT(prom, Contains("oci_harden_workload_violations_total{workload=\"db\",action=\"recorded\"} 0\n"));
}

TEST_CASE("report: no workload section without a record that names one", "[report][report-workloads]") {
  const std::vector<std::string> log = {start("2026-12-04T10:00:00Z", "plain", "")};
  CHECK(report_of(log, ReportFormat::kTable).find("WORKLOAD") == std::string::npos);
  CHECK(report_of(log, ReportFormat::kJson).find("\"workloads\"") == std::string::npos);
  CHECK(report_of(log, ReportFormat::kPrometheus).find("oci_harden_workload_") == std::string::npos);
  // A recorder's record for a container never started here names no workload: left out.
  CHECK(report_of({recorder("2026-12-04T10:00:00Z", "stranger", "seccomp_watch", R"("action":"recorded","violations":[])")},
                  ReportFormat::kTable)
            .find("WORKLOAD") == std::string::npos);
}

TEST_CASE("report: audit mode violations are recorded, a record's own workload wins", "[report][report-workloads]") {
  const std::vector<std::string> log = {
      start("2026-12-04T10:00:00Z", "c1", R"({"source":"policy","workload":"web","mode":"audit"})"),
      recorder("2026-12-04T10:01:00Z", "c1", "seccomp_watch",
               R"("workload":"api","action":"recorded","violations":[{"name":"ptrace","arch":"SCMP_ARCH_X86","count":4}])"),
  };
  std::string table = report_of(log, ReportFormat::kTable);
  CHECK_THAT(table, Contains("  api: violations ptrace/X86 x4 (4 recorded)\n"));
  CHECK_THAT(table, Contains("web              audit   policy         -       -    1      0 -\n"));
}

TEST_CASE("report: a malformed workload field makes the record a warning", "[report][report-workloads]") {
  std::vector<std::string> warnings;
  report_of({start("2026-12-04T10:00:00Z", "c1", R"({"workload":"web","allowed":"many"})"),
             recorder("2026-12-04T10:01:00Z", "c1", "seccomp_watch", R"("violations":[{"arch":"SCMP_ARCH_X86","count":1}])")},
            ReportFormat::kTable, &warnings);
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Contains("seccomp.allowed is neither a count nor a list of names"));
  CHECK_THAT(warnings[1], Contains("violations[0].name is missing"));
}

}  // namespace
}  // namespace oci_harden
