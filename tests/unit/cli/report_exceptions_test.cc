// `oci-hardenctl report` and exceptions: live opt-outs listed with owner, reason and days left
// (counted from the clock the caller passes), those that end within a week marked, ended ones
// left out.

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "shim/cli/report.hh"
#include "shim/core/json.hh"
#include "shim/core/harden.hh"
#include "shim/host/audit.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

constexpr int64_t kSecond = 1000000;
constexpr int64_t kDay = 86400 * kSecond;
constexpr int64_t kNow = 1801439999LL * kSecond - 10 * kDay;  // 2027-01-21T23:59:59Z

std::string start_record(const std::string& id, const std::string& owner, const std::string& reason,
                         const std::string& until, std::optional<int64_t> end_s) {
  OptOuts o;
  o.requested = o.granted = {"readonly-rootfs"};
  o.owner = owner;
  o.reason = reason;
  o.until = until;
  o.until_end = end_s;
  AuditEvent e;
  e.event = "create";
  e.decision = "applied";
  e.container = id;
  e.opt_outs = &o;
  return audit_record(e, kNow - kDay);
}

struct Log {
  std::string dir, path;
  explicit Log(const std::vector<std::string>& lines) {
    char tmpl[] = "/tmp/oci-harden-report-exc-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/audit.jsonl";
    std::ofstream out(path, std::ios::binary);
    for (const auto& l : lines) out << l << "\n";
  }
  ~Log() { (void)!std::system(("rm -rf '" + dir + "'").c_str()); }
};

TEST_CASE("report: live exceptions with owner, reason and days left; ending within a week marked",
          "[report][exceptions]") {
  Log log({start_record("c-month", "team-a", "legacy writes /opt", "2027-02-20", 1803167999),
           start_record("c-week", "team-b", "migration", "2027-01-24", 1800835199),
           start_record("c-ended", "team-c", "old", "2027-01-01", 1798847999),
           start_record("c-noend", "", "", "", std::nullopt)});
  ReportOptions o;
  o.logs = {log.path};
  o.now_us = kNow;
  std::vector<std::string> warnings;
  auto table = run_report(o, &warnings);
  REQUIRE(table.ok());
  INFO(*table);
  CHECK_THAT(*table, Contains("Live exceptions (! ends within a week): 3 live, 1 ending within a week"));
  CHECK_THAT(*table, Contains("  c-month  until 2027-02-20 (30 days left)  owner team-a  skips readonly-rootfs\n    reason: legacy writes /opt\n"));
  CHECK_THAT(*table, Contains("! c-week  until 2027-01-24 (3 days left)  owner team-b  skips readonly-rootfs\n    reason: migration\n"));
  CHECK_THAT(*table, Contains("  c-noend  no end  owner -  skips readonly-rootfs\n    reason: -\n"));
  CHECK(table->find("c-ended  until") == std::string::npos);

  o.format = ReportFormat::kJson;
  auto json = run_report(o, &warnings);
  REQUIRE(json.ok());
  auto parsed = parse_json(*json);
  REQUIRE(parsed.ok());
  CHECK(to_json(*parsed->get_exact("totals")->get_exact("exceptions")) == R"({"live":3,"ending_within_week":1})");
  const Json& week = parsed->get_exact("containers")->items()[3];
  CHECK(week.get_exact("id")->text() == "c-week");
  CHECK(to_json(*week.get_exact("exception")) ==
        R"({"owner":"team-b","reason":"migration","until":"2027-01-24",)"
        R"("expires":"2027-01-24T23:59:59.000000Z","live":true,"days_left":3})");
  const Json& ended = parsed->get_exact("containers")->items()[0];
  CHECK(ended.get_exact("id")->text() == "c-ended");
  CHECK(ended.get_exact("exception")->get_exact("live")->as_bool() == false);
  CHECK(warnings.empty());
}

}  // namespace
}  // namespace oci_harden
