// One policy per workload: named policies (inheritance, deep merge, lists replaced whole), the
// selectors (first match wins, exact strings, an image prefix), the facts believed from the
// bundle path, and the errors that name the key (unknown policy, cycle, unknown parent, a selector
// that can never match, unknown match keys).

#include <catch2/catch.hpp>

#include <string>

#include "shim/core/engine_bundle.hh"
#include "shim/core/policy.hh"
#include "shim/core/selectors.hh"
#include "shim/core/spec.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

constexpr const char* kOrigin = "/etc/oci-harden/policy.json";
constexpr const char* kK8sBundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1";

// A restricted default, baseline from it, privileged (audit) from baseline, as the brief's example.
const char* const kPolicy = R"({
  "capabilities": ["CAP_CHOWN"],
  "limits": {"pids": {"default": 100, "max": 200}, "memory": {"default": 1000000, "max": 2000000}},
  "selector_labels": ["example.com/tier"],
  "policies": {
    "baseline": {"capabilities": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"], "limits": {"pids": {"max": 500}}},
    "privileged": {"inherits": "baseline", "mode": "audit", "disabled_rules": ["host-namespaces"]}
  },
  "selectors": [
    {"match": {"namespace": "kube-system"}, "policy": "privileged"},
    {"match": {"image": "registry.example.com/ci/*"}, "policy": "baseline"},
    {"match": {"engine": "podman"}, "policy": "baseline"},
    {"match": {"label": {"key": "example.com/tier", "value": "batch"}}, "policy": "baseline"}
  ]
})";

Policy load(const std::string& text) {
  auto p = parse_policy(text, kOrigin);
  INFO((p.ok() ? std::string() : p.error().message));
  REQUIRE(p.ok());
  return std::move(*p);
}

std::string load_error(const std::string& text) {
  auto p = parse_policy(text, kOrigin);
  REQUIRE_FALSE(p.ok());
  return p.error().message;
}

Json spec_with(const std::string& annotations) {
  auto s = parse_spec(R"({"ociVersion":"1.0.2","annotations":)" + annotations + "}");
  REQUIRE(s.ok());
  return std::move(*s);
}

const Policy& chosen(const Policy& p, const std::string& annotations, const std::string& bundle = kK8sBundle,
                     const std::string& id = "c1") {
  return select_policy(p, workload_of(spec_with(annotations), bundle, id, p.selector_labels));
}

TEST_CASE("selectors: the built-in policy has no named policies and no selectors", "[selectors]") {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  CHECK(p->name == "default");
  CHECK(p->named_policies.empty());
  CHECK(p->selectors.empty());
  CHECK(&select_policy(*p, Workload{"kubernetes", std::string("kube-system"), std::nullopt, {}}) == &*p);
}

