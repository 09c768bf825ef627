// Every refusal says what would make it pass: the engine flag, the policy key, the opt-out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/refusal_fix.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

Policy default_policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  return out;
}

std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fix an operator can act on names a policy key, an annotation or an engine's flag or field.
bool names_a_way_out(const std::string& fix) {
  static const char* const kWords[] = {"policy: ", "annotate ", "(docker", "(podman", "(pod spec)",
                                       "(nerdctl", "linux.namespaces", "root.path", "config.json",
                                       "standard streams", "the host", "the runtime"};
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](const char* w) { return fix.find(w) != std::string::npos; });
}

}  // namespace

TEST_CASE("refusal fix: every refusal of the seed corpus and the captured configs has one", "[refusal-fix]") {
  const Policy policy = default_policy();
  FakeHost host;
  std::vector<std::string> files = json_files(test::repo_path("tests/fuzz/seeds/spec"));
  const std::vector<std::string> engines = {"docker", "podman", "containerd", "cri"};
  for (const std::string& engine : engines) {
    for (std::string& f : json_files(test::repo_path("tests/golden/" + engine + "-captured"))) {
      files.push_back(std::move(f));
    }
  }
  REQUIRE(files.size() > 50);
  size_t refusals = 0;
  for (const std::string& file : files) {
    auto spec = parse_spec(read_whole(file));
    if (!spec) continue;
    Decision d = harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", "/bundles/c1"});
    for (const Refusal& r : d.refusals) {
      INFO(file << ": " << r.rule << ": " << r.reason << "\n  fix: " << r.fix);
      ++refusals;
      CHECK(!r.fix.empty());
      CHECK(r.fix.find('\n') == std::string::npos);
      CHECK(names_a_way_out(r.fix));
    }
  }
  CHECK(refusals > 20);  // the corpus does refuse: the checks above ran
}

TEST_CASE("refusal fix: the engine that asked is named by its own flag", "[refusal-fix]") {
  const Policy policy = default_policy();
  Refusal r{"privileged", "process.capabilities.bounding holds every capability (--privileged)",
            "process.capabilities.bounding", "privileged"};
  CHECK(refusal_fix(r, &policy, "docker", nullptr).rfind("remove --privileged (docker run)", 0) == 0);
  CHECK(refusal_fix(r, &policy, "kubernetes", nullptr).rfind("remove securityContext.privileged: true (pod spec)", 0) ==
        0);
  std::string unknown = refusal_fix(r, &policy, "", nullptr);
  CHECK(unknown.find("--privileged (docker/podman run) / securityContext.privileged: true (pod spec)") !=
        std::string::npos);
  CHECK(unknown.find("policy: add \"privileged\" to disabled_rules") != std::string::npos);
  // privileged is not in the default opt_out_allowed: no annotation offered.
  CHECK(unknown.find("annotate") == std::string::npos);

  Refusal net{"host-namespaces", "network namespace missing", "linux.namespaces", "host-network-namespace"};
  CHECK(refusal_fix(net, &policy, "docker", nullptr).find("--network=host (docker run)") != std::string::npos);
  CHECK(refusal_fix(net, &policy, "kubernetes", nullptr).find("hostNetwork: true (pod spec)") != std::string::npos);
}

TEST_CASE("refusal fix: a bind names its own -v, and the policy's allowed_paths", "[refusal-fix]") {
  const Policy policy = default_policy();
  auto spec = parse_spec(R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"cwd":"/","args":["sh"]},
    "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
              {"destination":"/var/run/docker.sock","type":"bind","source":"/run/docker.sock","options":["rbind"]}]})");
  REQUIRE(spec.ok());
  Refusal r{"sensitive-mounts", "...", "mounts[1].source", "sensitive-source"};
  std::string fix = refusal_fix(r, &policy, "docker", &*spec);
  CHECK(fix.rfind("remove -v /run/docker.sock:/var/run/docker.sock (docker run)", 0) == 0);
  CHECK(fix.find("policy: add the source to allowed_paths") != std::string::npos);
  // An index that names no mount falls back to words, not to another mount.
  r.field = "mounts[7].source";
  CHECK(refusal_fix(r, &policy, "docker", &*spec).find("-v SOURCE:DEST") != std::string::npos);
}

