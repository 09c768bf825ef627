// oci-hardenctl report reads a refusal's structured fields (kind), never its message text: a
// host-network refusal is known by kind "host-network-namespace" whatever its reason says, and a
// record written before refusals carried a kind is still read by the reason of that time. The
// records written by the code (audit_record, the host-namespaces rule) carry the fields.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "shim/cli/report.hh"
#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "shim/host/audit.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

std::string refused_line(const std::string& id, const std::string& refusal) {
  return R"({"v":1,"time":"2026-11-28T18:00:00Z","event":"create","decision":"refused","container":")" + id +
         R"(","mode":"enforce","refused":[)" + refusal + "]}\n";
}

ReportTotals totals_of(const std::string& log_text) {
  char tmpl[] = "/tmp/oci-harden-report-fields-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string path = std::string(tmpl) + "/audit.log";
  std::ofstream(path, std::ios::binary) << log_text;
  ReportOptions o;
  o.logs = {path};
  std::vector<std::string> warnings;
  auto r = read_audit_logs(o, &warnings);
  (void)!std::system(("rm -rf '" + std::string(tmpl) + "'").c_str());
  REQUIRE(r.ok());
  CHECK(warnings.empty());
  return r->totals;
}

}  // namespace

TEST_CASE("report: host network known by the refusal's kind, not its text", "[report-fields]") {
  // The kind says network; the reason says nothing of it.
  ReportTotals by_kind = totals_of(refused_line(
      "a", R"({"rule":"host-namespaces","reason":"whatever text","field":"linux.namespaces","kind":"host-network-namespace"})"));
  CHECK(by_kind.host_network_refused == 1);
  // The reason reads like a network refusal; the kind says pid: not the host's network.
  ReportTotals not_network = totals_of(refused_line(
      "b", R"({"rule":"host-namespaces","reason":"network namespace missing","field":"linux.namespaces","kind":"host-pid-namespace"})"));
  CHECK(not_network.host_network_refused == 0);
  // A record from before refusals had a kind: read by the reason host-namespaces wrote then.
  ReportTotals old = totals_of(refused_line(
      "c", R"X({"rule":"host-namespaces","reason":"network namespace missing: the container would share the host's (--network host)"})X"));
  CHECK(old.host_network_refused == 1);
}

TEST_CASE("audit record: a refusal carries its field and kind when the rule names them", "[report-fields]") {
  FakeHost host;
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  auto spec = parse_spec(R"({"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},)"
                         R"("linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}})");
  REQUIRE(spec.ok());
  Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/b"});
  const Refusal* network = nullptr;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "host-namespaces" && r.kind == "host-network-namespace") network = &r;
  }
  REQUIRE(network != nullptr);
  CHECK(network->field == "linux.namespaces");
  AuditEvent e;
  e.event = "create";
  e.decision = "refused";
  e.refused = d.refusals;
  auto line = parse_json(audit_record(e, 0));
  REQUIRE(line.ok());
  bool found = false;
  for (const Json& r : line->get_exact("refused")->items()) {
    const Json* kind = r.get_exact("kind");
    if (kind != nullptr && kind->text() == "host-network-namespace") {
      found = r.get_exact("field") != nullptr && r.get_exact("field")->text() == "linux.namespaces";
    }
  }
  CHECK(found);
  // A refusal without structured fields has none in the record.
  e.refused = {Refusal{"spec", "unreadable"}};
  auto plain = parse_json(audit_record(e, 0));
  REQUIRE(plain.ok());
  CHECK(plain->get_exact("refused")->items()[0].get_exact("kind") == nullptr);
}

}  // namespace oci_harden
