// The audit log: the record's schema (one line of JSON, RFC 3339 UTC time with microseconds),
// durable appends (directory 0700, file 0600, one line per call, no symlink followed), whole
// lines under 50 concurrent writers, who the container's user is on the host, and the engine.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/harden.hh"
#include "shim/host/audit.hh"
#include "shim/core/spec.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-audit-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

using test::data_file;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(text.substr(start));  // an unterminated last line
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

Json json(const std::string& text) {
  auto r = parse_json(text);
  if (!r) FAIL_CHECK(r.error().message << " in: " << text);
  REQUIRE(r.ok());
  return std::move(*r);
}

mode_t mode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

const std::regex kRfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)");

}  // namespace

TEST_CASE("audit: rfc3339_utc", "[audit]") {
  CHECK(rfc3339_utc(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(rfc3339_utc(1700000000123456LL) == "2023-11-14T22:13:20.123456Z");
  CHECK(rfc3339_utc(951782400000001LL) == "2000-02-29T00:00:00.000001Z");
  CHECK(rfc3339_utc(4102444799999999LL) == "2099-12-31T23:59:59.999999Z");
  std::string now = rfc3339_utc(now_us());
  CHECK(std::regex_match(now, kRfc3339));
  CHECK(now_us() > 1700000000000000LL);
}

TEST_CASE("audit: audit_record is one line of JSON with the schema's fields", "[audit]") {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  std::vector<Change> changes = {
      {"no-new-privileges", "process.noNewPrivileges", Json(), Json::boolean(true)},
      {"capabilities", "process.capabilities.bounding",
       json(R"(["CAP_KILL","CAP_NET_RAW"])"), json(R"(["CAP_KILL"])")},
      {"pids-limit", "linux.resources.pids.limit", Json::integer(0), Json::integer(1024)},
  };
  OptOuts opt;
  opt.requested = {"readonly-rootfs", "capabilities"};
  opt.granted = {"readonly-rootfs"};
  opt.denied = {"capabilities"};

  AuditEvent e;
  e.event = "create";
  e.decision = "refused";
  e.container = "c1";
  e.bundle = "/run/containerd/io.containerd.runtime.v2.task/default/c1";
  e.runtime = "/usr/bin/runc";
  e.policy = &*policy;
  e.engine = "containerd";
  e.annotations.set_exact("io.kubernetes.pod.name", Json::string("web\n\"0\""));
  e.changes = &changes;
  e.opt_outs = &opt;
  e.refused = {{"opt-out", "annotation org.oci-harden.opt-out asks to skip capabilities"},
               {"privileged", "line\nbreak"}};
  e.user = user_summary(json(R"({"process":{"user":{"uid":0,"gid":0}}})"));
  e.extra = json(R"({"exec":{"args":["sh"]}})");
  e.duration_us = 1234;

  std::string line = audit_record(e, 1700000000123456LL);
  CHECK(line.find('\n') == std::string::npos);
  Json r = json(line);
  REQUIRE(r.is_object());
  CHECK(r.members()[0].first == "v");
  CHECK(r.get_exact("v")->text() == "1");
  CHECK(r.get_exact("time")->text() == "2023-11-14T22:13:20.123456Z");
  CHECK(std::regex_match(r.get_exact("time")->text(), kRfc3339));
  CHECK(r.get_exact("event")->text() == "create");
  CHECK(r.get_exact("decision")->text() == "refused");
  CHECK(r.get_exact("container")->text() == "c1");
  CHECK(r.get_exact("bundle")->text() == e.bundle);
  CHECK(r.get_exact("runtime")->text() == "/usr/bin/runc");
  CHECK(r.get_exact("mode")->text() == "enforce");
  CHECK(r.get_exact("policy")->get_exact("path")->text() == "(built-in)");
  CHECK(r.get_exact("policy")->get_exact("digest")->text() == policy->digest);
  CHECK(r.get_exact("engine")->text() == "containerd");
  CHECK(r.get_exact("annotations")->get_exact("io.kubernetes.pod.name")->text() == "web\n\"0\"");

  const Json* ch = r.get_exact("changes");
  REQUIRE(ch != nullptr);
  REQUIRE(ch->items().size() == 3);
  CHECK(ch->items()[0].get_exact("rule")->text() == "no-new-privileges");
  CHECK(ch->items()[0].get_exact("path")->text() == "process.noNewPrivileges");
  REQUIRE(ch->items()[0].get_exact("before") != nullptr);
  CHECK(ch->items()[0].get_exact("before")->is_null());
  CHECK(ch->items()[0].get_exact("after")->is_bool());
  CHECK(ch->items()[0].get_exact("after")->as_bool());
  CHECK(to_json(*ch->items()[1].get_exact("before")) == R"(["CAP_KILL","CAP_NET_RAW"])");
  CHECK(to_json(*ch->items()[1].get_exact("after")) == R"(["CAP_KILL"])");
  CHECK(ch->items()[2].get_exact("before")->text() == "0");
  CHECK(ch->items()[2].get_exact("before")->is_number());
  CHECK(ch->items()[2].get_exact("after")->text() == "1024");

  const Json* o = r.get_exact("opt_outs");
  REQUIRE(o != nullptr);
  CHECK(to_json(*o) == R"({"requested":["readonly-rootfs","capabilities"],"granted":["readonly-rootfs"],"denied":["capabilities"]})");

  const Json* ref = r.get_exact("refused");
  REQUIRE(ref != nullptr);
  REQUIRE(ref->items().size() == 2);
  CHECK(ref->items()[0].get_exact("rule")->text() == "opt-out");
  CHECK(ref->items()[1].get_exact("reason")->text() == "line\nbreak");

  const Json* u = r.get_exact("user");
  REQUIRE(u != nullptr);
  CHECK(u->get_exact("uid")->text() == "0");
  CHECK(u->get_exact("root_on_host")->as_bool());

  CHECK(to_json(*r.get_exact("exec")) == R"({"args":["sh"]})");
  CHECK(r.get_exact("duration_us")->text() == "1234");
}

TEST_CASE("audit: a minimal record has empty lists, not missing ones", "[audit]") {
  AuditEvent e;
  e.event = "delete";
  e.decision = "unchanged";
  Json r = json(audit_record(e, 0));
  CHECK(r.get_exact("time")->text() == "1970-01-01T00:00:00.000000Z");
  CHECK(r.get_exact("mode") == nullptr);  // no policy
  CHECK(to_json(*r.get_exact("changes")) == "[]");
  CHECK(to_json(*r.get_exact("refused")) == "[]");
  CHECK(to_json(*r.get_exact("opt_outs")) == R"({"requested":[],"granted":[],"denied":[]})");
  CHECK(to_json(*r.get_exact("user")) == "{}");
  CHECK(to_json(*r.get_exact("annotations")) == "{}");
}

TEST_CASE("audit: append_audit_line creates, appends, refuses links", "[audit]") {
  TempDir tmp;
  SECTION("creates the directory 0700 and the file 0600, one line per call") {
    std::string dir = tmp.path + "/log";
    std::string log = dir + "/audit.jsonl";
    mode_t old = ::umask(0);
    auto st = append_audit_line(log, R"({"n":1})");
    ::umask(old);
    REQUIRE(st.ok());
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(log) == 0600);
    CHECK(slurp(log) == "{\"n\":1}\n");
    REQUIRE(append_audit_line(log, R"({"n":2})").ok());
    CHECK(slurp(log) == "{\"n\":1}\n{\"n\":2}\n");
    CHECK(lines_of(slurp(log)).size() == 2);
  }
  SECTION("an existing file keeps its mode and content") {
    std::string log = tmp.path + "/audit.jsonl";
    std::ofstream(log) << "old\n";
    REQUIRE(::chmod(log.c_str(), 0640) == 0);
    REQUIRE(append_audit_line(log, "new").ok());
    CHECK(slurp(log) == "old\nnew\n");
    CHECK(mode_of(log) == 0640);
  }
  SECTION("a symlink at the log path is refused and its target untouched") {
    std::string target = tmp.path + "/target";
    std::ofstream(target) << "keep\n";
    std::string log = tmp.path + "/audit.jsonl";
    REQUIRE(::symlink(target.c_str(), log.c_str()) == 0);
    auto st = append_audit_line(log, "x");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == ErrorCode::kAudit);
    CHECK(st.error().message.find(log) != std::string::npos);
    CHECK(slurp(target) == "keep\n");
  }
  SECTION("a dangling symlink is not created through") {
    std::string target = tmp.path + "/elsewhere";
    std::string log = tmp.path + "/audit.jsonl";
    REQUIRE(::symlink(target.c_str(), log.c_str()) == 0);
    CHECK_FALSE(append_audit_line(log, "x").ok());
    CHECK(::access(target.c_str(), F_OK) != 0);
  }
  SECTION("a path under a regular file is an error") {
    std::string file = tmp.path + "/plain";
    std::ofstream(file) << "x";
    auto st = append_audit_line(file + "/audit.jsonl", "x");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == ErrorCode::kAudit);
    CHECK(st.error().message.find(file + "/audit.jsonl") != std::string::npos);
  }
  SECTION("a missing grandparent is an error, not a crash") {
    auto st = append_audit_line(tmp.path + "/a/b/audit.jsonl", "x");
    CHECK_FALSE(st.ok());
  }
}

