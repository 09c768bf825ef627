// oci-hardenctl report: the facts and totals it draws from a hand-written audit log
// (data/audit-sample.jsonl), both output formats, --since, gzip-compressed and rotated logs,
// malformed lines and missing files.
//
// The sample, line by line:
//   1  01d0c0ffee… create applied (docker), root on the host        (2026-11-27, before --since)
//   2  01d0c0ffee… stop
//   3  a1b2c3d4e5f6… create applied (kubernetes, nginx): capabilities cut, seccomp installed
//   4  a1b2c3d4e5f6… verify: 1 of 3 checks failed
//   5  privtest run refused: privileged + host-namespaces (--network host)
//   6  a record cut off mid-line (malformed)
//   7  c3podman… create applied (podman): opt-outs readonly-rootfs,seccomp granted, privileged denied
//   8  d4e5f6a7b8c9… create unchanged (kubernetes, hostUsers: false): not root on the host
//   9  d4e5f6a7b8c9… verify: all checks passed
//  10  e5audit create audited: would drop capabilities, add a user namespace, refuse a docker.sock
//      mount; none of it happened, so it ran as root on the host with no seccomp profile
//  11  d4e5f6a7b8c9… exec applied
//  12  d4e5f6a7b8c9… exec refused
//  13  c3podman… stop

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <optional>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/cli/report.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

const std::string kOld = "01d0c0ffee00aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00ee11ff223344";
const std::string kNginx = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const std::string kPodman = "c3podman0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3";
const std::string kAgnhost = "d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809";

std::string sample_path() { return test::repo_path("tests/unit/data/audit-sample.jsonl"); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct ReportDir {
  std::string path;
  ReportDir() {
    char tmpl[] = "/tmp/oci-harden-report-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~ReportDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string write_gz(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    gzFile gz = gzopen(p.c_str(), "wb");
    REQUIRE(gz != nullptr);
    REQUIRE(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) ==
            static_cast<int>(text.size()));
    REQUIRE(gzclose(gz) == Z_OK);
    return p;
  }
};

Report read(std::vector<std::string> logs, std::vector<std::string>* warnings,
            std::optional<int64_t> since = std::nullopt) {
  ReportOptions o;
  o.logs = std::move(logs);
  o.since_us = since;
  auto r = read_audit_logs(o, warnings);
  REQUIRE(r.ok());
  return *r;
}

const ContainerReport& find(const Report& r, const std::string& id) {
  for (const auto& c : r.containers) {
    if (c.id == id) return c;
  }
  FAIL("no container " << id);
  throw 0;
}

std::string report_text(std::vector<std::string> logs, ReportFormat f,
                        std::vector<std::string>* warnings,
                        std::optional<int64_t> since = std::nullopt) {
  ReportOptions o;
  o.logs = std::move(logs);
  o.format = f;
  o.since_us = since;
  auto r = run_report(o, warnings);
  REQUIRE(r.ok());
  return *r;
}

