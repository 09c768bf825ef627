// The bypass corpus for hooks (rule "hooks"): specs whose hooks would run another binary on the
// host than the policy allows, however the path is spelled. Each attempt goes through
// parse_spec and harden_spec as `oci-harden create` does. What runc 1.1.5 and crun 1.8.1 do
// with each attempt is in tests/bypass/README.md.
//
// Most cases run on FakeHost (binaries by canonical path); the /proc/<pid>/exe and symlink cases
// run on the real host, with a shell the test starts and links it plants in a private temp dir.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/runc_args.hh"
#include "shim/host/real_host.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

const char* const kDockerd = "/usr/sbin/dockerd";
const char* const kKinds[] = {"prestart",       "createRuntime", "createContainer",
                              "startContainer", "poststart",     "poststop"};

using test::data_file;

Policy test_policy() { return bypass::policy(); }

FakeHost fake_host() {
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  host.binaries[kDockerd] = Host::Binary{1, 100, false, kDockerd};
  host.binaries["/usr/bin/nvidia-ctk"] = Host::Binary{1, 101, false, "/usr/bin/nvidia-ctk"};
  host.binaries["/usr/bin/dash"] = Host::Binary{1, 200, false, "/usr/bin/dash"};
  host.symlinks["/bin"] = "/usr/bin";
  host.symlinks["/usr/bin/sh"] = "/usr/bin/dash";
  host.symlinks["/proc/4242/exe"] = kDockerd;  // Docker 20.10's hook: dockerd's own exe
  host.symlinks["/proc/4343/exe"] = "/usr/bin/dash";
  return host;
}

// `runc spec` with `hooks` set to the raw JSON object given.
std::string with_hooks(const std::string& hooks) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  spec.erase("hooks");
  std::string text = to_json(spec);
  return text.substr(0, text.size() - 1) + ",\"hooks\":" + hooks + "}";
}

std::string hook(const std::string& path, const std::string& args = "") {
  Json p = Json::string(path);
  return "{\"path\":" + to_json(p) + (args.empty() ? "" : ",\"args\":" + args) + "}";
}

Decision judge(const std::string& text, const Host& host, const Policy& policy) {
  return bypass::decide(text, host, policy);
}

std::string hooks_refusals(const Decision& d) {
  std::string s;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "hooks") s += r.reason + "\n";
  }
  return s;
}

const std::string kSetkeyArgs =
    R"(["libnetwork-setkey","-exec-root=/var/run/docker","0123abcd","4567ef"])";

// A shell started by the test, for /proc/<pid>/exe; killed and reaped at scope end.
class Shell {
 public:
  Shell() {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", "sleep 30", static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until the child is the shell (its exe no longer the test binary).
    struct stat self, now;
    REQUIRE(::stat("/proc/self/exe", &self) == 0);
    for (int i = 0; i < 500; ++i) {
      if (::stat(exe().c_str(), &now) == 0 && now.st_ino != self.st_ino) break;
      ::usleep(2000);
    }
  }
  ~Shell() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string exe() const { return "/proc/" + std::to_string(pid_) + "/exe"; }

 private:
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("bypass/hooks: a foreign prestart hook is refused, naming the field and the binary", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook("/bin/sh", R"(["sh","-c","id"])") + "]}"),
                     fake_host(), test_policy());
  INFO(hooks_refusals(d));
  REQUIRE(d.refused());
  CHECK_THAT(hooks_refusals(d), Contains("hooks.prestart[0].path /bin/sh runs /usr/bin/dash"));
  CHECK_THAT(hooks_refusals(d), Contains("allowed_hooks"));
}

TEST_CASE("bypass/hooks: every hook kind is judged", "[bypass][hooks]") {
  for (const char* kind : kKinds) {
    INFO(kind);
    std::string hooks = std::string("{\"") + kind + "\":[" + hook(kDockerd, kSetkeyArgs) + "," +
                        hook("/usr/bin/dash") + "]}";
    Decision d = judge(with_hooks(hooks), fake_host(), test_policy());
    CHECK_THAT(hooks_refusals(d), Contains(std::string("hooks.") + kind + "[1].path"));
    CHECK_FALSE(hooks_refusals(d).find(std::string("hooks.") + kind + "[0]") != std::string::npos);
  }
}