TEST_CASE("audit: 50 concurrent writers never interleave", "[audit]") {
  TempDir tmp;
  const std::string log = tmp.path + "/audit.jsonl";
  constexpr int kChildren = 50;
  constexpr int kEach = 20;
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Child: no Catch2 macros, no destructors of the parent's objects; exit status tells.
      int failures = 0;
      for (int i = 0; i < kEach; ++i) {
        Json rec = Json::object();
        rec.set("child", Json::integer(c));
        rec.set("seq", Json::integer(i));
        rec.set("pad", Json::string(std::string(3000, static_cast<char>('a' + (c % 26)))));
        if (!append_audit_line(log, to_json(rec)).ok()) ++failures;
      }
      ::_exit(failures == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  int failed_children = 0;
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed_children;
  }
  CHECK(failed_children == 0);

  std::string text = slurp(log);
  REQUIRE_FALSE(text.empty());
  CHECK(text.back() == '\n');
  std::vector<std::string> lines = lines_of(text);
  CHECK(lines.size() == kChildren * kEach);
  std::set<std::pair<int64_t, int64_t>> seen;
  size_t bad = 0;
  for (const std::string& line : lines) {
    auto r = parse_json(line);
    if (!r || !r->is_object()) {
      ++bad;
      continue;
    }
    int64_t c = -1, i = -1;
    if (!r->get_exact("child")->to_int64(&c) || !r->get_exact("seq")->to_int64(&i)) {
      ++bad;
      continue;
    }
    const std::string& pad = r->get_exact("pad")->text();
    if (pad != std::string(3000, static_cast<char>('a' + (c % 26)))) ++bad;
    seen.insert({c, i});
  }
  CHECK(bad == 0);
  CHECK(seen.size() == static_cast<size_t>(kChildren * kEach));
}