int64_t at(const std::string& t) {
  auto r = parse_rfc3339(t);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("report: parse_rfc3339 takes RFC 3339 UTC times and offsets", "[report]") {
  CHECK(at("2026-11-28T18:00:00Z") == 1795888800LL * 1000000);
  CHECK(at("2026-11-28T18:00:00.5Z") == 1795888800LL * 1000000 + 500000);
  CHECK(at("2026-11-28T18:00:00.123456Z") == 1795888800LL * 1000000 + 123456);
  CHECK(at("2026-11-28T18:00:00.123456789Z") == 1795888800LL * 1000000 + 123456);
  CHECK(at("2026-11-28t18:00:00z") == 1795888800LL * 1000000);
  CHECK(at("2026-11-28T19:00:00+01:00") == 1795888800LL * 1000000);
  CHECK(at("2026-11-28T17:30:00-00:30") == 1795888800LL * 1000000);
  CHECK(at("2028-02-29T00:00:00Z") > 0);
  CHECK(at("1970-01-01T00:00:00Z") == 0);

  for (const char* bad : {"", "2026-11-28", "2026-11-28T18:00:00", "2026-11-28 18:00:00Z",
                          "2026-11-28T18:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                          "2026-11-31T00:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28T18:00:00.Z",
                          "2026-11-28T18:00:00Zjunk", "2026-11-28T18:00:00+1:00",
                          "yesterday", "2026-11-28T18:00:00+01:00:00"}) {
    INFO(bad);
    auto r = parse_rfc3339(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
  }
}

TEST_CASE("report: per-container facts from the sample log", "[report]") {
  std::vector<std::string> warnings;
  Report r = read({sample_path()}, &warnings);
  REQUIRE(r.containers.size() == 6);
  // Ordered by first seen.
  CHECK(r.containers[0].id == kOld);
  CHECK(r.containers[1].id == kNginx);
  CHECK(r.containers[2].id == "privtest");
  CHECK(r.containers[3].id == kPodman);
  CHECK(r.containers[4].id == kAgnhost);
  CHECK(r.containers[5].id == "e5audit");

  SECTION("applied create with capabilities cut, seccomp installed, one failed verify check") {
    const auto& c = find(r, kNginx);
    CHECK(c.first_us == at("2026-11-28T18:00:00.1Z"));
    CHECK(c.last_us == at("2026-11-28T18:00:00.4Z"));
    CHECK(c.engine == "kubernetes");
    CHECK(c.image == "docker.io/library/nginx:1.27");
    CHECK(c.mode == "enforce");
    CHECK(c.state == "started");
    CHECK(c.root_on_host == std::optional<bool>(true));
    CHECK_FALSE(c.caps_as_requested);
    CHECK(c.capabilities ==
          std::vector<std::string>{"CAP_CHOWN", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE"});
    CHECK(c.seccomp == "installed");
    CHECK(c.refused_rules.empty());
    CHECK(c.verify_records == 1);
    CHECK(c.verify_failed == 1);
    CHECK(c.verify_failed_checks == std::vector<std::string>{"seccomp"});
    CHECK_FALSE(c.killed);
  }
  SECTION("refused privileged run: never started, both rules named") {
    const auto& c = find(r, "privtest");
    CHECK(c.engine == "docker");
    CHECK(c.state == "refused");
    CHECK_FALSE(c.started);
    CHECK(c.start_attempts == 1);
    CHECK(c.refused_records == 1);
    CHECK(c.refused_rules == std::vector<std::string>{"privileged", "host-namespaces"});
    CHECK(c.host_network_refused);
    CHECK_FALSE(c.root_on_host.has_value());  // it never ran
    CHECK(c.seccomp.empty());
  }
  SECTION("opted-out container: granted and denied opt-outs, seccomp opted out, stopped") {
    const auto& c = find(r, kPodman);
    CHECK(c.engine == "podman");
    CHECK(c.image == "quay.io/podman/hello:latest");
    CHECK(c.state == "stopped");
    CHECK(c.opt_outs_granted == std::vector<std::string>{"readonly-rootfs", "seccomp"});
    CHECK(c.opt_outs_denied == std::vector<std::string>{"privileged"});
    CHECK(c.seccomp == "opted out");
    CHECK(c.capabilities == std::vector<std::string>{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"});
    CHECK(c.root_on_host == std::optional<bool>(false));
  }
  SECTION("user-namespace container: root inside, not on the host; engine's seccomp kept") {
    const auto& c = find(r, kAgnhost);
    CHECK(c.image == "registry.k8s.io/e2e-test-images/agnhost:2.52");
    CHECK(c.root_on_host == std::optional<bool>(false));
    CHECK(c.caps_as_requested);
    CHECK(c.seccomp == "kept engine's");
    CHECK(c.verify_records == 1);
    CHECK(c.verify_failed == 0);
    CHECK(c.execs == 2);
    CHECK(c.execs_refused == 1);
    CHECK(c.last_us == at("2026-11-28T18:05:30Z"));
    CHECK(c.state == "started");
  }
  SECTION("audit mode: facts are what ran, not what would have changed") {
    const auto& c = find(r, "e5audit");
    CHECK(c.mode == "audit");
    CHECK(c.engine == "containerd");
    CHECK(c.image.empty());
    // The record's user summary shows the mapping audit mode did not add.
    CHECK(c.root_on_host == std::optional<bool>(true));
    CHECK(c.caps_as_requested);
    CHECK(c.seccomp == "none");
    CHECK(c.refused_rules.empty());
    CHECK(c.would_refuse == std::vector<std::string>{"sensitive-mounts"});
    CHECK(c.state == "started");
  }
  SECTION("the old container: created and stopped the day before") {
    const auto& c = find(r, kOld);
    CHECK(c.engine == "docker");  // the stop record's empty engine does not overwrite it
    CHECK(c.state == "stopped");
    CHECK(c.root_on_host == std::optional<bool>(true));
    CHECK(c.first_us == at("2026-11-27T09:15:00.000001Z"));
    CHECK(c.last_us == at("2026-11-27T09:20:00Z"));
  }
}

TEST_CASE("report: totals from the sample log", "[report]") {
  std::vector<std::string> warnings;
  Report r = read({sample_path()}, &warnings);
  const ReportTotals& t = r.totals;
  CHECK(t.containers == 6);
  CHECK(t.started == 5);
  // nginx and agnhost (their verify records say the hook is on); e5audit ran in audit mode, where
  // the verify hook is not put in: no stop record will ever come, so "running" cannot be known.
  CHECK(t.running == 2);
  CHECK(t.running_unknown == 1);
  CHECK(t.refused == 1);
  CHECK(t.refused_records == 1);
  CHECK(t.refused_by_rule == std::map<std::string, int>{{"privileged", 1}, {"host-namespaces", 1}});
  CHECK(t.would_refuse == 1);
  CHECK(t.would_refuse_by_rule == std::map<std::string, int>{{"sensitive-mounts", 1}});
  CHECK(t.host_root == 3);  // old, nginx, e5audit (audit mode)
  CHECK(t.opt_outs_granted == 1);
  CHECK(t.opt_outs_denied == 1);
  CHECK(t.audit_mode == 1);
  CHECK(t.verify_failed == 1);
  CHECK(t.execs == 2);
  CHECK(t.execs_refused == 1);
  CHECK(t.exec_containers == 1);
  CHECK(t.host_network == 1);
  CHECK(t.host_network_refused == 1);
  CHECK(t.image_sources ==
        std::map<std::string, int>{{"docker.io", 1}, {"quay.io", 1}, {"registry.k8s.io", 1}});
  CHECK(t.image_unknown == 3);
  CHECK(t.malformed_lines == 1);
}

TEST_CASE("report: a malformed line is a warning with its line number, never fatal", "[report]") {
  std::vector<std::string> warnings;
  std::string out = report_text({sample_path()}, ReportFormat::kTable, &warnings);
  REQUIRE(warnings.size() == 1);
  std::string prefix = sample_path() + ":6: malformed record: ";
  CHECK(warnings[0].compare(0, prefix.size(), prefix) == 0);
  CHECK(warnings[0].size() > prefix.size());  // a reason follows
  CHECK(out.find("malformed lines         1") != std::string::npos);

  SECTION("each kind of bad line, numbered; blank lines are counted but not reported") {
    ReportDir dir;
    const std::string ok =
        R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"applied","container":"ok1"})";
    std::string log = dir.write(
        "audit.log",
        ok + "\n" +
            "[1,2]\n" +                                                                     // 2
            R"({"v":2,"time":"2026-11-28T18:00:00Z","event":"create","decision":"applied","container":"x"})" "\n"
            "\n" +                                                                          // 4
            R"({"v":1,"time":"yesterday","event":"create","decision":"applied","container":"x"})" "\n"
            R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"applied"})" "\n"
            R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"maybe","container":"x"})" "\n"
            R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"applied","container":"x","changes":{}})" "\n"
            R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"refused","container":"x","refused":[{"reason":"r"}]})" "\n"
            "not json at all\n" +                                                           // 10
            R"({"v":1,"time":"2026-11-28T18:00:01Z","event":"create","decision":"applied","container":"ok2"})");
    std::vector<std::string> w;
    Report r = read({log}, &w);
    REQUIRE(w.size() == 8);
    const char* expected[] = {
        ":2: malformed record: not a JSON object",
        ":3: malformed record: unsupported record version 2",
        ":5: malformed record: \"time\": \"yesterday\" is not an RFC 3339 time",
        ":6: malformed record: no \"container\"",
        ":7: malformed record: unknown decision \"maybe\"",
        ":8: malformed record: \"changes\" is not an array",
        ":9: malformed record: refused[]: no \"rule\"",
        ":10: malformed record: invalid JSON",
    };
    for (size_t i = 0; i < w.size(); ++i) {
      INFO(w[i]);
      CHECK(w[i].compare(0, log.size() + std::strlen(expected[i]), log + expected[i]) == 0);
    }
    // The last line has no newline and still counts.
    REQUIRE(r.containers.size() == 2);
    CHECK(r.containers[1].id == "ok2");
    CHECK(r.totals.malformed_lines == 8);
  }
}