TEST_CASE("bypass/hooks: the kind and path keys spelled in another case (Go folds them)", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"PreStart":[{"PATH":"/bin/sh"}]})"), fake_host(), test_policy());
  CHECK_THAT(hooks_refusals(d), Contains("hooks.prestart[0].path /bin/sh"));
}

TEST_CASE("bypass/hooks: Docker 20.10's libnetwork-setkey hook through /proc/<dockerd>/exe passes", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4242/exe", kSetkeyArgs) + "]}"),
                     fake_host(), test_policy());
  INFO(hooks_refusals(d));
  CHECK(hooks_refusals(d).empty());
}

TEST_CASE("bypass/hooks: an upgraded dockerd (its exe deleted) still passes as libnetwork-setkey", "[bypass][hooks]") {
  FakeHost host = fake_host();
  host.binaries["/proc/4444/exe"] = Host::Binary{1, 99, true, "/usr/sbin/dockerd (deleted)"};
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4444/exe", kSetkeyArgs) + "]}"), host,
                     test_policy());
  INFO(hooks_refusals(d));
  CHECK(hooks_refusals(d).empty());
  // A linked file whose name merely ends in " (deleted)" is judged by its identity.
  host.binaries["/proc/4445/exe"] = Host::Binary{1, 98, false, "/usr/sbin/dockerd (deleted)"};
  d = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4445/exe", kSetkeyArgs) + "]}"), host, test_policy());
  CHECK_THAT(hooks_refusals(d), Contains("hooks.prestart[0].path /proc/4445/exe"));
}

TEST_CASE("bypass/hooks: dockerd as a hook for anything but libnetwork-setkey is refused", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"poststart":[)" + hook("/proc/4242/exe",
                                                           R"(["dockerd","-H","unix:///tmp/d.sock"])") + "]}"),
                     fake_host(), test_policy());
  CHECK_THAT(hooks_refusals(d), Contains("as something other than its libnetwork-setkey hook"));
}

TEST_CASE("bypass/hooks: /proc/<pid>/exe of a shell is the shell", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4343/exe", kSetkeyArgs) + "]}"),
                     fake_host(), test_policy());
  CHECK_THAT(hooks_refusals(d), Contains("runs /usr/bin/dash"));
}

TEST_CASE("bypass/hooks: a hook path spelled with .. is judged where it leads", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"createRuntime":[)" + hook("/usr/sbin/../bin/dash") + "]}"),
                     fake_host(), test_policy());
  CHECK_THAT(hooks_refusals(d), Contains("runs /usr/bin/dash"));
  d = judge(with_hooks(R"({"createContainer":[)" + hook("/usr/lib/../bin/nvidia-ctk", R"(["nvidia-ctk","hook"])") + "]}"),
            fake_host(), test_policy());
  CHECK(hooks_refusals(d).empty());
}

TEST_CASE("bypass/hooks: the toolkit's hook only as a createContainer hook, never with --container-spec (breaker 17)", "[bypass][hooks]") {
  // In the host's namespaces (prestart, createRuntime, poststart, poststop) nvidia-ctk follows the
  // container's paths, or a --container-spec file naming root "/", to host files as host root.
  for (const char* kind : {"prestart", "createRuntime", "poststart", "poststop", "startContainer"}) {
    INFO(kind);
    Decision d = judge(with_hooks(std::string("{\"") + kind + "\":[" +
                                  hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","hook","chmod","--mode","0777","--path","/x"])") + "]}"),
                       fake_host(), test_policy());
    CHECK_THAT(hooks_refusals(d), Contains(std::string("as a ") + kind + " hook other than the hooks the policy allows"));
  }
  for (const char* spec_flag : {R"("--container-spec","/tmp/s.json")", R"("-container-spec=/tmp/s.json")",
                                R"("--container-spec=")", R"("-container-spec","x")"}) {
    INFO(spec_flag);
    Decision d = judge(with_hooks(std::string(R"({"createContainer":[)") +
                                  hook("/usr/bin/nvidia-ctk", std::string(R"(["nvidia-ctk","hook","chmod",)") + spec_flag +
                                                                  R"(,"--mode","0777","--path","/x"])") + "]}"),
                       fake_host(), test_policy());
    CHECK_THAT(hooks_refusals(d), Contains("with --container-spec"));
  }
  // After "--" a word is an operand, not the flag.
  Decision d = judge(with_hooks(std::string(R"({"createContainer":[)") +
                                hook("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","hook","chmod","--","--container-spec"])") + "]}"),
                     fake_host(), test_policy());
  CHECK(hooks_refusals(d).empty());
}

