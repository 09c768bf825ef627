// The bypass corpus for one policy per workload (shim/core/selectors.hh): a container's author
// writes annotations, or a policy is written with a pattern, hoping the selectors hand it a
// weaker policy. Each attempt goes through parse_spec, the selection and harden_spec, as
// `oci-harden create` does. The weaker policy here turns host-namespaces off, so a spec that
// omits the pid namespace is refused under the default and let through under "privileged".
// What each engine does with such annotations is in tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/selectors.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

constexpr const char* kId = "c1";
constexpr const char* kCri = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1";
constexpr const char* kMoby = "/run/containerd/io.containerd.runtime.v2.task/moby/c1";
constexpr const char* kCtr = "/run/containerd/io.containerd.runtime.v2.task/default/c1";
constexpr const char* kPodman = "/var/lib/containers/storage/overlay-containers/c1/userdata";
constexpr const char* kByHand = "/tmp/bundles/c1";

const char* const kPolicy = R"({
  "selector_labels": ["example.com/tier"],
  "policies": {"privileged": {"mode": "audit", "disabled_rules": ["host-namespaces"]}},
  "selectors": [
    {"match": {"namespace": "kube-system"}, "policy": "privileged"},
    {"match": {"image": "registry.example.com/ci/*"}, "policy": "privileged"},
    {"match": {"label": {"key": "example.com/tier", "value": "system"}}, "policy": "privileged"}
  ]
})";

using test::data_file;

// `runc spec` without its pid namespace (the host's pid namespace), with `annotations` (raw JSON).
std::string host_pid_spec(const std::string& annotations) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  Json* nss = spec.get("linux")->get("namespaces");
  auto& items = nss->items();
  items.erase(items.begin());  // "pid" is the first in runc spec
  REQUIRE(to_json(*nss).find("\"pid\"") == std::string::npos);
  spec.erase("annotations");
  std::string text = to_json(spec);
  return text.substr(0, text.size() - 1) + ",\"annotations\":" + annotations + "}";
}

struct Outcome {
  std::string policy;
  bool refused_by_host_namespaces = false;
};

Outcome start(const std::string& annotations, const std::string& bundle, const char* policy_text = kPolicy) {
  auto policy = parse_policy(policy_text, "/etc/oci-harden/policy.json");
  INFO((policy.ok() ? std::string() : policy.error().message));
  REQUIRE(policy.ok());
  auto spec = parse_spec(host_pid_spec(annotations));
  INFO((spec.ok() ? std::string() : spec.error().message));
  REQUIRE(spec.ok());
  const Policy& chosen = select_policy(*policy, workload_of(*spec, bundle, kId, policy->selector_labels));
  FakeHost host;
  Decision d = harden_spec(std::move(*spec), chosen, host, Invocation{"create", kId, bundle});
  Outcome o;
  o.policy = chosen.name;
  for (const Refusal& r : d.refusals) o.refused_by_host_namespaces |= r.rule == "host-namespaces";
  return o;
}

void forged(const std::string& annotations, const std::string& bundle) {
  INFO(annotations << " in " << bundle);
  Outcome o = start(annotations, bundle);
  CHECK(o.policy == "default");
  CHECK(o.refused_by_host_namespaces);
}

TEST_CASE("bypass selectors: the CRI plugin's own namespace selects the policy (the control)", "[bypass][selectors]") {
  Outcome o = start(R"({"io.kubernetes.cri.sandbox-namespace":"kube-system"})", kCri);
  CHECK(o.policy == "privileged");
  CHECK_FALSE(o.refused_by_host_namespaces);
  o = start(R"({"io.kubernetes.cri.sandbox-namespace":"apps"})", kCri);
  CHECK(o.policy == "default");
  CHECK(o.refused_by_host_namespaces);
}

