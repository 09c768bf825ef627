// Image references normalised as Docker does, and allowed_registries entries matched by component.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shim/core/image_ref.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

std::string name_of(const std::string& text) {
  auto r = parse_image_ref(text);
  INFO(text << ": " << (r ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return r->name();
}

std::string error_of(const std::string& text) {
  auto r = parse_image_ref(text);
  INFO(text << " parsed as " << (r ? r->name() : std::string()));
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

TEST_CASE("image_ref: Docker's normalisation", "[registries]") {
  CHECK(name_of("busybox") == "docker.io/library/busybox");
  CHECK(name_of("busybox:1.36") == "docker.io/library/busybox");
  CHECK(name_of("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") ==
        "docker.io/library/busybox");
  CHECK(name_of("user/x") == "docker.io/user/x");
  CHECK(name_of("docker.io/library/busybox:latest") == "docker.io/library/busybox");
  CHECK(name_of("docker.io/busybox") == "docker.io/library/busybox");
  CHECK(name_of("index.docker.io/busybox") == "docker.io/library/busybox");
  CHECK(name_of("index.docker.io/user/x") == "docker.io/user/x");
  CHECK(name_of("localhost/x") == "localhost/x");
  CHECK(name_of("localhost:5000/x:1") == "localhost:5000/x");
  CHECK(name_of("registry.k8s.io/e2e-test-images/agnhost:2.52") == "registry.k8s.io/e2e-test-images/agnhost");
  CHECK(name_of("quay.io/podman/hello:latest") == "quay.io/podman/hello");
  CHECK(name_of("Registry.Example.COM/team/app") == "registry.example.com/team/app");
  CHECK(name_of("Foo/bar") == "foo/bar");  // an upper-case first component is a host, as for Docker
  CHECK(name_of("a/b/c__d-e.f_g") == "docker.io/a/b/c__d-e.f_g");
  auto r = parse_image_ref("localhost:5000/x:1.0@sha256:0123456789abcdef0123456789abcdef");
  REQUIRE(r.ok());
  CHECK(r->tag == "1.0");
  CHECK(r->digest == "sha256:0123456789abcdef0123456789abcdef");
}

TEST_CASE("image_ref: outside Docker's grammar is an error", "[registries]") {
  CHECK_THAT(error_of("registry.example.com@evil"), Contains("not a digest"));
  CHECK_THAT(error_of("user@registry.example.com/x"), Contains("not a digest"));
  CHECK_THAT(error_of("registry.example.com./x"), Contains("not a registry host"));
  CHECK_THAT(error_of(".registry.example.com/x"), Contains("not a registry host"));
  CHECK_THAT(error_of("registry..example.com/x"), Contains("not a registry host"));
  CHECK_THAT(error_of("registry.example.com:/x"), Contains("not a registry host"));
  CHECK_THAT(error_of("docker.io/Library/busybox"), Contains("repository path"));
  CHECK_THAT(error_of("BusyBox"), Contains("repository path"));
  CHECK_THAT(error_of("x:"), Contains("not a tag"));
  CHECK_THAT(error_of(""), Contains("no repository"));
  CHECK_THAT(error_of("registry.example.com//x"), Contains("repository path"));
  CHECK_THAT(error_of("https://registry.example.com/x"), Contains("not"));
  CHECK_THAT(error_of("registry.example.com/x "), Contains("not"));
}

TEST_CASE("image_ref: allowed_registries entries", "[registries]") {
  auto allowed = [](const std::string& image, const std::vector<std::string>& entries) {
    auto r = parse_image_ref(image);
    REQUIRE(r.ok());
    return registry_allowed(*r, entries);
  };
  CHECK(allowed("busybox", {"docker.io"}));
  CHECK(allowed("busybox", {"index.docker.io"}));
  CHECK(allowed("busybox", {"docker.io/library/"}));
  CHECK(allowed("busybox", {"docker.io/library"}));
  CHECK_FALSE(allowed("user/x", {"docker.io/library/"}));
  CHECK(allowed("registry.example.com/team/app:1", {"registry.example.com/team/"}));
  CHECK(allowed("registry.example.com/team/app:1", {"REGISTRY.example.com"}));
  CHECK_FALSE(allowed("registry.example.com/teamevil/app", {"registry.example.com/team/"}));
  CHECK_FALSE(allowed("registry.example.com/team-evil/app", {"registry.example.com/team"}));
  CHECK_FALSE(allowed("registry.example.com.evil.com/x", {"registry.example.com"}));
  CHECK_FALSE(allowed("registry.example.com-evil/x", {"registry.example.com"}));
  CHECK_FALSE(allowed("registry.example.com:5000/x", {"registry.example.com"}));
  CHECK(allowed("localhost:5000/x", {"localhost:5000"}));
  CHECK_FALSE(allowed("localhost:5001/x", {"localhost:5000"}));
  CHECK_FALSE(allowed("busybox", {}));
}

TEST_CASE("image_ref: entries are checked when the policy loads", "[registries]") {
  CHECK(check_registry_entry("registry.example.com").ok());
  CHECK(check_registry_entry("registry.example.com/team/").ok());
  CHECK(check_registry_entry("localhost:5000").ok());
  CHECK_FALSE(check_registry_entry("").ok());
  CHECK_FALSE(check_registry_entry("https://registry.example.com").ok());
  CHECK_FALSE(check_registry_entry("registry.example.com.").ok());
  CHECK_FALSE(check_registry_entry("user@registry.example.com").ok());
  CHECK_FALSE(check_registry_entry("registry.example.com/Team/").ok());
}

}  // namespace
}  // namespace oci_harden