TEST_CASE("bypass/hooks: a relative, empty, missing or null hook path is refused", "[bypass][hooks]") {
  for (const std::string& h : {hook("sh"), hook(""), std::string("{}"), std::string("null"),
                               hook("/nonexistent/hook")}) {
    INFO(h);
    Decision d = judge(with_hooks(R"({"poststop":[)" + h + "]}"), fake_host(), test_policy());
    CHECK_THAT(hooks_refusals(d), Contains("hooks.poststop[0].path"));
  }
}

TEST_CASE("bypass/hooks: a hook list of the wrong type is a load error", "[bypass][hooks]") {
  CHECK_FALSE(parse_spec(with_hooks(R"({"prestart":{"path":"/bin/sh"}})")).ok());
  CHECK_FALSE(parse_spec(with_hooks(R"({"prestart":[{"path":7}]})")).ok());
}

TEST_CASE("bypass/hooks: the policy's own oci-harden-hook is allowed, and hooks can be listed", "[bypass][hooks]") {
  FakeHost host = fake_host();
  host.binaries["/usr/local/bin/oci-harden-hook"] = Host::Binary{1, 300, false, "/usr/local/bin/oci-harden-hook"};
  Policy p = test_policy();
  p.hook_path = "/usr/local/bin/oci-harden-hook";
  Decision d = judge(with_hooks(R"({"poststop":[)" + hook(p.hook_path, R"(["oci-harden-hook","poststop"])") + "]}"),
                     host, p);
  CHECK(hooks_refusals(d).empty());
  p.allowed_hooks = {"/bin/sh"};
  d = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4343/exe") + "]}"), host, p);
  CHECK(hooks_refusals(d).empty());
}

TEST_CASE("bypass/hooks: real host: /proc/<pid>/exe of a running shell is refused, allowed by identity once listed", "[bypass][hooks]") {
  Shell sh;
  Policy p = test_policy();
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook(sh.exe(), kSetkeyArgs) + "]}"), real_host(), p);
  INFO(hooks_refusals(d));
  CHECK_THAT(hooks_refusals(d), Contains("hooks.prestart[0].path " + sh.exe() + " runs /"));
  p.allowed_hooks = {"/bin/sh"};
  d = judge(with_hooks(R"({"prestart":[)" + hook(sh.exe()) + "]}"), real_host(), p);
  CHECK(hooks_refusals(d).empty());
}

TEST_CASE("bypass/hooks: real host: a symlink named dockerd that points at /bin/sh is /bin/sh", "[bypass][hooks]") {
  char tmpl[] = "/tmp/ocih-hooks.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  std::string link = dir + "/dockerd";
  REQUIRE(::symlink("/bin/sh", link.c_str()) == 0);
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook(link, kSetkeyArgs) + "]}"), real_host(), test_policy());
  ::unlink(link.c_str());
  ::rmdir(dir.c_str());
  INFO(hooks_refusals(d));
  CHECK_THAT(hooks_refusals(d), Contains("hooks.prestart[0].path " + link + " runs /"));
  CHECK_THAT(hooks_refusals(d), Contains("not a hook binary the policy allows"));
}