TEST_CASE("bypass selectors: a namespace annotation from a bundle the CRI plugin did not make",
          "[bypass][selectors]") {
  const std::string ns = R"({"io.kubernetes.cri.sandbox-namespace":"kube-system"})";
  forged(ns, kMoby);    // docker run --annotation (Docker 24)
  forged(ns, kPodman);  // podman run --annotation
  forged(ns, kCtr);     // ctr run --config, containerd namespace "default"
  forged(ns, kByHand);  // runc called by hand
  // A bundle path shaped like the CRI plugin's but not the container's own.
  INFO("k8s.io bundle of another container id");
  Outcome o = start(ns, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/other");
  CHECK(o.policy == "default");
  o = start(ns, "/var/lib/k8s.io/c1");
  CHECK(o.policy == "default");
}

TEST_CASE("bypass selectors: other namespace annotations, case and whitespace variants", "[bypass][selectors]") {
  // Kubelet's label and CRI-O's annotation reach a containerd spec only as pass-through pod
  // annotations, which the pod's author writes.
  forged(R"({"io.kubernetes.pod.namespace":"kube-system","io.kubernetes.cri.sandbox-namespace":"apps"})", kCri);
  forged(R"({"io.kubernetes.pod.namespace":"kube-system"})", kCri);
  forged(R"({"IO.KUBERNETES.CRI.SANDBOX-NAMESPACE":"kube-system","io.kubernetes.cri.sandbox-namespace":"apps"})", kCri);
  forged(R"({"io.kubernetes.cri.sandbox-namespace ":"kube-system","io.kubernetes.cri.sandbox-namespace":"apps"})", kCri);
  forged(R"({"io.kubernetes.cri.sandbox-namespace":"kube-system "})", kCri);
  forged(R"({"io.kubernetes.cri.sandbox-namespace":"Kube-System"})", kCri);
  forged(R"({"io.kubernetes.cri.sandbox-namespace":"kube-system\u0000"})", kCri);
  forged(R"({"io.kubernetes.cri.sandbox-namespace":["kube-system"]})", kCri);
}

TEST_CASE("bypass selectors: a spoofed image annotation", "[bypass][selectors]") {
  const std::string ci =
      R"({"io.kubernetes.cri.container-type":"container", "io.kubernetes.cri.image-name":"registry.example.com/ci/tool:1"})";
  forged(ci, kMoby);
  forged(ci, kPodman);
  forged(ci, kCtr);
  forged(R"({"io.containerd.image.name":"registry.example.com/ci/tool:1"})", kCri);
  forged(R"({"org.opencontainers.image.ref.name":"registry.example.com/ci/tool:1"})", kPodman);
  // Under the CRI plugin, names that merely look like the prefix.
  forged(R"({"io.kubernetes.cri.image-name":"registry.example.com/ci-evil/tool:1"})", kCri);
  forged(R"({"io.kubernetes.cri.image-name":"registry.example.com/ci"})", kCri);
  forged(R"({"io.kubernetes.cri.image-name":"evil.example/registry.example.com/ci/tool"})", kCri);
  forged(R"({"io.kubernetes.cri.image-name":"REGISTRY.EXAMPLE.COM/ci/tool"})", kCri);
  CHECK(start(ci, kCri).policy == "privileged");  // the control
  // Breaker (issue 13): a pod sandbox gets no image name from containerd 1.6, so with
  // pod_annotations ["*"] the pod's own io.kubernetes.cri.image-name reached the pause container.
  forged(R"({"io.kubernetes.cri.container-type":"sandbox", "io.kubernetes.cri.image-name":"registry.example.com/ci/tool:1"})", kCri);
  forged(R"({"io.kubernetes.cri.image-name":"registry.example.com/ci/tool:1"})", kCri);
}

TEST_CASE("bypass selectors: a label key the policy does not list, or a variant of a listed one",
          "[bypass][selectors]") {
  CHECK(start(R"({"example.com/tier":"system"})", kByHand).policy == "privileged");  // the control
  forged(R"({"example.com/other":"system"})", kByHand);
  forged(R"({"Example.com/tier":"system"})", kByHand);
  forged(R"({"example.com/tier ":"system"})", kByHand);
  forged(R"({"example.com/tier":"System"})", kByHand);
  forged(R"({"example.com/tier":" system"})", kByHand);
  forged(R"({"example.com/tier":"sys*"})", kByHand);
  // A policy cannot select on a label it did not list.
  auto p = parse_policy(R"({"policies": {"x": {"mode": "audit"}},
    "selectors": [{"match": {"label": {"key": "example.com/tier", "value": "system"}}, "policy": "x"}]})",
                        "/etc/oci-harden/policy.json");
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.error().message, Contains("not listed in selector_labels"));
}

TEST_CASE("bypass selectors: selector values with glob metacharacters are refused at load", "[bypass][selectors]") {
  for (const char* match : {R"({"namespace": "kube-*"})", R"({"namespace": "*"})", R"({"namespace": "kube-syste?"})",
                            R"({"image": "*/ci/*"})", R"({"image": "registry.example.com/[c]i/*"})",
                            R"({"label": {"key": "t", "value": "sys*"}})"}) {
    auto p = parse_policy(std::string(R"({"selector_labels": ["t"], "policies": {"x": {"mode": "audit"}},
      "selectors": [{"match": )") + match + R"(, "policy": "x"}]})", "/etc/oci-harden/policy.json");
    INFO(match);
    CHECK_FALSE(p.ok());
  }
}

TEST_CASE("bypass selectors: a duplicated namespace annotation is refused when the spec is loaded",
          "[bypass][selectors]") {
  auto spec = parse_spec(host_pid_spec(
      R"({"io.kubernetes.cri.sandbox-namespace":"apps","io.kubernetes.cri.sandbox-namespace":"kube-system"})"));
  CHECK_FALSE(spec.ok());
}

}  // namespace
}  // namespace oci_harden
