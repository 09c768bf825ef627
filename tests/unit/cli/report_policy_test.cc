// oci-hardenctl report and one policy per workload: each container's policy_name, in the JSON
// ("policy") and in the table's POLICY block, shown only when a named policy applied.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "shim/cli/report.hh"
#include "shim/core/json.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

std::string record(const std::string& id, const std::string& policy_name) {
  std::string line = R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"applied","container":")" + id +
                     R"(","bundle":"/b","runtime":"/usr/bin/runc","mode":"enforce",)" +
                     R"("policy":{"path":"/etc/oci-harden/policy.json","digest":"sha256:00"},)";
  if (!policy_name.empty()) line += R"("policy_name":")" + policy_name + R"(",)";
  return line + R"("engine":"kubernetes","annotations":{},"changes":[],)"
                R"("opt_outs":{"requested":[],"granted":[],"denied":[]},"refused":[],"user":{},"duration_us":1})";
}

std::string report_of(const std::vector<std::string>& lines, ReportFormat format) {
  char tmpl[] = "/tmp/oci-harden-report-policy-XXXXXX";
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
  std::vector<std::string> warnings;
  auto r = run_report(o, &warnings);
  ::unlink(tmpl);
  REQUIRE(r.ok());
  CHECK(warnings.empty());
  return *r;
}

TEST_CASE("report: the policy each container's last start applied", "[report][selectors]") {
  const std::vector<std::string> log = {record("kube-dns", "privileged"), record("web", "default"),
                                        record("old", "")};
  auto parsed = parse_json(report_of(log, ReportFormat::kJson));
  REQUIRE(parsed.ok());
  std::string policies;
  for (const Json& c : parsed->get_exact("containers")->items()) {
    policies += c.get_exact("id")->text() + "=" + to_json(*c.get_exact("policy")) + " ";
  }
  CHECK(policies == R"(kube-dns="privileged" old=null web="default" )");

  std::string table = report_of(log, ReportFormat::kTable);
  CHECK_THAT(table, Contains("POLICY            CONTAINERS (last start)\nprivileged        kube-dns\ndefault           web\n"));
  // Only the default (or records older than policy_name): no POLICY block.
  CHECK(report_of({record("web", "default"), record("old", "")}, ReportFormat::kTable).find("POLICY") ==
        std::string::npos);
}

}  // namespace
}  // namespace oci_harden
