// Rootless engines (issue 17.3): the audit record's user through oci-harden's own uid map, and
// this process's identity as read from the kernel.

#include <catch2/catch.hpp>

#include <unistd.h>

#include "shim/core/spec.hh"
#include "shim/host/audit.hh"
#include "shim/host/process_identity.hh"

namespace oci_harden {
namespace {

const std::vector<IdMapRange> kRootlessPodman{IdMapRange{0, 1001, 1}, IdMapRange{1, 165536, 65536}};

Json spec_of(const std::string& text) {
  auto s = parse_spec(text);
  REQUIRE(s.ok());
  return std::move(*s);
}

TEST_CASE("rootless: the record's user is the host's uid, not the namespace's root", "[rootless]") {
  Json spec = spec_of(R"({"process":{"user":{"uid":0,"gid":0}},"linux":{"namespaces":[{"type":"pid"}]}})");
  Json plain = user_summary(spec, {IdMapRange{0, 0, UINT32_MAX}});
  CHECK(int_field(&plain, "host_uid") == 0);
  CHECK(field(&plain, "root_on_host")->as_bool());
  CHECK(field(&plain, "rootless") == nullptr);
  Json rootless = user_summary(spec, kRootlessPodman);
  CHECK(int_field(&rootless, "host_uid") == 1001);
  CHECK_FALSE(field(&rootless, "root_on_host")->as_bool());
  CHECK(field(&rootless, "rootless")->as_bool());
  Json nobody = user_summary(spec_of(R"({"process":{"user":{"uid":70000,"gid":0}}})"), kRootlessPodman);
  CHECK_FALSE(int_field(&nobody, "host_uid").has_value());
  CHECK_FALSE(field(&nobody, "root_on_host")->as_bool());
}

TEST_CASE("rootless: own_identity reads this process's euid and uid map", "[rootless]") {
  const ProcessIdentity& who = own_identity();
  CHECK(who.euid == static_cast<uint32_t>(::geteuid()));
  REQUIRE_FALSE(who.uid_map.empty());
  CHECK(outer_id(who.uid_map, who.euid).has_value());
  CHECK(is_rootless(who) == (host_uid_of(who) != 0u));
}

}  // namespace
}  // namespace oci_harden