TEST_CASE("selectors: inheritance merges objects key by key and replaces lists whole", "[selectors]") {
  Policy p = load(kPolicy);
  REQUIRE(p.named_policies.size() == 2);
  const Policy& baseline = *p.named_policies[0];
  const Policy& privileged = *p.named_policies[1];
  CHECK(baseline.name == "baseline");
  CHECK(baseline.capabilities == std::vector<std::string>{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"});
  CHECK(*baseline.pids.max == 500);             // changed
  CHECK(*baseline.pids.default_value == 100);   // kept from the top level (deep merge)
  CHECK(*baseline.memory.max == 2000000);       // kept from the top level
  CHECK(baseline.mode == Mode::kEnforce);
  CHECK(privileged.mode == Mode::kAudit);
  CHECK(*privileged.pids.max == 500);  // from baseline
  CHECK_FALSE(privileged.rule_enabled("host-namespaces"));
  CHECK(baseline.rule_enabled("host-namespaces"));
  CHECK(privileged.seccomp_profile == p.seccomp_profile);  // shared, loaded once
  CHECK(privileged.seccomp_profile_path == p.seccomp_profile_path);
  CHECK(privileged.digest == p.digest);
  CHECK(privileged.path == p.path);
}

TEST_CASE("selectors: the first match wins, the default applies otherwise", "[selectors]") {
  Policy p = load(kPolicy);
  CHECK(chosen(p, R"({"io.kubernetes.cri.sandbox-namespace":"kube-system"})").name == "privileged");
  // kube-system wins over the image selector after it.
  CHECK(chosen(p, R"({"io.kubernetes.cri.sandbox-namespace":"kube-system",
                      "io.kubernetes.cri.container-type":"container", "io.kubernetes.cri.image-name":"registry.example.com/ci/x:1"})").name == "privileged");
  CHECK(chosen(p, R"({"io.kubernetes.cri.sandbox-namespace":"apps",
                      "io.kubernetes.cri.container-type":"container", "io.kubernetes.cri.image-name":"registry.example.com/ci/x:1"})").name == "baseline");
  CHECK(chosen(p, R"({"io.kubernetes.cri.sandbox-namespace":"apps",
                      "io.kubernetes.cri.container-type":"container", "io.kubernetes.cri.image-name":"docker.io/library/busybox:latest"})").name == "default");
  CHECK(chosen(p, R"({})", "/var/lib/containers/storage/overlay-containers/c1/userdata").name == "baseline");
  CHECK(chosen(p, R"({"example.com/tier":"batch"})", "/tmp/bundle").name == "baseline");
  CHECK(chosen(p, R"({"example.com/tier":"web"})", "/tmp/bundle").name == "default");
  std::string by;
  const Workload w = workload_of(spec_with(R"({"io.kubernetes.cri.sandbox-namespace":"kube-system"})"),
                                 kK8sBundle, "c1", p.selector_labels);
  CHECK(select_policy(p, w, &by).name == "privileged");
  CHECK(by == "selectors[0]");
}

TEST_CASE("selectors: a selector may name the default explicitly", "[selectors]") {
  Policy p = load(R"({"policies": {"open": {"mode": "audit"}},
    "selectors": [{"match": {"namespace": "prod"}, "policy": "default"},
                  {"match": {"engine": "kubernetes"}, "policy": "open"}]})");
  CHECK(chosen(p, R"({"io.kubernetes.cri.sandbox-namespace":"prod"})").name == "default");
  CHECK(chosen(p, R"({"io.kubernetes.cri.sandbox-namespace":"dev"})").name == "open");
}

TEST_CASE("selectors: the engine comes from the bundle path and the container id", "[selectors]") {
  CHECK(bundle_engine("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc", "abc") == "kubernetes");
  CHECK(bundle_engine("/run/containerd/io.containerd.runtime.v2.task/moby/abc", "abc") == "docker");
  CHECK(bundle_engine("/run/containerd/io.containerd.runtime.v2.task/default/abc", "abc") == "containerd");
  CHECK(bundle_engine("/var/t/state/io.containerd.runtime.v1.linux/k8s.io/abc", "abc") == "kubernetes");
  CHECK(bundle_engine("/var/lib/containers/storage/overlay-containers/abc/userdata", "abc") == "podman");
  // The id must be the bundle's own; anything else is unknown.
  CHECK(bundle_engine("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc", "other") == "");
  CHECK(bundle_engine("/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/x", "x") == "");
  CHECK(bundle_engine("/tmp/k8s.io/abc", "abc") == "");
  CHECK(bundle_engine("relative/io.containerd.runtime.v2.task/k8s.io/abc", "abc") == "");
  CHECK(bundle_engine("", "abc") == "");
}

TEST_CASE("selectors: an image pattern is exact or a prefix ending in '*'", "[selectors]") {
  Policy p = load(R"({"policies": {"ci": {"mode": "audit"}, "one": {"mode": "audit"}},
    "selectors": [{"match": {"image": "docker.io/library/busybox:1.36"}, "policy": "one"},
                  {"match": {"image": "registry.example.com/ci/*"}, "policy": "ci"}]})");
  auto with_image = [&](const std::string& image) {
    return chosen(p, R"({"io.kubernetes.cri.container-type":"container", "io.kubernetes.cri.image-name":")" + image + "\"}").name;
  };
  CHECK(with_image("docker.io/library/busybox:1.36") == "one");
  CHECK(with_image("docker.io/library/busybox:1.36.1") == "default");
  CHECK(with_image("registry.example.com/ci/tool@sha256:00") == "ci");
  CHECK(with_image("registry.example.com/ci") == "default");
  CHECK(with_image("registry.example.com/ci-other/tool") == "default");
  CHECK(with_image("evil.example/registry.example.com/ci/tool") == "default");
}