TEST_CASE("audit: user_summary", "[audit]") {
  SECTION("root without a user namespace is root on the host") {
    Json u = user_summary(json(R"({"process":{"user":{"uid":0,"gid":0}}})"));
    CHECK(to_json(u) == R"({"uid":0,"gid":0,"user_namespace":false,"host_uid":0,"root_on_host":true})");
  }
  SECTION("a non-root uid without a user namespace") {
    Json u = user_summary(json(R"({"process":{"user":{"uid":1000,"gid":100}}})"));
    CHECK(to_json(u) == R"({"uid":1000,"gid":100,"user_namespace":false,"host_uid":1000,"root_on_host":false})");
  }
  SECTION("uid 0 mapped 0->100000") {
    Json u = user_summary(json(R"({"process":{"user":{"uid":0,"gid":0}},
        "linux":{"namespaces":[{"type":"pid"},{"type":"user"}],
                 "uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],
                 "gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}})"));
    CHECK(u.get_exact("user_namespace")->as_bool());
    CHECK(u.get_exact("host_uid")->text() == "100000");
    CHECK_FALSE(u.get_exact("root_on_host")->as_bool());
  }
  SECTION("uid 1000 in the second range") {
    Json u = user_summary(json(R"({"process":{"user":{"uid":1000}},
        "linux":{"namespaces":[{"type":"user"}],
                 "uidMappings":[{"containerID":0,"hostID":100000,"size":1},
                                {"containerID":1,"hostID":200001,"size":65535}]}})"));
    CHECK(u.get_exact("host_uid")->text() == "201000");
  }
  SECTION("an unmapped uid has no host uid") {
    Json u = user_summary(json(R"({"process":{"user":{"uid":70000}},
        "linux":{"namespaces":[{"type":"user"}],
                 "uidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}})"));
    REQUIRE(u.get_exact("host_uid") != nullptr);
    CHECK(u.get_exact("host_uid")->is_null());
    CHECK_FALSE(u.get_exact("root_on_host")->as_bool());
  }
  SECTION("a mapping onto host uid 0 is root on the host") {
    Json u = user_summary(json(R"({"process":{"user":{"uid":5}},
        "linux":{"namespaces":[{"type":"user"}],
                 "uidMappings":[{"containerID":5,"hostID":0,"size":1}]}})"));
    CHECK(u.get_exact("host_uid")->text() == "0");
    CHECK(u.get_exact("root_on_host")->as_bool());
  }
  SECTION("mappings without a user namespace do not apply") {
    Json u = user_summary(json(R"({"process":{"user":{"uid":0}},
        "linux":{"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}]}})"));
    CHECK(u.get_exact("root_on_host")->as_bool());
  }
  SECTION("a process object (runc exec --process)") {
    Json u = user_summary(json(R"({"user":{"uid":33,"gid":33},"args":["sh"]})"));
    CHECK(u.get_exact("uid")->text() == "33");
    CHECK(u.get_exact("host_uid")->text() == "33");
  }
  SECTION("no user at all is uid 0, as runc reads it") {
    Json u = user_summary(json(R"({"process":{"args":["sh"]}})"));
    CHECK(u.get_exact("uid")->text() == "0");
    CHECK(u.get_exact("root_on_host")->as_bool());
  }
}

TEST_CASE("audit: guess_engine", "[audit]") {
  CHECK(guess_engine(json(R"({"hooks":{"prestart":[{"path":"/proc/123/exe",
        "args":["libnetwork-setkey","-exec-root=/var/run/docker","abc","def"]}]},
        "root":{"path":"/x/merged"}})")) == "docker");
  CHECK(guess_engine(json(R"({"root":{"path":"/var/lib/docker/overlay2/abc/merged"}})")) == "docker");
  CHECK(guess_engine(json(data_file("docker-run.json"))) == "docker");
  CHECK(guess_engine(json(R"({"annotations":{"io.kubernetes.cri.container-type":"container",
        "io.kubernetes.cri.sandbox-id":"abc"},"root":{"path":"rootfs"}})")) == "kubernetes");
  CHECK(guess_engine(json(R"({"annotations":{"io.podman.annotations.autoremove":"FALSE"}})")) == "podman");
  CHECK(guess_engine(json(R"({"root":{"path":"/var/lib/containers/storage/overlay/abc/merged"}})")) == "podman");
  CHECK(guess_engine(json(R"({"root":{"path":"/run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs"}})")) ==
        "containerd");
  CHECK(guess_engine(json(R"({"root":{"path":"rootfs"}})")) == "unknown");
  CHECK(guess_engine(json("{}")) == "unknown");
  // What `ctr run --rootfs DIR` and containerd's own rootfs mounts give: only the bundle says it.
  CHECK(guess_engine(json(R"({"root":{"path":"rootfs"}})"),
                     "/var/tmp/x/state/io.containerd.runtime.v2.task/default/c1") == "containerd");
  CHECK(guess_engine(json(R"({"root":{"path":"/srv/rootfs"}})"),
                     "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc") == "containerd");
  CHECK(guess_engine(json(R"({"root":{"path":"/srv/d/overlay2/abc/merged"}})"),
                     "/srv/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/abc") == "docker");
  CHECK(guess_engine(json(R"({"root":{"path":"rootfs"}})"), "/tmp/bundle") == "unknown");
  // The spec's own marks come first: CRI containers are Kubernetes.
  CHECK(guess_engine(json(R"({"annotations":{"io.kubernetes.cri.sandbox-id":"abc"},"root":{"path":"rootfs"}})"),
                     "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc") == "kubernetes");
}

// Podman writes io.kubernetes.cri-o.* annotations too (and io.container.manager=libpod); sorted,
// they come before io.podman.*, so a first-match scan calls every Podman container Kubernetes.
TEST_CASE("audit: a real Podman config is guessed as podman", "[audit]") {
  CHECK(guess_engine(json(data_file("podman-run.json"))) == "podman");
  CHECK(guess_engine(json(R"({"annotations":{"io.container.manager":"libpod",
        "io.kubernetes.cri-o.TTY":"false","io.podman.annotations.init":"FALSE"}})")) == "podman");
}

// A refusal reason can carry a host path read from the filesystem, which need not be UTF-8.
TEST_CASE("audit: a record stays valid JSON when a reason is not UTF-8", "[audit]") {
  AuditEvent e;
  e.event = "create";
  e.decision = "refused";
  e.refused = {{"sensitive-mounts", "mounts[0].source /srv/\xFF\xFE (canonical /etc) is a sensitive host path"}};
  std::string line = audit_record(e, 0);
  auto r = parse_json(line);
  if (!r) FAIL_CHECK(r.error().message);
  CHECK(r.ok());
}

TEST_CASE("audit: interesting_annotations keeps who-asked annotations, bounded", "[audit]") {
  Json spec = json(R"({"annotations":{"com.docker.x":"d","foo":"bar","org.oci-harden.opt-out":"pids-limit",
      "io.kubernetes.pod.name":"p","org.opencontainers.image.ref.name":"alpine","io.containerd.y":1}})");
  Json a = interesting_annotations(spec, "org.oci-harden.opt-out");
  CHECK(to_json(a) == R"({"com.docker.x":"d","org.oci-harden.opt-out":"pids-limit","io.kubernetes.pod.name":"p","org.opencontainers.image.ref.name":"alpine"})");

  Json big = Json::object();
  Json& ann = big.set("annotations", Json::object());
  for (int i = 0; i < 40; ++i) ann.set_exact("io.kubernetes.k" + std::to_string(i), Json::string(std::string(5000, 'v')));
  Json b = interesting_annotations(big, "org.oci-harden.opt-out");
  CHECK(b.members().size() == 32);
  CHECK(b.members()[0].second.text().size() == 1024);
  CHECK(to_json(interesting_annotations(json("{}"), "x")) == "{}");
}

}  // namespace oci_harden
