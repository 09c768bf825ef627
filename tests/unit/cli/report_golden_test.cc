// oci-hardenctl report, issue 17 item 6 (a report you can act on) and item 7 (Q7): the whole
// output for a fixed log (tests/golden/report/audit.jsonl: docker, containerd's CRI plugin,
// podman, ctr, runc; applied, refused, audit mode, opted out, host root, a failed verification,
// a container started without the verify hook) against reviewed files beside it:
//   report.txt        the table (short ids), with the rollout table, the placement table
//                     (host, namespace, pod) and the host-root list with reasons and fixes
//   report-wide.txt   --wide: whole container ids
//   report.prom       --format prometheus (node_exporter textfile)
// After a deliberate format change: OCI_HARDEN_GOLDEN_UPDATE=1 build/unit-tests "[report-golden]",
// then read the diff before committing.
//
// Also: --since ages, the exposition format's rules, the "no log yet" message, --output by rename.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "shim/cli/report.hh"
#include "shim/core/json.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

const std::string kDir = "tests/golden/report/";

std::string run(ReportFormat format, bool wide) {
  ReportOptions o;
  o.logs = {test::repo_path(kDir + "audit.jsonl")};
  o.format = format;
  o.wide = wide;
  o.now_us = 1796169600LL * 1000000;  // 2026-12-02T00:00:00Z
  std::vector<std::string> warnings;
  auto r = run_report(o, &warnings);
  REQUIRE(r.ok());
  CHECK(warnings.empty());
  return *r;
}