TEST_CASE("bypass/hooks: real host: a running program whose file was replaced (\" (deleted)\")", "[bypass][hooks]") {
  char tmpl[] = "/tmp/ocih-hooks.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl, prog = dir + "/dockerd", other = dir + "/other";
  {
    std::ifstream in("/bin/sleep", std::ios::binary);
    std::ofstream out(prog, std::ios::binary);
    out << in.rdbuf();
  }
  REQUIRE(::chmod(prog.c_str(), 0755) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl(prog.c_str(), "dockerd", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  // Plain readlink: RealHost caches what links name for its process's lifetime.
  auto exe_now = [&] {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(exe.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  for (int i = 0; i < 500 && exe_now() != prog; ++i) ::usleep(2000);
  // Upgraded in place: a new file at the same path (rename over it), the old inode unlinked.
  {
    std::ifstream in("/bin/sleep", std::ios::binary);
    std::ofstream out(other, std::ios::binary);
    out << in.rdbuf();
  }
  REQUIRE(::rename(other.c_str(), prog.c_str()) == 0);
  Policy p = test_policy();
  p.allowed_hooks = {prog};
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook(exe, kSetkeyArgs) + "]}"), real_host(), p);
  std::string allowed = hooks_refusals(d);
  // The same process, but the allowed path names another directory: refused.
  p.allowed_hooks = {"/usr/sbin/dockerd"};
  d = judge(with_hooks(R"({"prestart":[)" + hook(exe, kSetkeyArgs) + "]}"), real_host(), p);
  std::string refused = hooks_refusals(d);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ::unlink(prog.c_str());
  ::rmdir(dir.c_str());
  INFO(allowed);
  CHECK(allowed.empty());
  CHECK_THAT(refused, Contains(prog + " (deleted)"));
}

// ---- a hook's env: the dynamic loader acts on it before the allowed binary's own code ----

namespace {

std::string hook_env(const std::string& path, const std::string& args, const std::string& env) {
  Json p = Json::string(path);
  return "{\"path\":" + to_json(p) + ",\"args\":" + args + ",\"env\":" + env + "}";
}

// The path of hooks.<kind>[i] in the hardened spec.
std::string hook_path_after(const Decision& d, const std::string& kind, size_t i = 0) {
  const Json* list = field_at(d.spec, "hooks." + kind);
  REQUIRE(list != nullptr);
  REQUIRE(list->items().size() > i);
  return string_field(&list->items()[i], "path").value_or("");
}

bool has_hooks_change(const Decision& d, const std::string& path) {
  return std::any_of(d.changes.begin(), d.changes.end(),
                     [&](const Change& c) { return c.rule == "hooks" && c.path == path; });
}

}  // namespace

TEST_CASE("bypass/hooks: LD_PRELOAD in the env of dockerd's libnetwork-setkey hook is refused", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"prestart":[)" +
                                hook_env(kDockerd, kSetkeyArgs, R"(["PATH=/usr/bin","LD_PRELOAD=/tmp/evil.so"])") +
                                "]}"),
                     fake_host(), test_policy());
  INFO(hooks_refusals(d));
  REQUIRE(d.refused());
  CHECK_THAT(hooks_refusals(d), Contains("hooks.prestart[0].env[1] \"LD_PRELOAD\""));
  CHECK(hooks_refusals(d).find("env[0]") == std::string::npos);
}

TEST_CASE("bypass/hooks: LD_PRELOAD on the policy's own oci-harden-hook path is refused", "[bypass][hooks]") {
  FakeHost host = fake_host();
  Policy p = test_policy();
  p.hook_path = "/usr/local/bin/oci-harden-hook";
  host.binaries[p.hook_path] = Host::Binary{1, 300, false, p.hook_path};
  Decision d = judge(with_hooks(R"({"poststop":[)" +
                                hook_env(p.hook_path, R"(["oci-harden-hook","poststop"])",
                                         R"(["LD_PRELOAD=/tmp/evil.so"])") + "]}"),
                     host, p);
  INFO(hooks_refusals(d));
  CHECK_THAT(hooks_refusals(d), Contains("hooks.poststop[0].env[0] \"LD_PRELOAD\""));
}

TEST_CASE("bypass/hooks: every loader and glibc variable is refused, in every kind", "[bypass][hooks]") {
  for (const char* var : {"LD_LIBRARY_PATH=/tmp", "LD_AUDIT=/tmp/a.so", "LD_PRELOAD", "LD_ANYTHING=1",
                          "GCONV_PATH=/tmp/gconv", "GLIBC_TUNABLES=glibc.malloc.check=3",
                          "GETCONF_DIR=/tmp", "HOSTALIASES=/tmp/h", "LOCALDOMAIN=x", "LOCPATH=/tmp",
                          "MALLOC_TRACE=/tmp/t", "NIS_PATH=x", "NLSPATH=/tmp/%N", "RESOLV_HOST_CONF=/tmp/r",
                          "RES_OPTIONS=debug", "TMPDIR=/tmp", "TZDIR=/tmp"}) {
    for (const char* kind : kKinds) {
      INFO(var << " in " << kind);
      Json v = Json::string(var);
      Decision d = judge(with_hooks(std::string("{\"") + kind + "\":[" +
                                    hook_env("/usr/bin/nvidia-ctk", R"(["nvidia-ctk","hook"])",
                                             "[" + to_json(v) + "]") + "]}"),
                         fake_host(), test_policy());
      CHECK_THAT(hooks_refusals(d), Contains(std::string("hooks.") + kind + "[0].env[0]"));
    }
  }
}