TEST_CASE("report: a line longer than 16 MiB is skipped, and reading goes on", "[report]") {
  ReportDir dir;
  std::string log = dir.write(
      "audit.log",
      std::string((16u << 20) + 1, 'x') + "\n" +
          R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"applied","container":"after"})"
          "\n");
  std::vector<std::string> w;
  Report r = read({log}, &w);
  REQUIRE(w.size() == 1);
  CHECK(w[0] == log + ":1: malformed record: longer than 16 MiB");
  REQUIRE(r.containers.size() == 1);
  CHECK(r.containers[0].id == "after");
}

TEST_CASE("report: table output", "[report]") {
  std::vector<std::string> warnings;
  std::string out = report_text({sample_path()}, ReportFormat::kTable, &warnings);
  std::vector<std::string> lines = lines_of(out);
  for (const auto& l : lines) {
    INFO(l);
    CHECK(l.size() <= 100);
  }
  auto has = [&](const std::string& line) {
    INFO(line);
    CHECK(std::find(lines.begin(), lines.end(), line) != lines.end());
  };
  has("CONTAINER     ENGINE      MODE     STATE    FIRST SEEN        LAST SEEN         IMAGE");
  has("01d0c0ffee00  docker      enforce  stopped  2026-11-27 09:15  2026-11-27 09:20  -");
  has("a1b2c3d4e5f6  kubernetes  enforce  started  2026-11-28 18:00  2026-11-28 18:00  nginx:1.27");
  has("privtest      docker      -        refused  2026-11-28 18:01  2026-11-28 18:01  -");
  has("c3podman0f1e  podman      enforce  stopped  2026-11-28 18:02  2026-11-28 18:06  ..odman/hello:latest");
  has("e5audit       containerd  audit    started  2026-11-28 18:04  2026-11-28 18:04  -");
  has("CONTAINER     ROOT  SECCOMP        CAPABILITIES        REFUSED            OPT-OUTS          VERIFY");
  // Capabilities as the difference from the engine's bounding set.
  has("a1b2c3d4e5f6  yes   installed      -DAC_OVERRIDE,      -                  -                 1 failed");
  has("                                   -FSETID,-FOWNER,");
  has("                                   -AUDIT_WRITE");
  has("privtest      -     -              -                   privileged,        -                 -");
  has("                                                       host-namespaces");
  has("c3podman0f1e  no    opted out      -DAC_OVERRIDE,      -                  readonly-rootfs,  -");
  has("                                   -FOWNER,-FSETID,                       seccomp,");
  has("                                   -KILL,-SETFCAP,                        !privileged");
  has("d4e5f6a7b8c9  no    kept engine's  as requested        -                  -                 ok");
  has("e5audit       yes   none           as requested        sensitive-mounts*  -                 -");
  has("  containers seen         6");
  has("  started                 5  (2 with no stop record, 1 without the verify hook, 1 in audit mode)");
  has("  refused                 1  (host-namespaces 1, privileged 1)");
  has("  ran, would be refused   1  (sensitive-mounts 1)");
  has("  running as host root    3");
  has("  with opt-outs granted   1");
  has("  with opt-outs denied    1");
  has("  failed verification     1");
  has("  exec into containers    2  (1 refused)");
  has("  malformed lines         1");
  has("  Q4  containers that asked for sensitive host mounts: 1 (refused 0); secrets in images: not logged");
  has("  Q5  containers that ran as host root: 3; asked for privileged: 1 (refused 1)");
  has("  Q6  containers that asked for the host's network: 1 (refused 1); network policies: not logged");
  has("  Q7  containers running now (started, no stop record): 2; failed verification: 1");
  has("      cannot know for 1 more, started without the verify hook (\"hook\": \"none\", or audit mode)");
  has("  Q8  image sources: docker.io 1, quay.io 1, registry.k8s.io 1, unknown 3");
  has("  Q10 processes started by exec: 2 (refused 1) in 1 container(s); other processes: not logged");
  // Ids are cut to 12 characters, like docker ps.
  CHECK(out.find(kNginx) == std::string::npos);
}

