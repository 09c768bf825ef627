// The policy: the built-in default complete, a file's keys on top of it, unknown keys, wrong
// types and bad values named in the error, profile paths relative to the policy's folder, and
// the file-trust checks (owner, mode, directory) that keep anyone but root from writing it.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "shim/core/bounded_read.hh"
#include "shim/core/policy.hh"
#include "shim/core/sha256.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-policy-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
    REQUIRE(::chmod(path.c_str(), 0700) == 0);
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0644) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  }
};

using test::repo_file;

Policy parse_ok(const std::string& text, const std::string& origin = "/etc/oci-harden/policy.json") {
  auto r = parse_policy(text, origin);
  if (!r) FAIL_CHECK("parse_policy refused: " << r.error().message);
  REQUIRE(r.ok());
  return std::move(*r);
}

std::string parse_error(const std::string& text, const std::string& origin = "/etc/oci-harden/policy.json") {
  auto r = parse_policy(text, origin);
  if (r.ok()) return "(accepted)";
  return r.error().message;
}

// Tests of the file-trust checks need root (to chown, and so that root owns what mkdtemp makes).
bool have_root() { return test::have_root("policy files must be root-owned"); }

bool is_sha256_digest(const std::string& s) {
  return std::regex_match(s, std::regex("sha256:[0-9a-f]{64}"));
}

const char* const kOrigin = "/etc/oci-harden/policy.json";

}  // namespace

TEST_CASE("policy: the built-in policy loads with every field set", "[policy]") {
  auto r = builtin_policy();
  if (!r) FAIL(r.error().message);
  const Policy& p = *r;
  CHECK(p.path.empty());
  CHECK(is_sha256_digest(p.digest));
  CHECK(p.digest == "sha256:" + sha256_hex(repo_file("profiles/policy-default.json")));
  CHECK(p.mode == Mode::kEnforce);

  REQUIRE_FALSE(p.runtime.empty());
  CHECK(p.runtime[0] == '/');
  CHECK(::access(p.runtime.c_str(), X_OK) == 0);
  CHECK((p.runtime == "/usr/bin/runc" || p.runtime == "/usr/sbin/runc"));

  CHECK(p.audit_log == "/var/log/oci-harden/audit.jsonl");
  CHECK(p.audit_failure == AuditFailure::kRefuse);
  CHECK_FALSE(p.audit_syslog);
  CHECK(p.disabled_rules.empty());

  CHECK(p.capabilities.size() == 13);
  CHECK(std::find(p.capabilities.begin(), p.capabilities.end(), "CAP_CHOWN") != p.capabilities.end());
  CHECK(std::find(p.capabilities.begin(), p.capabilities.end(), "CAP_SYS_ADMIN") == p.capabilities.end());
  CHECK(std::find(p.capabilities.begin(), p.capabilities.end(), "CAP_NET_RAW") == p.capabilities.end());

  CHECK(p.readonly_tmpfs == std::vector<std::string>{"/tmp", "/run", "/var/tmp"});
  CHECK(p.readonly_tmpfs_size == 67108864);

  CHECK(p.above_max == AboveMax::kClamp);
  CHECK(p.pids.default_value == std::optional<int64_t>(1024));
  CHECK(p.pids.max == std::optional<int64_t>(32768));
  CHECK(p.memory.default_value == std::optional<int64_t>(1073741824));
  CHECK(p.memory.max == std::nullopt);  // "host"
  CHECK(p.cpu.default_value == std::optional<int64_t>(2000));
  CHECK(p.cpu.max == std::nullopt);
  CHECK(p.cpu_period == 100000);

  CHECK(p.userns_uid == 1000000);
  CHECK(p.userns_gid == 1000000);
  CHECK(p.userns_size == 65536);
  CHECK(p.userns_unavailable == UsernsUnavailable::kRecord);
  CHECK(p.state_dir == "/run/oci-harden");

  CHECK(p.seccomp_profile_path.empty());
  REQUIRE(p.seccomp_profile.is_object());
  REQUIRE(p.seccomp_profile.get_exact("defaultAction") != nullptr);
  CHECK(p.seccomp_profile.get_exact("defaultAction")->is_string());
  CHECK_FALSE(p.seccomp_profile.get_exact("defaultAction")->text().empty());
  CHECK_FALSE(p.seccomp_replace);

  CHECK_FALSE(p.sensitive_paths.empty());
  CHECK(std::find(p.sensitive_paths.begin(), p.sensitive_paths.end(), "/run/docker.sock") !=
        p.sensitive_paths.end());
  CHECK_FALSE(p.allowed_paths.empty());
  CHECK(p.allowed_readonly_paths == std::vector<std::string>{"/etc/localtime", "/etc/timezone",
                                                             "/usr/bin/docker-init", "/usr/libexec/docker/docker-init",
                                                             "/usr/libexec/podman/catatonit"});
  CHECK(std::find(p.engine_sockets.begin(), p.engine_sockets.end(), "/var/run/docker.sock") !=
        p.engine_sockets.end());
  CHECK_FALSE(p.allowed_mount_types.empty());
  CHECK(p.allowed_devices.empty());
  CHECK_FALSE(p.allowed_sysctls.empty());
  CHECK(p.opt_out_annotation == "org.oci-harden.opt-out");
  CHECK(p.opt_out_allowed ==
        std::vector<std::string>{"readonly-rootfs", "user-namespace", "pids-limit", "memory-limit", "cpu-limit"});
  CHECK(p.opt_out_denied == OptOutDenied::kRefuse);
  CHECK(p.exec_escalation == ExecEscalation::kRefuse);
  CHECK(p.verify == Verify::kRecord);
  if (!p.hook_path.empty()) CHECK(p.hook_path[0] == '/');
  CHECK(p.rule_enabled("capabilities"));
}