TEST_CASE("bypass/hooks: ld_preload (lower case) and ordinary variables are not the loader's", "[bypass][hooks]") {
  // ld.so matches names exactly: "ld_preload" and "XLD_PRELOAD" are ordinary variables.
  Decision d = judge(with_hooks(R"({"prestart":[)" +
                                hook_env(kDockerd, kSetkeyArgs,
                                         R"(["ld_preload=/tmp/evil.so","XLD_PRELOAD=1","PATH=/usr/bin","OCI_HARDEN_POLICY=/etc/oci-harden/policy.json"])") +
                                "]}"),
                     fake_host(), test_policy());
  INFO(hooks_refusals(d));
  CHECK(hooks_refusals(d).empty());
}

TEST_CASE("bypass/hooks: oci-harden's own hook entries (verify-hook's env) pass a second harden", "[bypass][hooks]") {
  FakeHost host = fake_host();
  Policy p = test_policy();
  p.hook_path = "/usr/local/bin/oci-harden-hook";
  p.path = "/etc/oci-harden/policy.json";
  host.binaries[p.hook_path] = Host::Binary{1, 300, false, p.hook_path};
  Decision first = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4242/exe", kSetkeyArgs) + "]}"), host, p);
  REQUIRE_FALSE(first.refused());
  Decision second = judge(to_json(first.spec), host, p);
  INFO(hooks_refusals(second));
  CHECK_FALSE(second.refused());
  CHECK(hook_path_after(second, "poststart") == p.hook_path);
}

TEST_CASE("bypass/hooks: an entry at oci-harden-hook's path with other arguments does not stand in for ours", "[bypass][hooks]") {
  // verify-hook used to skip adding its poststart/poststop entry when one at its path was
  // there, whatever its arguments: a "poststop" cleanup at poststart, and no verification.
  FakeHost host = fake_host();
  Policy p = test_policy();
  p.hook_path = "/usr/local/bin/oci-harden-hook";
  host.binaries[p.hook_path] = Host::Binary{1, 300, false, p.hook_path};
  Decision d = judge(with_hooks(R"({"poststart":[)" + hook(p.hook_path, R"(["oci-harden-hook","poststop"])") +
                                "]}"),
                     host, p);
  REQUIRE_FALSE(d.refused());
  const Json* list = field_at(d.spec, "hooks.poststart");
  REQUIRE(list != nullptr);
  REQUIRE(list->items().size() == 1);
  CHECK(string_items(field(&list->items()[0], "args")) ==
        std::vector<std::string>{"oci-harden-hook", "poststart"});
}

// ---- a passing hook's path is rewritten to the policy's own path ----

TEST_CASE("bypass/hooks: a symlink to dockerd is rewritten to the allowed path (no swap after create)", "[bypass][hooks]") {
  FakeHost host = fake_host();
  host.symlinks["/tmp/h/dockerd"] = kDockerd;
  Decision d = judge(with_hooks(R"({"poststop":[)" + hook("/tmp/h/dockerd", kSetkeyArgs) + "]}"), host,
                     test_policy());
  INFO(hooks_refusals(d));
  REQUIRE_FALSE(d.refused());
  CHECK(hook_path_after(d, "poststop") == kDockerd);
  CHECK(has_hooks_change(d, "hooks.poststop[0].path"));
}

TEST_CASE("bypass/hooks: Docker's /proc/<dockerd>/exe is rewritten to dockerd's allowed path", "[bypass][hooks]") {
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4242/exe", kSetkeyArgs) + "]}"),
                     fake_host(), test_policy());
  REQUIRE_FALSE(d.refused());
  CHECK(hook_path_after(d, "prestart") == kDockerd);
  const Json* args = field(&field_at(d.spec, "hooks.prestart")->items()[0], "args");
  CHECK(string_items(args).at(0) == "libnetwork-setkey");  // dockerd dispatches on args[0]
}