void check_golden(const std::string& name, const std::string& got) {
  if (const char* u = std::getenv("OCI_HARDEN_GOLDEN_UPDATE"); u != nullptr && std::string(u) == "1") {
    std::ofstream(test::repo_path(kDir + name), std::ios::binary) << got;
  }
  std::string want = test::repo_file(kDir + name);
  INFO("golden " << kDir << name << " (OCI_HARDEN_GOLDEN_UPDATE=1 rewrites it)");
  CHECK(got == want);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("report golden: the table, the wide table and the Prometheus file", "[report][report-golden]") {
  std::string table = run(ReportFormat::kTable, false);
  check_golden("report.txt", table);
  for (const auto& l : lines_of(table)) {
    INFO(l);
    CHECK(l.size() <= 100);
  }
  std::string wide = run(ReportFormat::kTable, true);
  check_golden("report-wide.txt", wide);
  CHECK(wide.find("3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6  docker") != std::string::npos);
  CHECK(table.find("3f9a0c1d2e4b5") == std::string::npos);  // short ids by default
  check_golden("report.prom", run(ReportFormat::kPrometheus, false));
}

TEST_CASE("report: what an operator acts on, in the table", "[report][report-golden]") {
  std::string t = run(ReportFormat::kTable, false);
  // Capabilities as differences from the engine's set, not the set kept.
  CHECK(t.find("3f9a0c1d2e4b  yes   kept engine's  -DAC_OVERRIDE,") != std::string::npos);
  // The pod and its namespace from containerd's CRI annotations; containerd's namespace otherwise.
  CHECK(t.find("7c1e2d3f4a5b  node-a                shop                  checkout-5b7d9\n") != std::string::npos);
  CHECK(t.find("ctr-audit     node-a                default               -\n") != std::string::npos);
  // Rollout per rule: changed / refused / would refuse in audit mode / opted out.
  CHECK(t.find("sensitive-mounts          0         1         1                    0\n") != std::string::npos);
  CHECK(t.find("readonly-rootfs           0         0         0                    1\n") != std::string::npos);
  // Host root: the record's own reason and fix when it has them; ours otherwise.
  CHECK(t.find("  3f9a0c1d2e4b  docker  no user namespace: dockerd runs without userns-remap\n"
               "      fix: dockerd --userns-remap=default (daemon.json \"userns-remap\": \"default\")\n") !=
        std::string::npos);
  CHECK(t.find("      fix: run it in a user namespace (linux.uidMappings), or as a non-root user\n") != std::string::npos);
  // Q7: nohook-1 (policy "hook": "none") and ctr-audit (audit mode) never get a stop record.
  CHECK(t.find("  Q7  containers running now (started, no stop record): 2; failed verification: 1\n"
               "      cannot know for 2 more, started without the verify hook") != std::string::npos);
}

TEST_CASE("report: Q7 says it cannot know when no container has the hook", "[report][report-golden]") {
  char tmpl[] = "/tmp/oci-harden-q7-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string log = std::string(tmpl) + "/audit.jsonl";
  std::ofstream(log) << R"({"v":1,"time":"2026-12-01T10:00:00Z","event":"run","decision":"unchanged","container":"a","user":{}})"
                     << "\n";
  ReportOptions o;
  o.logs = {log};
  std::vector<std::string> w;
  auto r = run_report(o, &w);
  REQUIRE(r.ok());
  CHECK(r->find("  Q7  containers running now: cannot know, the verify hook was off for all 1 started; "
                "failed verification: 0\n") != std::string::npos);
  CHECK(r->find("running now (started, no stop record)") == std::string::npos);
  (void)!std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
}

TEST_CASE("report: the JSON carries the new facts", "[report][report-golden]") {
  auto j = parse_json(run(ReportFormat::kJson, false));
  REQUIRE(j.ok());
  const Json& cs = *j->get_exact("containers");
  const Json& docker = cs.items()[0];
  CHECK(docker.get_exact("host")->text() == "node-a");
  CHECK(docker.get_exact("namespace")->text() == "moby");
  CHECK(docker.get_exact("root_on_host_reason")->text() == "no user namespace: dockerd runs without userns-remap");
  CHECK(to_json(*docker.get_exact("capabilities")->get_exact("dropped")) ==
        R"(["CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETFCAP","CAP_SETPCAP","CAP_SYS_CHROOT","CAP_AUDIT_WRITE"])");
  const Json& cri = cs.items()[2];
  CHECK(cri.get_exact("pod")->text() == "checkout-5b7d9");
  CHECK(cri.get_exact("namespace")->text() == "shop");
  const Json& totals = *j->get_exact("totals");
  CHECK(totals.get_exact("running")->text() == "2");
  CHECK(totals.get_exact("running_unknown")->text() == "2");
  CHECK(to_json(*totals.get_exact("rollout")->get_exact("sensitive-mounts")) ==
        R"({"changed":0,"refused":1,"would_refuse":1,"opted_out":0})");
}

TEST_CASE("report: the Prometheus file follows the text exposition format", "[report][report-golden]") {
  std::string prom = run(ReportFormat::kPrometheus, false);
  REQUIRE(!prom.empty());
  CHECK(prom.back() == '\n');
  // Every sample's family has exactly one HELP and one TYPE, before its samples; names and
  // labels are valid; values are numbers.
  std::set<std::string> typed, helped;
  std::string current;
  const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(\.[0-9]+)?)$)");
  for (const auto& line : lines_of(prom)) {
    INFO(line);
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      CHECK(helped.insert(name).second);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::string name = rest.substr(0, rest.find(' '));
      std::string type = rest.substr(rest.find(' ') + 1);
      CHECK(typed.insert(name).second);
      CHECK((type == "counter" || type == "gauge"));
      CHECK(helped.count(name) == 1);
      current = name;
    } else {
      REQUIRE(std::regex_match(line, m, sample));
      CHECK(m[1].str() == current);
    }
  }
  for (const char* name : {"oci_harden_decisions_total", "oci_harden_containers_total", "oci_harden_containers_host_root",
                           "oci_harden_verifications_failed_total", "oci_harden_report_last_record_timestamp_seconds"}) {
    CHECK(typed.count(name) == 1);
  }
  CHECK(prom.find("oci_harden_decisions_total{rule=\"privileged\",decision=\"refused\"} 1\n") != std::string::npos);
  CHECK(prom.find("oci_harden_decisions_total{rule=\"sensitive-mounts\",decision=\"would_refuse\"} 1\n") != std::string::npos);
  CHECK(prom.find("oci_harden_containers_host_root 2\n") != std::string::npos);
  CHECK(prom.find("oci_harden_verifications_failed_total 1\n") != std::string::npos);
  CHECK(prom.find("oci_harden_report_last_record_timestamp_seconds 1796122800\n") != std::string::npos);
}