TEST_CASE("policy: a partial file keeps the built-in defaults for what it omits", "[policy]") {
  auto builtin = builtin_policy();
  REQUIRE(builtin.ok());
  Policy p = parse_ok(R"({"mode":"audit","disabled_rules":["seccomp"]})");
  CHECK(p.mode == Mode::kAudit);
  CHECK(p.path == kOrigin);
  CHECK(p.disabled_rules == std::vector<std::string>{"seccomp"});
  CHECK_FALSE(p.rule_enabled("seccomp"));
  CHECK(p.rule_enabled("capabilities"));
  CHECK(p.capabilities == builtin->capabilities);
  CHECK(p.audit_log == builtin->audit_log);
  CHECK(p.runtime == builtin->runtime);
  CHECK(p.pids.default_value == builtin->pids.default_value);
  CHECK(p.pids.max == builtin->pids.max);
  CHECK(p.memory.default_value == builtin->memory.default_value);
  CHECK(p.cpu.default_value == builtin->cpu.default_value);
  CHECK(p.cpu_period == builtin->cpu_period);
  CHECK(p.userns_uid == builtin->userns_uid);
  CHECK(p.state_dir == builtin->state_dir);
  CHECK(p.opt_out_allowed == builtin->opt_out_allowed);
  CHECK(p.sensitive_paths == builtin->sensitive_paths);
  CHECK(p.seccomp_profile == builtin->seccomp_profile);
  CHECK(p.seccomp_profile_path.empty());

  SECTION("a nested object merges key by key") {
    Policy q = parse_ok(R"({"limits":{"pids":{"max":65536}}})");
    CHECK(q.pids.max == std::optional<int64_t>(65536));
    CHECK(q.pids.default_value == std::optional<int64_t>(1024));
    CHECK(q.memory.default_value == builtin->memory.default_value);
    CHECK(q.above_max == AboveMax::kClamp);
  }
  SECTION("an empty object is the built-in policy under another name") {
    Policy e = parse_ok("{}");
    CHECK(e.capabilities == builtin->capabilities);
    CHECK(e.mode == Mode::kEnforce);
    CHECK(e.digest == "sha256:" + sha256_hex("{}"));
  }
}