TEST_CASE("report: JSON output for scripts", "[report]") {
  std::vector<std::string> warnings;
  std::string out = report_text({sample_path()}, ReportFormat::kJson, &warnings);
  REQUIRE(out.back() == '\n');
  CHECK(out.find('\n') == out.size() - 1);  // one line
  auto parsed = parse_json(out);
  REQUIRE(parsed.ok());
  const Json& j = *parsed;
  const Json* containers = j.get_exact("containers");
  REQUIRE(containers != nullptr);
  REQUIRE(containers->items().size() == 6);
  CHECK(to_json(containers->items()[1]) ==
        R"({"id":")" + kNginx + R"(","first_seen":"2026-11-28T18:00:00.100000Z",)"
        R"("last_seen":"2026-11-28T18:00:00.400000Z","engine":"kubernetes",)"
        R"("image":"docker.io/library/nginx:1.27","registry":"docker.io","mode":"enforce","policy":null,)"
        R"("host":null,"namespace":"shop","pod":"web-7d4b9c",)"
        R"("state":"started","last_decision":"applied","verify_hook":true,"start_attempts":1,"root_on_host":true,)"
        R"("root_on_host_reason":"uid 0 and no user namespace",)"
        R"("fix":"run it in a user namespace: the pod's spec.hostUsers: false",)"
        R"("capabilities":{"as_requested":false,"bounding":["CAP_CHOWN","CAP_SETGID","CAP_SETUID","CAP_NET_BIND_SERVICE"],)"
        R"("dropped":["CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETFCAP",)"
        R"("CAP_SETPCAP","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"],"added":[]},)"
        R"("seccomp":"installed","refused":{"records":0,"rules":[]},"would_refuse":[],)"
        R"("opt_outs":{"granted":[],"denied":[]},)"
        R"("verify":{"records":1,"failed":1,"failed_checks":["seccomp"],"killed":false},)"
        R"("exec":{"total":0,"refused":0},"update":{"total":0,"refused":0}})");
  CHECK(to_json(containers->items()[2]) ==
        R"({"id":"privtest","first_seen":"2026-11-28T18:01:10.000000Z",)"
        R"("last_seen":"2026-11-28T18:01:10.000000Z","engine":"docker","image":null,)"
        R"("registry":null,"mode":null,"policy":null,"host":null,"namespace":null,"pod":null,)"
        R"("state":"refused","last_decision":"refused","verify_hook":false,"start_attempts":1,"root_on_host":null,)"
        R"("capabilities":null,"seccomp":null,)"
        R"("refused":{"records":1,"rules":["privileged","host-namespaces"]},"would_refuse":[],)"
        R"("opt_outs":{"granted":[],"denied":[]},"verify":null,)"
        R"("exec":{"total":0,"refused":0},"update":{"total":0,"refused":0}})");
  const Json& podman = containers->items()[3];
  CHECK(to_json(*podman.get_exact("opt_outs")) ==
        R"({"granted":["readonly-rootfs","seccomp"],"denied":["privileged"]})");
  CHECK(podman.get_exact("seccomp")->text() == "opted out");
  const Json& audit = containers->items()[5];
  CHECK(audit.get_exact("root_on_host")->as_bool());
  CHECK(to_json(*audit.get_exact("capabilities")) == R"({"as_requested":true,"bounding":null,"dropped":[],"added":[]})");
  CHECK(to_json(*audit.get_exact("would_refuse")) == R"(["sensitive-mounts"])");

  const Json* totals = j.get_exact("totals");
  REQUIRE(totals != nullptr);
  CHECK(to_json(*totals) ==
        R"({"containers":6,"started":5,"running":2,"running_unknown":1,)"
        R"("refused":{"containers":1,"records":1,"by_rule":{"host-namespaces":1,"privileged":1}},)"
        R"("would_refuse_by_rule":{"sensitive-mounts":1},"host_root":3,)"
        R"("opt_outs":{"granted":1,"denied":1},"audit_mode":1,"verify_failed":1,"would_refuse":1,)"
        R"("host_network":{"asked":1,"refused":1},"exec":{"total":2,"refused":1,"containers":1},)"
        R"("image_sources":{"docker.io":1,"quay.io":1,"registry.k8s.io":1},"image_unknown":3,)"
        R"("malformed_lines":1,"last_record":"2026-11-28T18:06:00.000000Z",)"
        R"("exceptions":{"live":1,"ending_within_week":0},)"
        R"("rollout":{"capabilities":{"changed":2,"refused":0,"would_refuse":0,"opted_out":0},)"
        R"("host-namespaces":{"changed":0,"refused":1,"would_refuse":0,"opted_out":0},)"
        R"("no-new-privileges":{"changed":3,"refused":0,"would_refuse":0,"opted_out":0},)"
        R"("privileged":{"changed":0,"refused":1,"would_refuse":0,"opted_out":0},)"
        R"("readonly-rootfs":{"changed":0,"refused":0,"would_refuse":0,"opted_out":1},)"
        R"("seccomp":{"changed":1,"refused":0,"would_refuse":0,"opted_out":1},)"
        R"("sensitive-mounts":{"changed":0,"refused":0,"would_refuse":1,"opted_out":0}}})");
}