TEST_CASE("selectors: errors name the key", "[selectors]") {
  CHECK_THAT(load_error(R"({"selectors": [{"match": {"namespace": "a"}, "policy": "nope"}]})"),
             Contains("selectors[0].policy: \"nope\" is not a policy"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"inherits": "b"}, "b": {"inherits": "a"}}})"),
             Contains("inherits: a cycle: a -> b -> a"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"inherits": "a"}}})"),
             Contains("policies.a.inherits: a cycle: a -> a"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"inherits": "ghost"}}})"),
             Contains("policies.a.inherits: \"ghost\" is not a policy"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"inherits": 3}}})"), Contains("policies.a.inherits: expected"));
  CHECK_THAT(load_error(R"({"policies": {"default": {}}})"), Contains("policies.default: not a policy name"));
  CHECK_THAT(load_error(R"({"policies": {"a": {}, "a": {"mode": "audit"}}})"), Contains("policies.a: defined twice"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"mode": "loud"}}})"), Contains("policies.a: mode: expected"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"bogus": 1}}})"), Contains("policies.a: bogus: unknown key"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"selectors": []}}})"),
             Contains("policies.a.selectors: only at the top level"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"audit_log": "/tmp/other.log"}}})"),
             Contains("policies.a.audit_log: one for the whole host"));
  CHECK_THAT(load_error(R"({"policies": {"a": {"runtime": "/usr/bin/crun"}}})"),
             Contains("policies.a.runtime: one for the whole host"));
  CHECK_THAT(load_error(R"({"policies": []})"), Contains("policies: expected an object"));
  // A named policy's own profile is loaded (and checked) as its own.
  CHECK_THAT(load_error(R"({"policies": {"a": {"seccomp": {"profile": "/nonexistent/p.json"}}}})"),
             Contains("policies.a: seccomp.profile: /nonexistent"));
  CHECK_THAT(load_error(R"({"selectors": {}})"), Contains("selectors: expected an array"));
  CHECK_THAT(load_error(R"({"selectors": [{"match": {}, "policy": "default"}]})"),
             Contains("selectors[0].match: empty"));
  CHECK_THAT(load_error(R"({"selectors": [{"match": {"pod": "x"}, "policy": "default"}]})"),
             Contains("selectors[0].match.pod: unknown key"));
  CHECK_THAT(load_error(R"({"selectors": [{"match": {"engine": "docker"}, "policy": "default", "why": 1}]})"),
             Contains("selectors[0].why: unknown key"));
  CHECK_THAT(load_error(R"({"selectors": [{"match": {"engine": "Docker"}, "policy": "default"}]})"),
             Contains("selectors[0].match.engine: \"Docker\" is not"));
  CHECK_THAT(load_error(R"({"selectors": [{"match": {"engine": "docker", "namespace": "a"}, "policy": "default"}]})"),
             Contains("selectors[0].match: can never match"));
}

