// The bypass corpus for trusted-registries: image names spelt to slip past allowed_registries
// (Docker's short forms, Docker Hub's old host, case, look-alike hosts, userinfo, digests in the
// wrong place, trailing dots, prefixes that do not end at a component, two annotations that
// disagree). Each attempt goes through parse_spec and harden_spec as `oci-harden create` does.
// The name is only as true as the spec's author: see trusted-registries in oci-harden(8).

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/harden.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

const char* const kCri = "io.kubernetes.cri.image-name";
const char* const kCrio = "io.kubernetes.cri-o.ImageName";

using test::data_file;

// `runc spec` (root writable) with `annotations` set to the raw JSON object given.
std::string with_annotations(const std::string& annotations) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  field(&spec, "root")->set("readonly", Json::boolean(false));
  spec.erase("annotations");
  std::string text = to_json(spec);
  return text.substr(0, text.size() - 1) + ",\"annotations\":" + annotations + "}";
}

std::string one(const char* key, const std::string& value) {
  return "{" + to_json(Json::string(key)) + ":" + to_json(Json::string(value)) + "}";
}

Policy registries_policy(std::vector<std::string> allowed) {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  out.allowed_registries = std::move(allowed);
  out.unknown_image = UnknownImage::kRefuse;
  return out;
}

// The reasons trusted-registries gave, "" when it let the image through; a spec that does not
// load (exit 4 before any rule) is reported as such.
std::string verdict(const std::string& text, const Policy& policy) {
  auto spec = parse_spec(text);
  if (!spec) return "load error: " + spec.error().message;
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  Decision d = harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", "/bundles/c1"});
  std::string s;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "trusted-registries") s += r.reason + "\n";
  }
  return s;
}

const std::vector<std::string> kAllowed = {"registry.example.com", "docker.io/library/"};

TEST_CASE("bypass/registries: Docker Hub's spellings of one official image are one image",
          "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  for (const char* image : {"busybox", "busybox:1.36", "docker.io/library/busybox", "docker.io/busybox",
                            "index.docker.io/busybox", "index.docker.io/library/busybox:latest"}) {
    INFO(image);
    CHECK(verdict(with_annotations(one(kCri, image)), policy).empty());
  }
  // ...and a user's repository on Docker Hub is not an official image, however spelt.
  for (const char* image : {"user/busybox", "docker.io/user/busybox", "index.docker.io/user/busybox",
                            "DOCKER.IO/user/busybox", "docker.io/library-evil/busybox"}) {
    INFO(image);
    CHECK_THAT(verdict(with_annotations(one(kCri, image)), policy), Contains("allowed_registries does not list"));
  }
}

TEST_CASE("bypass/registries: host case is the host's; look-alike hosts are other hosts",
          "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  CHECK(verdict(with_annotations(one(kCri, "REGISTRY.Example.com/team/app")), policy).empty());
  for (const char* image : {"registry.example.com.evil.com/x", "evil.registry.example.com/x",
                            "registry.example.com-evil/x", "registry.example.com:5000/x",
                            "EVIL.COM/x", "registry-example.com/x"}) {
    INFO(image);
    CHECK_THAT(verdict(with_annotations(one(kCri, image)), policy), Contains("allowed_registries does not list"));
  }
}

TEST_CASE("bypass/registries: userinfo, '@' tricks, trailing dots and odd bytes are not references",
          "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  for (const char* image : {"registry.example.com@evil", "evil.com/x@registry.example.com",
                            "user@registry.example.com/x", "user:pw@evil.com/x", "registry.example.com./x",
                            "registry.example.com../x", "https://registry.example.com/x",
                            "registry.example.com/x\n", " registry.example.com/x", "registry.example.com/X",
                            "registry.example.com\\evil.com/x", "registry.example.com%2Fevil.com/x"}) {
    INFO(image);
    CHECK_THAT(verdict(with_annotations(one(kCri, image)), policy), Contains("is not an image reference"));
  }
}

// Breaker (issue 13), live under containerd 1.6's CRI plugin: an image whose tag was removed is
// still in containerd's store under its ID; a pod asking for `sha256:<id>` (or the bare hex) got
// io.kubernetes.cri.image-name "sha256:<id>", read as docker.io/library/sha256 and let through.
TEST_CASE("bypass/registries: an image ID names no registry", "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  const std::string hex = "4eece902a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c";
  for (const std::string& image : {"sha256:" + hex, hex}) {
    INFO(image);
    CHECK_THAT(verdict(with_annotations(one(kCri, image)), policy), Contains("an image ID names no registry"));
  }
  // A repository that merely starts like one is a name as before.
  CHECK(verdict(with_annotations(one(kCri, "sha256")), policy).empty());
}