TEST_CASE("report: --since keeps records at or after the time", "[report]") {
  std::vector<std::string> warnings;
  SECTION("the day before is left out") {
    Report r = read({sample_path()}, &warnings, at("2026-11-28T00:00:00Z"));
    CHECK(r.containers.size() == 5);
    for (const auto& c : r.containers) CHECK(c.id != kOld);
    CHECK(r.totals.host_root == 2);
    CHECK(r.totals.started == 4);
    CHECK(r.totals.malformed_lines == 1);  // a malformed line has no time to filter by
  }
  SECTION("fractional seconds: the cut falls between two records") {
    Report r = read({sample_path()}, &warnings, at("2026-11-28T18:03:00.500001Z"));
    REQUIRE(r.containers.size() == 3);
    const auto& agnhost = find(r, kAgnhost);  // its create is gone; verify and exec remain
    CHECK(agnhost.first_us == at("2026-11-28T18:03:01Z"));
    CHECK(agnhost.started);
    CHECK_FALSE(agnhost.start_facts);
    CHECK_FALSE(agnhost.root_on_host.has_value());
    CHECK(agnhost.execs == 2);
    CHECK(find(r, kPodman).state == "stopped");  // only its stop record is left
    CHECK(find(r, "e5audit").started);
    CHECK(r.totals.host_root == 1);
  }
  SECTION("exactly at a record's time keeps it") {
    Report r = read({sample_path()}, &warnings, at("2026-11-28T18:06:00Z"));
    REQUIRE(r.containers.size() == 1);
    CHECK(r.containers[0].id == kPodman);
  }
  SECTION("the table says so in its totals") {
    std::string out =
        report_text({sample_path()}, ReportFormat::kTable, &warnings, at("2026-11-28T00:00:00Z"));
    CHECK(out.find("  containers seen         5\n") != std::string::npos);
    CHECK(out.find("  Q5  containers that ran as host root: 2;") != std::string::npos);
  }
}