TEST_CASE("bypass/hooks: a deleted (upgraded) dockerd keeps its /proc path, with a note", "[bypass][hooks]") {
  FakeHost host = fake_host();
  host.binaries["/proc/4444/exe"] = Host::Binary{1, 99, true, "/usr/sbin/dockerd (deleted)"};
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook("/proc/4444/exe", kSetkeyArgs) + "]}"), host,
                     test_policy());
  REQUIRE_FALSE(d.refused());
  CHECK(hook_path_after(d, "prestart") == "/proc/4444/exe");
  CHECK_FALSE(has_hooks_change(d, "hooks.prestart[0].path"));
  CHECK(std::any_of(d.notes.begin(), d.notes.end(), [](const Note& n) { return n.rule == "hooks"; }));
}

namespace {

// The test policy with oci-harden's own hook at /usr/local/bin/oci-harden-hook, a binary on
// `host`, and /tmp/h/ohh a symlink to it.
Policy own_hook_policy(FakeHost& host) {
  Policy p = test_policy();
  p.hook_path = "/usr/local/bin/oci-harden-hook";
  host.binaries[p.hook_path] = Host::Binary{1, 300, false, p.hook_path};
  host.symlinks["/tmp/h/ohh"] = p.hook_path;
  return p;
}

}  // namespace

TEST_CASE("bypass/hooks: a hook already at its allowed path, or at the policy's hook, is unchanged", "[bypass][hooks]") {
  FakeHost host = fake_host();
  Policy p = own_hook_policy(host);
  Decision d = judge(with_hooks(R"({"prestart":[)" + hook(kDockerd, kSetkeyArgs) + "],\"poststop\":[" +
                                hook(p.hook_path, R"(["oci-harden-hook","poststop"])") + "," +
                                hook("/tmp/h/ohh", R"(["oci-harden-hook","poststop"])") + "]}"),
                     host, p);
  REQUIRE_FALSE(d.refused());
  CHECK_FALSE(has_hooks_change(d, "hooks.prestart[0].path"));
  CHECK_FALSE(has_hooks_change(d, "hooks.poststop[0].path"));
  CHECK(has_hooks_change(d, "hooks.poststop[1].path"));  // a symlink to it is rewritten
  // ... and verify-hook then drops every entry at that path: a created container's stop is
  // recorded by `oci-harden delete`, once (hook_plan.hh), never by a hook the spec brought.
  const Json* list = field_at(d.spec, "hooks.poststop");
  REQUIRE(list != nullptr);
  CHECK(list->items().empty());
}

// The breaker's find 2 (issue 14): oci-harden-hook as a createRuntime hook (a spec, `ctr run
// --config`, Podman's --hooks-dir) with "poststop" recorded a stop during create, and the real
// stop went unrecorded. oci-harden's own hook is refused at every stage but poststart and
// poststop (where verify-hook keeps only its own entries), by path or through a symlink.
TEST_CASE("bypass/hooks: oci-harden-hook at another stage than poststart or poststop is refused", "[bypass][hooks]") {
  FakeHost host = fake_host();
  Policy p = own_hook_policy(host);
  for (const char* kind : {"prestart", "createRuntime", "createContainer", "startContainer"}) {
    for (const std::string& path : {p.hook_path, std::string("/tmp/h/ohh")}) {
      INFO(kind << " " << path);
      Decision d = judge(with_hooks(std::string(R"({")") + kind + "\":[" +
                                    hook(path, R"(["oci-harden-hook","poststop"])") + "]}"),
                         host, p);
      REQUIRE(d.refused());
      CHECK_THAT(hooks_refusals(d), Contains(std::string("hooks.") + kind + "[0].path"));
      CHECK_THAT(hooks_refusals(d), Contains("only oci-harden places"));
    }
  }
  // Its own stages stay verify-hook's: not refused.
  Decision ok = judge(with_hooks(R"({"poststop":[)" + hook(p.hook_path, R"(["oci-harden-hook","poststop"])") + "]}"),
                      host, p);
  CHECK_FALSE(ok.refused());
}