// Breaker (issue 13): containerd 1.6 writes no image name for a pod sandbox, so with
// pod_annotations ["*"] the pod's own io.kubernetes.cri.image-name reached the pause container.
TEST_CASE("bypass/registries: a pod sandbox's io.kubernetes.cri.image-name is the pod's, not read",
          "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  std::string sandbox = R"({"io.kubernetes.cri.container-type":"sandbox",
                            "io.kubernetes.cri.image-name":"registry.example.com/trusted/app:1"})";
  CHECK_THAT(verdict(with_annotations(sandbox), policy), Contains("no image name in the spec"));
  std::string container = R"({"io.kubernetes.cri.container-type":"container",
                              "io.kubernetes.cri.image-name":"registry.example.com/trusted/app:1"})";
  CHECK(verdict(with_annotations(container), policy).empty());
}

TEST_CASE("bypass/registries: a prefix entry ends at a component", "[bypass][trusted-registries]") {
  Policy policy = registries_policy({"registry.example.com/team", "registry.example.com/ops/"});
  CHECK(verdict(with_annotations(one(kCri, "registry.example.com/team/app:1")), policy).empty());
  CHECK(verdict(with_annotations(one(kCri, "registry.example.com/ops/app")), policy).empty());
  for (const char* image : {"registry.example.com/team-evil/x", "registry.example.com/teamx",
                            "registry.example.com/opsevil/x", "registry.example.com/x",
                            "registry.example.com-evil/team/x"}) {
    INFO(image);
    CHECK_THAT(verdict(with_annotations(one(kCri, image)), policy), Contains("allowed_registries does not list"));
  }
}

TEST_CASE("bypass/registries: two image annotations that disagree are refused",
          "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  std::string two = "{" + to_json(Json::string(kCri)) + ":\"evil.com/x\"," + to_json(Json::string(kCrio)) +
                    ":\"registry.example.com/x\"}";
  CHECK_THAT(verdict(with_annotations(two), policy), Contains("two image names that disagree"));
  std::string reversed = "{" + to_json(Json::string(kCri)) + ":\"registry.example.com/x\"," +
                         to_json(Json::string("io.containerd.image.name")) + ":\"evil.com/x\"}";
  CHECK_THAT(verdict(with_annotations(reversed), policy), Contains("two image names that disagree"));
  std::string sandbox = "{" + to_json(Json::string(kCri)) + ":\"registry.example.com/x\"," +
                        to_json(Json::string("io.kubernetes.cri.podsandbox.image-name")) + ":\"evil.com/pause\"}";
  CHECK_THAT(verdict(with_annotations(sandbox), policy), Contains("two image names that disagree"));
  CHECK_THAT(verdict(with_annotations(one("io.kubernetes.cri.podsandbox.image-name", "evil.com/pause:3.9")), policy),
             Contains("from registry evil.com"));
  // Two spellings of the same image agree.
  std::string same = "{" + to_json(Json::string(kCri)) + ":\"busybox:1\"," + to_json(Json::string(kCrio)) +
                     ":\"docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef\"}";
  CHECK(verdict(with_annotations(same), policy).empty());
}

TEST_CASE("bypass/registries: a duplicate key is judged as runc reads it, or not loaded",
          "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  std::string dup = "{" + to_json(Json::string(kCri)) + ":\"registry.example.com/x\"," +
                    to_json(Json::string(kCri)) + ":\"evil.com/x\"}";
  std::string v = verdict(with_annotations(dup), policy);
  INFO(v);
  CHECK((v.rfind("load error", 0) == 0 || v.find("evil.com") != std::string::npos));
}

TEST_CASE("bypass/registries: a key in another case is not the engine's key: the image is unknown",
          "[bypass][trusted-registries]") {
  Policy policy = registries_policy(kAllowed);
  CHECK_THAT(verdict(with_annotations(one("IO.KUBERNETES.CRI.IMAGE-NAME", "registry.example.com/x")), policy),
             Contains("no image name in the spec"));
  CHECK_THAT(verdict(with_annotations("{}"), policy), Contains("unknown_image: refuse"));
}

}  // namespace
}  // namespace oci_harden