TEST_CASE("policy: unknown keys are errors naming the key", "[policy]") {
  std::string e = parse_error(R"({"mode":"audit","moed":"enforce"})");
  CHECK(e.find("moed") != std::string::npos);
  CHECK(e.find("unknown key") != std::string::npos);
  CHECK(e == std::string("policy ") + kOrigin + ": moed: unknown key");

  CHECK(parse_error(R"({"limits":{"pids":{"maxx":5}}})") ==
        std::string("policy ") + kOrigin + ": limits.pids.maxx: unknown key");
  CHECK(parse_error(R"({"user_namespace":{"UID":5}})") ==
        std::string("policy ") + kOrigin + ": user_namespace.UID: unknown key");
  // Keys are exact: "Mode" is not "mode".
  CHECK(parse_error(R"({"Mode":"audit"})") == std::string("policy ") + kOrigin + ": Mode: unknown key");
  CHECK(parse_error(R"({"mode":"audit"})", "") == "(accepted)");
  CHECK(parse_error(R"({"x":1})", "") == "policy (built-in): x: unknown key");
}

TEST_CASE("policy: wrong types and bad values", "[policy]") {
  const std::string pre = std::string("policy ") + kOrigin + ": ";
  CHECK(parse_error(R"({"mode":1})") == pre + "mode: expected \"enforce\" or \"audit\"");
  CHECK(parse_error(R"({"mode":"permissive"})") == pre + "mode: expected \"enforce\" or \"audit\"");
  CHECK(parse_error(R"({"mode":"Enforce"})") == pre + "mode: expected \"enforce\" or \"audit\"");
  CHECK(parse_error(R"({"audit_syslog":"true"})") == pre + "audit_syslog: expected true or false");
  CHECK(parse_error(R"({"capabilities":"CAP_KILL"})") == pre + "capabilities: expected an array of strings");
  CHECK(parse_error(R"({"capabilities":["CAP_KILL",1]})") == pre + "capabilities: expected an array of strings");
  CHECK(parse_error(R"({"capabilities":["cap_kill"]})") ==
        pre + "capabilities: \"cap_kill\" is not a capability name (CAP_...)");
  CHECK(parse_error(R"({"limits":[]})") == pre + "limits: expected an object");
  CHECK(parse_error(R"({"limits":{"above_max":"ignore"}})") ==
        pre + "limits.above_max: expected \"clamp\" or \"refuse\"");
  CHECK(parse_error(R"({"limits":{"pids":{"default":0}}})") == pre + "limits.pids.default: expected a positive integer");
  CHECK(parse_error(R"({"limits":{"pids":{"default":1.5}}})") == pre + "limits.pids.default: expected a positive integer");
  CHECK(parse_error(R"({"limits":{"pids":{"default":"100"}}})") == pre + "limits.pids.default: expected a positive integer");
  CHECK(parse_error(R"({"limits":{"pids":{"max":"lots"}}})") ==
        pre + "limits.pids.max: expected a positive number or \"host\"");
  CHECK(parse_error(R"({"limits":{"cpu":{"default":-1}}})") == pre + "limits.cpu.default: expected a positive number");
  CHECK(parse_error(R"({"limits":{"cpu":{"default":"2"}}})") == pre + "limits.cpu.default: expected a positive number");
  CHECK(parse_error(R"({"limits":{"cpu":{"period":999}}})") ==
        pre + "limits.cpu.period: expected an integer from 1000 to 1000000");
  CHECK(parse_error(R"({"limits":{"cpu":{"period":1000001}}})") ==
        pre + "limits.cpu.period: expected an integer from 1000 to 1000000");
  CHECK(parse_error(R"({"readonly_rootfs":{"tmpfs":["tmp"]}})") ==
        pre + "readonly_rootfs.tmpfs: \"tmp\" is not an absolute path");
  CHECK(parse_error(R"({"readonly_rootfs":{"tmpfs_size":100}})") ==
        pre + "readonly_rootfs.tmpfs_size: expected a positive integer");
  CHECK(parse_error(R"({"sensitive_paths":["etc"]})") == pre + "sensitive_paths: \"etc\" is not an absolute path");
  CHECK(parse_error(R"({"user_namespace":{"uid":0}})") == pre + "user_namespace.uid: expected a positive integer");
  CHECK(parse_error(R"({"user_namespace":{"uid":4294967295,"size":65536}})") ==
        pre + "user_namespace.size: the range passes 4294967295");
  CHECK(parse_error(R"({"user_namespace":{"state_dir":"run/x"}})") ==
        pre + "user_namespace.state_dir: \"run/x\" is not an absolute path");
  CHECK(parse_error(R"({"audit_log":"audit.jsonl"})") == pre + "audit_log: expected an absolute path");
  CHECK(parse_error(R"({"opt_out_annotation":""})") == pre + "opt_out_annotation: must not be empty");
  CHECK(parse_error(R"({"opt_out_denied":"allow"})") == pre + "opt_out_denied: expected \"refuse\" or \"ignore\"");
  CHECK(parse_error(R"({"disabled_rules":[""]})") == pre + "disabled_rules: \"\" is not a rule id (oci-hardenctl rules lists them)");
  CHECK(parse_error(R"({"disabled_rules":["seccom"]})") == pre + "disabled_rules: \"seccom\" is not a rule id (oci-hardenctl rules lists them)");
  CHECK(parse_error(R"({"opt_out_allowed":["Readonly-Rootfs"]})") == pre + "opt_out_allowed: \"Readonly-Rootfs\" is not a rule id (oci-hardenctl rules lists them)");
  CHECK(parse_ok(R"({"disabled_rules":["seccomp","exec"],"opt_out_allowed":["pids-limit"]})").disabled_rules.size() == 2);
  CHECK(parse_error(R"({"hook":"oci-harden-hook"})") == pre + "hook: \"oci-harden-hook\" is not an absolute path");
  CHECK(parse_error("[]") == pre + "expected a JSON object");
  CHECK(parse_error("{").rfind(pre + "invalid JSON at byte ", 0) == 0);
}