TEST_CASE("bypass/hooks: real host: a symlink to an allowed binary is rewritten to the policy's path", "[bypass][hooks]") {
  char tmpl[] = "/tmp/ocih-hooks.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  std::string link = dir + "/hook";
  REQUIRE(::symlink("/bin/sh", link.c_str()) == 0);
  Policy p = test_policy();
  p.allowed_hooks = {"/bin/sh"};
  Decision d = judge(with_hooks(R"({"poststop":[)" + hook(link) + "]}"), real_host(), p);
  ::unlink(link.c_str());
  ::rmdir(dir.c_str());
  INFO(hooks_refusals(d));
  REQUIRE_FALSE(d.refused());
  CHECK(hook_path_after(d, "poststop") == "/bin/sh");
}

// ---- update (issue 18.7): quota and period judged together ----

namespace {

// `runc update WORDS... c1` with the built-in policy (cpu.max "host") on a 4-CPU FakeHost: at
// most 4 CPUs, i.e. quota/period <= 4.
OperationDecision update(std::vector<std::string> words, const std::string& resources,
                         std::optional<Host::CpuBandwidth> current, AboveMax above = AboveMax::kClamp) {
  words.insert(words.begin(), {"runc", "update"});
  words.push_back("c1");
  auto args = parse_runc_args(words);
  REQUIRE(args.ok());
  Policy p = test_policy();
  p.above_max = above;
  Json r;
  if (!resources.empty()) {
    auto parsed = parse_json(resources);
    REQUIRE(parsed.ok());
    r = std::move(*parsed);
  }
  return harden_update(*args, r, p, fake_host(), current);
}

const Host::CpuBandwidth kTwoCpus{200000, 100000};

// The CPUs the update leaves the container: the last quota and period in argv, else current.
double cpus_after(const OperationDecision& d, const Host::CpuBandwidth& current) {
  double quota = static_cast<double>(current.quota), period = static_cast<double>(current.period);
  for (const std::string& w : d.argv) {
    if (w.rfind("--cpu-quota=", 0) == 0) quota = std::stod(w.substr(12));
    if (w.rfind("--cpu-period=", 0) == 0) period = std::stod(w.substr(13));
  }
  for (size_t i = 0; i + 1 < d.argv.size(); ++i) {
    if (d.argv[i] == "--cpu-quota") quota = std::stod(d.argv[i + 1]);
    if (d.argv[i] == "--cpu-period") period = std::stod(d.argv[i + 1]);
  }
  if (const Json* cpu = field(&d.resources, "cpu")) {
    if (auto q = int_field(cpu, "quota")) quota = static_cast<double>(*q);
    uint64_t pv = 0;
    if (const Json* pj = field(cpu, "period"); pj != nullptr && pj->to_uint64(&pv) && pv > 0) {
      period = static_cast<double>(pv);
    }
  }
  return quota <= 0 ? 1e9 : quota / period;
}

}  // namespace

TEST_CASE("bypass/update: --cpu-period alone cannot multiply the container's quota", "[bypass][update]") {
  OperationDecision d = update({"--cpu-period", "1000"}, "", kTwoCpus);
  INFO(d.argv.size());
  CHECK_FALSE(d.refused());
  CHECK(cpus_after(d, kTwoCpus) <= 4.0);  // 200000/1000 would be 200 CPUs
  CHECK(d.argv.back() == "c1");             // the added quota goes before the id
  OperationDecision r = update({"--cpu-period", "1000"}, "", kTwoCpus, AboveMax::kRefuse);
  REQUIRE(r.refused());
  CHECK_THAT(r.refusals[0].reason, Contains("at period 1000"));
}

TEST_CASE("bypass/update: -r with only a period, and a container without a quota", "[bypass][update]") {
  OperationDecision d = update({"-r", "-"}, R"({"cpu":{"period":1000}})", kTwoCpus);
  CHECK(cpus_after(d, kTwoCpus) <= 4.0);
  CHECK(int_field(field(&d.resources, "cpu"), "quota") == 4000);
  Host::CpuBandwidth none{-1, 100000};
  d = update({"--cpu-period", "50000"}, "", none);
  CHECK(cpus_after(d, none) <= 4.0);
}