TEST_CASE("report: Prometheus label values are escaped", "[report][report-golden]") {
  char tmpl[] = "/tmp/oci-harden-prom-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string log = std::string(tmpl) + "/audit.jsonl";
  // A rule name is text from the record: a newer (or forged) writer may put anything there.
  std::ofstream(log) << R"({"v":1,"time":"2026-12-01T10:00:00.25Z","event":"run","decision":"refused","container":"a",)"
                     << R"("refused":[{"rule":"we\"ird\\rule\nx","reason":"r"}]})" << "\n";
  ReportOptions o;
  o.logs = {log};
  o.format = ReportFormat::kPrometheus;
  std::vector<std::string> w;
  auto r = run_report(o, &w);
  REQUIRE(r.ok());
  CHECK(r->find("oci_harden_decisions_total{rule=\"we\\\"ird\\\\rule\\nx\",decision=\"refused\"} 1\n") != std::string::npos);
  CHECK(r->find("oci_harden_report_last_record_timestamp_seconds 1796119200.25\n") != std::string::npos);
  (void)!std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
}

TEST_CASE("report: --since takes an age or an RFC 3339 time", "[report][report-golden]") {
  const int64_t now = 1796169600LL * 1000000;
  CHECK(*parse_since("24h", now) == now - 86400LL * 1000000);
  CHECK(*parse_since("30m", now) == now - 1800LL * 1000000);
  CHECK(*parse_since("7d", now) == now - 7 * 86400LL * 1000000);
  CHECK(*parse_since("2w", now) == now - 14 * 86400LL * 1000000);
  CHECK(*parse_since("90s", now) == now - 90LL * 1000000);
  CHECK(*parse_since("2026-11-28T18:00:00Z", now) == *parse_rfc3339("2026-11-28T18:00:00Z"));
  for (const char* bad : {"", "h", "24", "24x", "-1h", "1.5h", "99999999999d", "yesterday"}) {
    INFO(bad);
    auto r = parse_since(bad, now);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("is neither an age (30m, 24h, 7d) nor an RFC 3339 time") != std::string::npos);
  }
}

TEST_CASE("report: no log yet is its own answer, not an error", "[report][report-golden]") {
  ReportOptions o;
  o.logs = {"/nonexistent/oci-harden/audit.jsonl"};
  CHECK(no_audit_log_message(o) ==
        "no audit log at /nonexistent/oci-harden/audit.jsonl yet: no container has started through "
        "oci-harden on this host, or the policy's audit_log points elsewhere");
  // One log that exists among the missing: the missing ones are errors as before.
  o.logs.push_back(test::repo_path(kDir + "audit.jsonl"));
  CHECK(no_audit_log_message(o).empty());
}

TEST_CASE("report: --output replaces the file by rename", "[report][report-golden]") {
  char tmpl[] = "/tmp/oci-harden-out-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  std::string out = dir + "/oci_harden.prom";
  std::ofstream(out) << "old\n";
  struct stat before;
  REQUIRE(::stat(out.c_str(), &before) == 0);
  REQUIRE(write_report_file(out, "new\n").ok());
  struct stat after;
  REQUIRE(::stat(out.c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);  // a new file renamed in: a reader sees old or new whole
  CHECK((after.st_mode & 0777) == 0644);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "new\n");
  // Nothing left behind in the directory.
  CHECK(std::system(("test $(ls -A '" + dir + "' | wc -l) -eq 1").c_str()) == 0);
  auto bad = write_report_file(dir + "/no-such-dir/x.prom", "x");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find(dir + "/no-such-dir/x.prom: ") == 0);
  (void)!std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace oci_harden