TEST_CASE("report: gzip-compressed and rotated logs", "[report]") {
  ReportDir dir;
  std::string sample = slurp(sample_path());
  std::vector<std::string> plain_warnings;
  std::string plain = report_text({sample_path()}, ReportFormat::kJson, &plain_warnings);

  SECTION("a .gz of the whole log reads the same") {
    std::string gz = dir.write_gz("audit.log.2.gz", sample);
    std::vector<std::string> w;
    CHECK(report_text({gz}, ReportFormat::kJson, &w) == plain);
    REQUIRE(w.size() == 1);
    CHECK(w[0].compare(0, gz.size() + 3, gz + ":6:") == 0);
  }
  SECTION("detected by its magic bytes, whatever the name") {
    std::string gz = dir.write_gz("audit.log", sample);
    std::vector<std::string> w;
    CHECK(report_text({gz}, ReportFormat::kJson, &w) == plain);
  }
  SECTION("rotated: older half compressed, given newest first as a shell glob would") {
    std::vector<std::string> lines = lines_of(sample);
    std::string older, newer;
    for (size_t i = 0; i < lines.size(); ++i) (i < 7 ? older : newer) += lines[i] + "\n";
    std::string current = dir.write("audit.log", newer);
    std::string rotated = dir.write_gz("audit.log.1.gz", older);
    std::vector<std::string> w;
    CHECK(report_text({current, rotated}, ReportFormat::kJson, &w) == plain);
    REQUIRE(w.size() == 1);
    CHECK(w[0].compare(0, rotated.size() + 3, rotated + ":6:") == 0);
  }
  SECTION("a truncated .gz is read as far as it goes, with a warning") {
    std::string gz = dir.write_gz("audit.log.1.gz", sample);
    struct stat st;
    REQUIRE(::stat(gz.c_str(), &st) == 0);
    REQUIRE(::truncate(gz.c_str(), st.st_size / 2) == 0);
    std::vector<std::string> w;
    ReportOptions o;
    o.logs = {gz};
    auto r = read_audit_logs(o, &w);
    REQUIRE(r.ok());
    CHECK_FALSE(r->containers.empty());
    bool said = false;
    for (const auto& s : w) {
      said = said || (s.rfind(gz + ": gzip: ", 0) == 0 &&
                      s.find("the rest of this log was not read") != std::string::npos);
    }
    CHECK(said);
  }
  SECTION("an empty log is an empty report") {
    std::string empty = dir.write("audit.log", "");
    std::vector<std::string> w;
    Report r = read({empty}, &w);
    CHECK(r.containers.empty());
    CHECK(w.empty());
    std::string out = report_text({empty}, ReportFormat::kJson, &w);
    CHECK(out.rfind(R"({"containers":[],"totals":{"containers":0,)", 0) == 0);
  }
}