TEST_CASE("policy: limits", "[policy]") {
  SECTION("cpu in CPUs becomes milli-CPUs") {
    Policy p = parse_ok(R"({"limits":{"cpu":{"default":1.5}}})");
    CHECK(p.cpu.default_value == std::optional<int64_t>(1500));
    CHECK(parse_ok(R"({"limits":{"cpu":{"default":0.25,"max":4}}})").cpu.max == std::optional<int64_t>(4000));
    CHECK(parse_ok(R"({"limits":{"cpu":{"default":0.25}}})").cpu.default_value == std::optional<int64_t>(250));
    CHECK(parse_ok(R"({"limits":{"cpu":{"period":50000}}})").cpu_period == 50000);
  }
  SECTION("max \"host\" is no fixed maximum") {
    Policy p = parse_ok(R"({"limits":{"memory":{"max":"host"},"pids":{"max":"host"}}})");
    CHECK(p.memory.max == std::nullopt);
    CHECK(p.pids.max == std::nullopt);
    CHECK(p.memory.default_value == std::optional<int64_t>(1073741824));
  }
  SECTION("default null is no default") {
    Policy p = parse_ok(R"({"limits":{"memory":{"default":null}}})");
    CHECK(p.memory.default_value == std::nullopt);
  }
  SECTION("default above max is an error") {
    CHECK(parse_error(R"({"limits":{"pids":{"default":100,"max":50}}})") ==
          std::string("policy ") + kOrigin + ": limits.pids.default: larger than max");
    CHECK(parse_error(R"({"limits":{"cpu":{"default":4,"max":2}}})") ==
          std::string("policy ") + kOrigin + ": limits.cpu.default: larger than max");
    CHECK(parse_ok(R"({"limits":{"pids":{"default":50,"max":50}}})").pids.max == std::optional<int64_t>(50));
  }
  SECTION("above_max refuse") {
    CHECK(parse_ok(R"({"limits":{"above_max":"refuse"}})").above_max == AboveMax::kRefuse);
  }
}

// A CPU amount that rounds to 0 milli-CPUs is accepted as "a positive number" and becomes a
// quota of 0, which runc reads as "no limit".
TEST_CASE("policy: a CPU limit too small to express is refused, not rounded to 0", "[policy]") {
  auto r = parse_policy(R"({"limits":{"cpu":{"default":0.0001,"max":0.0001}}})", kOrigin);
  if (r.ok()) {
    CHECK(r->cpu.default_value.value_or(0) >= 1);
    CHECK(r->cpu.max.value_or(0) >= 1);
  } else {
    CHECK(r.error().message.find("limits.cpu") != std::string::npos);
  }
}

