// trusted-registries: off without allowed_registries; the image an engine names allowed or
// refused; an unknown image recorded or refused as the policy says; the policy's keys checked.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

std::string data_file(const std::string& name) {
  std::string here = __FILE__;
  std::ifstream in(here.substr(0, here.rfind('/') + 1) + "../data/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Decision decide(const Policy& policy, const std::string& image) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  if (!image.empty()) {
    ensure_object(spec, "annotations").set_exact("io.kubernetes.cri.image-name", Json::string(image));
  }
  FakeHost host;
  return harden_spec(std::move(spec), policy, host, Invocation{"create", "c1", "/bundles/c1"});
}

Policy policy_from(const std::string& text) {
  auto p = parse_policy(text, "");
  INFO((p.ok() ? std::string() : p.error().message));
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  return out;
}

std::string reasons(const Decision& d, const char* rule = "trusted-registries") {
  std::string s;
  for (const Refusal& r : d.refusals) {
    if (r.rule == rule) s += r.reason + "\n";
  }
  return s;
}

std::string notes(const Decision& d) {
  std::string s;
  for (const Note& n : d.notes) {
    if (n.rule == "trusted-registries") s += n.text + "\n";
  }
  return s;
}

TEST_CASE("trusted-registries: no allowed_registries, no check", "[registries]") {
  Policy policy = policy_from("{}");
  Decision d = decide(policy, "evil.com/x");
  CHECK(reasons(d).empty());
  CHECK(notes(decide(policy, "")).empty());
}

TEST_CASE("trusted-registries: the named image allowed or refused, naming field and registry", "[registries]") {
  Policy policy = policy_from(R"({"allowed_registries": ["registry.example.com", "docker.io/library/"]})");
  CHECK(reasons(decide(policy, "busybox:1.36")).empty());
  CHECK(reasons(decide(policy, "registry.example.com/team/app")).empty());
  std::string r = reasons(decide(policy, "evil.com/x:1"));
  CHECK_THAT(r, Contains("annotations[\"io.kubernetes.cri.image-name\"]"));
  CHECK_THAT(r, Contains("evil.com/x, from registry evil.com"));
  CHECK_THAT(reasons(decide(policy, "nginx-user/nginx")), Contains("docker.io/nginx-user/nginx"));
}

TEST_CASE("trusted-registries: an unknown image is recorded, or refused", "[registries]") {
  Policy record = policy_from(R"({"allowed_registries": ["registry.example.com"]})");
  Decision d = decide(record, "");
  CHECK(reasons(d).empty());
  CHECK_THAT(notes(d), Contains("no image name in the spec"));
  Policy refuse = policy_from(R"({"allowed_registries": ["registry.example.com"], "unknown_image": "refuse"})");
  CHECK_THAT(reasons(decide(refuse, "")), Contains("unknown_image: refuse"));
}

TEST_CASE("trusted-registries: policy keys are checked", "[registries]") {
  auto bad_entry = parse_policy(R"({"allowed_registries": ["https://registry.example.com"]})", "");
  REQUIRE_FALSE(bad_entry.ok());
  CHECK_THAT(bad_entry.error().message, Contains("allowed_registries"));
  auto bad_word = parse_policy(R"({"unknown_image": "allow"})", "");
  REQUIRE_FALSE(bad_word.ok());
  CHECK_THAT(bad_word.error().message, Contains("unknown_image"));
  CHECK(find_rule("trusted-registries") != nullptr);
}

}  // namespace
}  // namespace oci_harden