TEST_CASE("report: a missing or unreadable log is an error naming it", "[report]") {
  ReportDir dir;
  std::vector<std::string> w;
  ReportOptions o;
  o.logs = {sample_path(), dir.path + "/no-such.log"};
  auto r = run_report(o, &w);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "audit log " + dir.path + "/no-such.log: No such file or directory");

  o.logs = {dir.path};
  r = run_report(o, &w);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "audit log " + dir.path + ": is a directory");
}

TEST_CASE("report: annotation text cannot drive the operator's terminal", "[report]") {
  ReportDir dir;
  std::string log = dir.write(
      "audit.log",
      R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"applied",)"
      R"("container":"evil","annotations":{"io.kubernetes.cri.image-name":"x\u001b]0;owned\u0007\u001b[2J"}})"
      "\n");
  std::vector<std::string> w;
  std::string table = report_text({log}, ReportFormat::kTable, &w);
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK(table.find('\a') == std::string::npos);
  CHECK(table.find("x?]0;owned??[2J") != std::string::npos);
  std::string json = report_text({log}, ReportFormat::kJson, &w);
  CHECK(json.find('\x1b') == std::string::npos);  // escaped by the JSON writer
}

TEST_CASE("report: image_registry", "[report]") {
  CHECK(image_registry("nginx") == "docker.io");
  CHECK(image_registry("nginx:1.27") == "docker.io");
  CHECK(image_registry("library/nginx") == "docker.io");
  CHECK(image_registry("docker.io/library/nginx:1.27") == "docker.io");
  CHECK(image_registry("index.docker.io/user/app") == "docker.io");
  CHECK(image_registry("quay.io/podman/hello:latest") == "quay.io");
  CHECK(image_registry("localhost/app") == "localhost");
  CHECK(image_registry("localhost:5000/app:1") == "localhost:5000");
  CHECK(image_registry("registry.k8s.io/pause@sha256:abc") == "registry.k8s.io");
  CHECK(image_registry("") == "");
}

}  // namespace oci_harden