TEST_CASE("policy: runtime must be absolute", "[policy]") {
  CHECK(parse_error(R"({"runtime":"runc"})") ==
        std::string("policy ") + kOrigin + ": runtime: \"runc\" is not an absolute path");
  CHECK(parse_error(R"({"runtime":"./runc"})") ==
        std::string("policy ") + kOrigin + ": runtime: \"./runc\" is not an absolute path");
  CHECK(parse_ok(R"({"runtime":"/usr/bin/crun"})").runtime == "/usr/bin/crun");
  // Empty means: find runc at its fixed places.
  Policy p = parse_ok(R"({"runtime":""})");
  CHECK((p.runtime == "/usr/bin/runc" || p.runtime == "/usr/sbin/runc"));
}

TEST_CASE("policy: the digest is sha256 of the bytes", "[policy]") {
  const std::string a = R"({"mode":"audit"})";
  const std::string b = R"({"mode": "audit"})";
  Policy pa = parse_ok(a);
  Policy pb = parse_ok(b);
  CHECK(is_sha256_digest(pa.digest));
  CHECK(pa.digest == "sha256:" + sha256_hex(a));
  CHECK(pb.digest == "sha256:" + sha256_hex(b));
  CHECK(pa.digest != pb.digest);
  CHECK(parse_ok(a).digest == pa.digest);
}

TEST_CASE("policy: hook \"none\" turns the hook off", "[policy]") {
  CHECK(parse_ok(R"({"hook":"none"})").hook_path.empty());
  CHECK(parse_ok(R"({"hook":"/usr/local/bin/oci-harden-hook"})").hook_path == "/usr/local/bin/oci-harden-hook");
}

TEST_CASE("policy: seccomp.profile relative to the policy's folder", "[policy]") {
  if (!have_root()) return;
  TempDir dir;
  dir.write("profiles-my.json", R"({"defaultAction":"SCMP_ACT_LOG","syscalls":[]})");
  std::string policy = dir.write("policy.json", R"({"seccomp":{"profile":"profiles-my.json","replace":true}})");
  auto r = load_policy_file(policy);
  if (!r) FAIL(r.error().message);
  CHECK(r->path == policy);
  CHECK(r->seccomp_profile_path == dir.path + "/profiles-my.json");
  CHECK(r->seccomp_replace);
  REQUIRE(r->seccomp_profile.get_exact("defaultAction") != nullptr);
  CHECK(r->seccomp_profile.get_exact("defaultAction")->text() == "SCMP_ACT_LOG");
  CHECK(r->digest == "sha256:" + sha256_hex(R"({"seccomp":{"profile":"profiles-my.json","replace":true}})"));

  SECTION("an absolute profile path") {
    std::string abs = dir.write("abs.json", "{\"seccomp\":{\"profile\":\"" + dir.path + "/profiles-my.json\"}}");
    auto a = load_policy_file(abs);
    REQUIRE(a.ok());
    CHECK(a->seccomp_profile_path == dir.path + "/profiles-my.json");
  }
  SECTION("a profile without defaultAction") {
    dir.write("bad-profile.json", R"({"syscalls":[]})");
    std::string p = dir.write("p2.json", R"({"seccomp":{"profile":"bad-profile.json"}})");
    auto b = load_policy_file(p);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find("no defaultAction") != std::string::npos);
  }
  SECTION("a missing profile") {
    std::string p = dir.write("p3.json", R"({"seccomp":{"profile":"nope.json"}})");
    auto b = load_policy_file(p);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find("seccomp.profile") != std::string::npos);
    CHECK(b.error().message.find(dir.path + "/nope.json") != std::string::npos);
  }
  SECTION("a group-writable profile") {
    dir.write("gw.json", R"({"defaultAction":"SCMP_ACT_LOG"})", 0664);
    std::string p = dir.write("p4.json", R"({"seccomp":{"profile":"gw.json"}})");
    auto b = load_policy_file(p);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find("writable by group or others") != std::string::npos);
  }
}

