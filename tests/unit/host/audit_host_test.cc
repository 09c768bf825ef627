// Every audit record names the node it was written on (top-level "host", uname's nodename), so
// that logs gathered from a fleet still say where each container ran.

#include <sys/utsname.h>

#include <catch2/catch.hpp>

#include "shim/core/harden.hh"
#include "shim/core/json.hh"
#include "shim/host/audit.hh"

using namespace oci_harden;

TEST_CASE("audit: each record carries the host name, right after the time", "[audit][report]") {
  struct utsname u = {};
  REQUIRE(::uname(&u) == 0);
  CHECK(audit_host_name() == u.nodename);
  CHECK_FALSE(audit_host_name().empty());

  AuditEvent e;
  e.event = "verify";  // the hook's records go through the same writer
  e.decision = "unchanged";
  e.container = "c1";
  auto r = parse_json(audit_record(e, 0));
  REQUIRE(r.ok());
  const Json* host = r->get_exact("host");
  REQUIRE(host != nullptr);
  CHECK(host->text() == u.nodename);
  REQUIRE(r->members().size() > 2);
  CHECK(r->members()[2].first == "host");
}