TEST_CASE("bypass/update: the container's current period is unknown: the worst case", "[bypass][update]") {
  // Quota alone: judged at, and pinned to, the policy's period.
  OperationDecision d = update({"--cpu-quota", "300000"}, "", std::nullopt);
  CHECK(cpus_after(d, Host::CpuBandwidth{0, 1000}) <= 4.0);  // whatever the container had
  // Period alone: the quota is taken as none, so one is written.
  d = update({"--cpu-period", "1000"}, "", std::nullopt);
  CHECK(cpus_after(d, Host::CpuBandwidth{-1, 100000}) <= 4.0);
}

TEST_CASE("bypass/update: -r and a flag period, current unknown: -r carries both values it was judged by", "[bypass][update]") {
  // runc reads only -r when it is given: a quota added there must not meet another period.
  OperationDecision d = update({"-r", "-", "--cpu-period", "1000000"}, "{}", std::nullopt);
  const Json* cpu = field(&d.resources, "cpu");
  REQUIRE(cpu != nullptr);
  CHECK(int_field(cpu, "period") == 1000000);
  CHECK(int_field(cpu, "quota") == 4000000);
  d = update({"-r", "-", "--cpu-quota", "150000"}, "{}", std::nullopt);
  cpu = field(&d.resources, "cpu");
  REQUIRE(cpu != nullptr);
  CHECK(int_field(cpu, "period") == 100000);
  CHECK(int_field(cpu, "quota") == 150000);
}

TEST_CASE("bypass/update: --cpu-quota alone is judged at the container's own (short) period", "[bypass][update]") {
  Host::CpuBandwidth short_period{2000, 1000};
  OperationDecision d = update({"--cpu-quota", "200000"}, "", short_period);
  CHECK(cpus_after(d, short_period) <= 4.0);  // 200000/1000 = 200 CPUs asked
}

TEST_CASE("bypass/update and cpu-limit: a period of 2^64-1 never makes a negative quota", "[bypass][update]") {
  OperationDecision d = update({"--cpu-period", "18446744073709551615"}, "", kTwoCpus);
  CHECK_FALSE(d.refused());
  for (const std::string& w : d.argv) CHECK(w.find("=-") == std::string::npos);
  d = update({"-r", "-"}, R"({"cpu":{"period":18446744073709551615,"quota":900000}})", kTwoCpus);
  CHECK(int_field(field(&d.resources, "cpu"), "quota").value_or(-1) > 0);

  auto spec = parse_spec(data_file("runc-spec.json"));
  REQUIRE(spec.ok());
  Json& res = ensure_object(ensure_object(*spec, "linux"), "resources");
  Json cpu = Json::object();
  cpu.set("period", Json::number_text("18446744073709551615"));
  res.set("cpu", cpu);
  Decision c = harden_spec(std::move(*spec), test_policy(), fake_host(), Invocation{"create", "c1", "/bundles/c1"});
  auto q = int_field(field_at(c.spec, "linux.resources.cpu"), "quota");
  REQUIRE(q);
  CHECK(*q > 0);  // was -2: "no limit"
}

TEST_CASE("update: the container's bandwidth is looked up only when one of quota and period is named", "[update]") {
  auto needs = [](std::vector<std::string> words, const std::string& resources) {
    words.insert(words.begin(), {"runc", "update"});
    words.push_back("c1");
    auto args = parse_runc_args(words);
    REQUIRE(args.ok());
    Json r;
    if (!resources.empty()) r = *parse_json(resources);
    return update_needs_current_cpu(*args, r);
  };
  CHECK(needs({"--cpu-period", "1000"}, ""));
  CHECK(needs({"--cpu-quota", "1000"}, ""));
  CHECK(needs({"-r", "-"}, R"({"cpu":{"period":1000}})"));
  CHECK(needs({"-r", "-"}, R"({"cpu":{"quota":1000,"period":0}})"));
  CHECK_FALSE(needs({"--cpu-quota", "50000", "--cpu-period", "100000"}, ""));
  CHECK_FALSE(needs({"-r", "-"}, R"({"cpu":{"quota":1000,"period":100000}})"));
  CHECK_FALSE(needs({"--pids-limit", "10"}, ""));
}

}  // namespace oci_harden