TEST_CASE("refusal fix: the opt-out annotation when the policy allows one, with what it requires", "[refusal-fix]") {
  Policy policy = default_policy();
  Refusal r{"pids-limit", "linux.resources.pids.limit is unlimited", "", ""};
  std::string fix = refusal_fix(r, &policy, "podman", nullptr);
  CHECK(fix.rfind("lower --pids-limit", 0) == 0);
  CHECK(fix.find("(podman run)") != std::string::npos);
  CHECK(fix.find("policy: raise limits.pids.max") != std::string::npos);
  CHECK(fix.find("annotate org.oci-harden.opt-out=pids-limit") != std::string::npos);
  policy.opt_out_requires = {"owner", "until"};
  fix = refusal_fix(r, &policy, "podman", nullptr);
  CHECK(fix.find("annotate org.oci-harden.opt-out=pids-limit org.oci-harden.opt-out-owner=<owner> "
                 "org.oci-harden.opt-out-until=<RFC 3339 date>") != std::string::npos);
  policy.opt_out_allowed.clear();
  CHECK(refusal_fix(r, &policy, "podman", nullptr).find("annotate") == std::string::npos);
}

TEST_CASE("refusal fix: a refusal the rules fill through the context carries the bundle's engine", "[refusal-fix]") {
  const Policy policy = default_policy();
  FakeHost host;
  auto spec = parse_spec(read_whole(test::repo_path("tests/golden/docker-captured/privileged.json")));
  REQUIRE(spec.ok());
  const std::string bundle = "/run/containerd/io.containerd.runtime.v2.task/moby/c1";
  Decision d = harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", bundle});
  REQUIRE(d.refused());
  bool saw = false;
  for (const Refusal& r : d.refusals) {
    if (r.rule != "privileged") continue;
    saw = true;
    CHECK(r.kind == "privileged");
    CHECK(r.fix.rfind("remove --privileged (docker run)", 0) == 0);
  }
  CHECK(saw);
}

TEST_CASE("refusal fix: a rule's kinds pick their own row", "[refusal-fix]") {
  const Policy policy = default_policy();
  Refusal notify{"seccomp", "...", "linux.seccomp.listenerPath", "notify-listener"};
  CHECK(refusal_fix(notify, &policy, "", nullptr).find("policy: add the listener's socket to seccomp.allowed_listeners") !=
        std::string::npos);
  Refusal weaker{"seccomp", "...", "linux.seccomp", "weaker"};
  CHECK(refusal_fix(weaker, &policy, "", nullptr).find("seccomp.weaker") != std::string::npos);
  Refusal unloaded{"apparmor", "...", "process.apparmorProfile", "profile-not-loaded"};
  CHECK(refusal_fix(unloaded, &policy, "docker", nullptr).find("apparmor_parser") != std::string::npos);
  Refusal update{"update", "...", "--memory", "above-max"};
  CHECK(refusal_fix(update, &policy, "", nullptr).rfind("lower --memory (docker/podman update); or policy: raise", 0) == 0);
  Refusal exec{"exec", "...", "--cap", "escalation"};
  CHECK(refusal_fix(exec, &policy, "", nullptr) ==
        "remove --cap (docker/podman exec); or policy: set exec.escalation to \"clamp\"");
  Refusal sysctl{"sysctls", "...", "linux.sysctl", "not-allowed"};
  CHECK(refusal_fix(sysctl, &policy, "kubernetes", nullptr) ==
        "remove securityContext.sysctls (pod spec); or policy: add the name to allowed_sysctls");
}

TEST_CASE("refusal fix: the message keeps its first line and ends with the fixes", "[refusal-fix]") {
  std::vector<Refusal> rs = {{"a", "r1", "", "", "do x"}, {"b", "r2", "", "", "do x"}, {"c", "r3", "", "", ""}};
  std::string msg = refusal_message_with_fixes(rs);
  CHECK(msg.rfind(refusal_message(rs) + "\n", 0) == 0);
  CHECK(msg == "refused by a, b, c: r1; r2; r3\n  fix: do x\n  fix: policy: add \"c\" to disabled_rules");
}

TEST_CASE("refusal fix: host root says why and what would give it a user namespace", "[refusal-fix]") {
  Policy policy = default_policy();
  std::vector<Note> notes = {{"user-namespace", "no user namespace added: because"}};
  CHECK(root_on_host_reason(notes, nullptr, &policy) == "no user namespace added: because");
  OptOuts opt;
  opt.granted = {"user-namespace"};
  CHECK(root_on_host_reason({}, &opt, &policy) == "the container opted out of user-namespace");
  policy.disabled_rules = {"user-namespace"};
  CHECK(root_on_host_reason({}, nullptr, &policy) == "user-namespace is in the policy's disabled_rules");
  CHECK(root_on_host_fix("docker").find("userns-remap") != std::string::npos);
  CHECK(root_on_host_fix("kubernetes").find("hostUsers: false") != std::string::npos);
  CHECK(root_on_host_fix("podman").find("--userns=auto") != std::string::npos);
  std::string any = root_on_host_fix("");
  for (const char* w : {"userns-remap", "hostUsers: false", "--userns=auto", "idmapped"}) {
    CHECK(any.find(w) != std::string::npos);
  }
}

}  // namespace oci_harden
