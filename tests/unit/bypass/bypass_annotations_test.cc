// The bypass corpus for runtime annotations (rule "runtime-annotations"): annotations that crun
// 1.8.1 or runc 1.1.5 obey on the host as root. Each attempt goes through parse_spec and
// harden_spec as `oci-harden create` does. What each runtime does is in tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

using test::data_file;

// `runc spec` with `annotations` set to the raw JSON object given.
std::string with_annotations(const std::string& annotations) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  spec.erase("annotations");
  std::string text = to_json(spec);
  return text.substr(0, text.size() - 1) + ",\"annotations\":" + annotations + "}";
}

Decision judge(const std::string& text) {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  return bypass::decide(text, FakeHost(), *policy);
}

std::string refusals_of(const Decision& d) {
  std::string s;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "runtime-annotations") s += r.reason + "\n";
  }
  return s;
}

std::string refused_for(const std::string& key, const std::string& value) {
  Json k = Json::string(key), v = Json::string(value);
  return refusals_of(judge(with_annotations("{" + to_json(k) + ":" + to_json(v) + "}")));
}

}  // namespace

TEST_CASE("bypass/annotations: crun's hooks output files are refused, naming the key and the file",
          "[bypass][runtime-annotations]") {
  std::string r = refused_for("run.oci.hooks.stdout", "/etc/ld.so.preload");
  CHECK_THAT(r, Contains("annotations[\"run.oci.hooks.stdout\"] = \"/etc/ld.so.preload\""));
  CHECK_THAT(r, Contains("host file as root"));
  CHECK_THAT(refused_for("run.oci.hooks.stderr", "/root/.ssh/authorized_keys"),
             Contains("annotations[\"run.oci.hooks.stderr\"]"));
}

TEST_CASE("bypass/annotations: every host-acting crun and runc key is refused",
          "[bypass][runtime-annotations]") {
  const char* const keys[] = {"run.oci.seccomp.receiver",     "run.oci.seccomp.plugins",
                              "run.oci.seccomp_bpf_data",     "run.oci.pidfd_receiver",
                              "run.oci.handler",              "run.oci.keep_original_groups",
                              "run.oci.systemd.force_cgroup_v1", "run.oci.systemd.subgroup",
                              "run.oci.delegate-cgroup",      "org.criu.config",
                              "module.wasm.image/variant",    "org.systemd.property.DeviceAllow",
                              "org.systemd.property.MemoryMax"};
  for (const char* key : keys) {
    INFO(key);
    CHECK_THAT(refused_for(key, "x"), Contains(std::string("annotations[\"") + key + "\"]"));
  }
}

TEST_CASE("bypass/annotations: an unknown run.oci. key is refused (fail closed)",
          "[bypass][runtime-annotations]") {
  CHECK_THAT(refused_for("run.oci.some_future_feature", "1"),
             Contains("does not know"));
}

TEST_CASE("bypass/annotations: keys are exact; near spellings are labels, the safe list passes",
          "[bypass][runtime-annotations]") {
  // Neither runtime matches these: no host effect, nothing to refuse.
  CHECK(refused_for("Run.oci.hooks.stdout", "/tmp/x").empty());
  CHECK(refused_for(" run.oci.hooks.stdout", "/tmp/x").empty());
  CHECK(refused_for("org.criu.config.extra", "x").empty());
  CHECK(refused_for("run.oci.seccomp_fail_unknown_syscall", "1").empty());
  CHECK(refused_for("run.oci.mount_context_type", "context").empty());
  CHECK(refused_for("run.oci.timens_offset", "monotonic 1 0").empty());
  CHECK(refused_for("org.opencontainers.image.stopSignal", "15").empty());
  // What Podman (an image with a stop signal) and CRI-O write: stop and ordering, no limit.
  CHECK(refused_for("org.systemd.property.KillSignal", "28").empty());
  CHECK(refused_for("org.systemd.property.TimeoutStopUSec", "uint64 10000000").empty());
  CHECK(refused_for("org.systemd.property.CollectMode", "'inactive-or-failed'").empty());
  CHECK(refused_for("org.systemd.property.DefaultDependencies", "true").empty());
  CHECK(refused_for("org.systemd.property.After", "['crio.service']").empty());
  CHECK_FALSE(refused_for("org.systemd.property.TasksMax", "infinity").empty());
  CHECK_FALSE(refused_for("org.systemd.property.killsignal", "9").empty());  // exact names
}

TEST_CASE("bypass/annotations: several keys are each named", "[bypass][runtime-annotations]") {
  Decision d = judge(with_annotations(
      R"({"run.oci.hooks.stdout":"/a","org.criu.config":"/b","io.kubernetes.cri-o.TTY":"false"})"));
  REQUIRE(d.refused());
  std::string r = refusals_of(d);
  CHECK_THAT(r, Contains("run.oci.hooks.stdout"));
  CHECK_THAT(r, Contains("org.criu.config"));
  CHECK_THAT(r, !Contains("cri-o.TTY"));
}

}  // namespace oci_harden