TEST_CASE("selectors: the number of named policies and selectors is bounded", "[selectors]") {
  std::string many = R"({"policies": {)";
  for (int i = 0; i < 33; ++i) many += (i ? "," : "") + std::string("\"p") + std::to_string(i) + "\": {}";
  CHECK_THAT(load_error(many + "}}"), Contains("policies: more than 32 named policies"));
  std::string sels = R"({"selectors": [)";
  for (int i = 0; i < 257; ++i) sels += (i ? "," : "") + std::string(R"({"match": {"namespace": "n)") + std::to_string(i) + R"("}, "policy": "default"})";
  CHECK_THAT(load_error(sels + "]}"), Contains("selectors: more than 256 selectors"));
}

TEST_CASE("selectors: a selector after one that matches all it does can never match", "[selectors]") {
  const std::string head = R"({"policies": {"a": {"mode": "audit"}}, "selector_labels": ["t"], "selectors": [)";
  CHECK_THAT(load_error(head + R"({"match": {"engine": "kubernetes"}, "policy": "a"},
                                    {"match": {"namespace": "x"}, "policy": "default"}]})"),
             Contains("selectors[1]: can never match: selectors[0] matches every container it does"));
  CHECK_THAT(load_error(head + R"({"match": {"image": "r.example/*"}, "policy": "a"},
                                    {"match": {"image": "r.example/ci/*"}, "policy": "default"}]})"),
             Contains("selectors[1]: can never match"));
  CHECK_THAT(load_error(head + R"({"match": {"namespace": "x"}, "policy": "a"},
                                    {"match": {"namespace": "x", "label": {"key": "t", "value": "v"}}, "policy": "default"}]})"),
             Contains("selectors[1]: can never match"));
  // Narrower first, wider after: both can match.
  Policy ok = load(head + R"({"match": {"namespace": "x", "label": {"key": "t", "value": "v"}}, "policy": "default"},
                               {"match": {"namespace": "x"}, "policy": "a"},
                               {"match": {"image": "r.example/ci/*"}, "policy": "default"},
                               {"match": {"image": "r.example/*"}, "policy": "a"}]})");
  CHECK(ok.selectors.size() == 4);
}

TEST_CASE("selectors: values are exact strings, not patterns", "[selectors]") {
  const std::string head = R"({"selector_labels": ["t"], "selectors": [{"policy": "default", "match": )";
  CHECK_THAT(load_error(head + R"({"namespace": "kube-*"}}]})"), Contains("selectors[0].match.namespace"));
  CHECK_THAT(load_error(head + R"({"namespace": "Kube-System"}}]})"), Contains("not a Kubernetes namespace name"));
  CHECK_THAT(load_error(head + R"({"namespace": " kube-system"}}]})"), Contains("not a Kubernetes namespace name"));
  CHECK_THAT(load_error(head + R"({"image": "r.example/*/x"}}]})"), Contains("selectors[0].match.image"));
  CHECK_THAT(load_error(head + R"({"image": "r.example/ci?"}}]})"), Contains("selectors[0].match.image"));
  CHECK_THAT(load_error(head + R"({"image": "r.example/ci "}}]})"), Contains("selectors[0].match.image"));
  CHECK_THAT(load_error(head + R"({"label": {"key": "t", "value": "*"}}}]})"),
             Contains("selectors[0].match.label.value"));
  CHECK_THAT(load_error(head + R"({"label": {"key": "u", "value": "v"}}}]})"),
             Contains("selectors[0].match.label.key: \"u\" is not listed in selector_labels"));
  CHECK_THAT(load_error(head + R"({"label": {"key": "t"}}}]})"), Contains("selectors[0].match.label.value"));
  CHECK_THAT(load_error(R"({"selector_labels": ["io.kubernetes.cri.sandbox-namespace"]})"),
             Contains("selector_labels: \"io.kubernetes.cri.sandbox-namespace\""));
  CHECK_THAT(load_error(R"({"selector_labels": ["a b"]})"), Contains("selector_labels"));
}

}  // namespace
}  // namespace oci_harden