TEST_CASE("policy: load_policy_file refuses files anyone but root could have written", "[policy]") {
  if (!have_root()) return;
  TempDir dir;
  const std::string body = R"({"mode":"audit"})";

  SECTION("a good file loads") {
    auto r = load_policy_file(dir.write("ok.json", body));
    if (!r) FAIL(r.error().message);
    CHECK(r->mode == Mode::kAudit);
  }
  SECTION("world-writable file") {
    std::string p = dir.write("ww.json", body, 0646);
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kPolicy);
    CHECK(r.error().message == "policy: " + p + ": the policy is writable by group or others; run chmod go-w");
  }
  SECTION("group-writable file") {
    std::string p = dir.write("gw.json", body, 0664);
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("writable by group or others") != std::string::npos);
  }
  SECTION("a file in a world-writable directory") {
    std::string sub = dir.path + "/open";
    REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
    REQUIRE(::chmod(sub.c_str(), 0777) == 0);
    std::string p = sub + "/policy.json";
    std::ofstream(p) << body;
    REQUIRE(::chmod(p.c_str(), 0644) == 0);
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(sub + ": the directory holding the policy is writable by group or others") !=
          std::string::npos);
  }
  SECTION("a file in a sticky world-writable directory (like /tmp)") {
    std::string sub = dir.path + "/sticky";
    REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
    REQUIRE(::chmod(sub.c_str(), 01777) == 0);
    std::string p = sub + "/policy.json";
    std::ofstream(p) << body;
    REQUIRE(::chmod(p.c_str(), 0644) == 0);
    CHECK_FALSE(load_policy_file(p).ok());
  }
  SECTION("a file in a directory not owned by root") {
    std::string sub = dir.path + "/theirs";
    REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
    REQUIRE(::chown(sub.c_str(), 65534, 65534) == 0);
    std::string p = sub + "/policy.json";
    std::ofstream(p) << body;
    REQUIRE(::chmod(p.c_str(), 0644) == 0);
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("not owned by root (uid 65534)") != std::string::npos);
  }
  SECTION("a file not owned by root") {
    std::string p = dir.write("nobody.json", body);
    REQUIRE(::chown(p.c_str(), 65534, 0) == 0);
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "policy: " + p + ": the policy is not owned by root (uid 65534)");
  }
  SECTION("a missing file") {
    std::string p = dir.path + "/missing.json";
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kPolicy);
    CHECK(r.error().message == "policy: " + p + ": No such file or directory");
  }
  SECTION("a directory") {
    std::string p = dir.path + "/adir";
    REQUIRE(::mkdir(p.c_str(), 0755) == 0);
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "policy: " + p + ": not a regular file");
  }
  SECTION("a file over 1 MiB") {
    std::string p = dir.write("big.json", "{\"mode\":\"audit\"}" + std::string(1 << 20, ' '));
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("larger than") != std::string::npos);
  }
  SECTION("a bad file's errors name the file") {
    std::string p = dir.write("bad.json", R"({"bogus":true})");
    auto r = load_policy_file(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "policy " + p + ": bogus: unknown key");
  }
}

TEST_CASE("policy: OCI_HARDEN_POLICY is honoured by load_policy", "[policy]") {
  if (!have_root()) return;
  TempDir dir;
  std::string p = dir.write("env-policy.json", R"({"mode":"audit","limits":{"pids":{"default":7}}})");
  const char* old = std::getenv("OCI_HARDEN_POLICY");
  std::string saved = old ? old : "";
  REQUIRE(::setenv("OCI_HARDEN_POLICY", p.c_str(), 1) == 0);
  auto r = load_policy();
  auto bad = [&] {
    REQUIRE(::setenv("OCI_HARDEN_POLICY", (dir.path + "/nope.json").c_str(), 1) == 0);
    return load_policy();
  }();
  if (old) ::setenv("OCI_HARDEN_POLICY", saved.c_str(), 1);
  else ::unsetenv("OCI_HARDEN_POLICY");
  REQUIRE(r.ok());
  CHECK(r->path == p);
  CHECK(r->mode == Mode::kAudit);
  CHECK(r->pids.default_value == std::optional<int64_t>(7));
  // A named policy that cannot be read is an error, never a fallback to the built-in one.
  CHECK_FALSE(bad.ok());
}

TEST_CASE("policy: read_file is bounded", "[policy]") {
  TempDir dir;
  std::string p = dir.write("f", std::string(100, 'x'));
  auto ok = read_file_bounded(p, 100);
  REQUIRE(ok.ok());
  CHECK(ok->size() == 100);
  auto big = read_file_bounded(p, 99);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == p + ": larger than 99 bytes");
  auto missing = read_file_bounded(dir.path + "/nope", 10);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kIo);
}

}  // namespace oci_harden
