// Rule "user-namespace": each outcome (kept, refused, added with an idmapped rootfs, added
// without shifting, unavailable) and the adaptations a new user namespace needs, on FakeHost.

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

// A runc-spec-like config (root.path relative to the bundle) with what readonly-rootfs adds.
const char* const kBase = R"({
  "ociVersion": "1.0.2",
  "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/"},
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "c1",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts"},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue"},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"},
    {"destination": "/etc/hosts", "type": "bind", "source": "/var/lib/x/hosts", "options": ["rbind", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]},
    {"destination": "/var/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
  }
})";

const char* const kBundle = "/bundles/c1";
const char* const kRootfs = "/bundles/c1/rootfs";

Json parse(const std::string& text) {
  auto spec = parse_spec(text);
  REQUIRE(spec.ok());
  return std::move(*spec);
}

Json parse_value(const std::string& text) {
  auto v = parse_json(text);
  REQUIRE(v.ok());
  return std::move(*v);
}

Policy policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.state_dir = "/run/oci-harden";
  out.userns_uid = 1000000;
  out.userns_gid = 1000000;
  out.userns_size = 65536;
  out.userns_unavailable = UsernsUnavailable::kRecord;
  return out;
}

struct Run {
  Json spec;
  std::vector<Change> changes;
  std::vector<Refusal> refusals;
  std::vector<HostAction> actions;  // without kPrivateStdio, which is counted in `stdio`
  int stdio = 0;
};

Run run(Json spec, const Policy& p, const FakeHost& host, const std::string& id = "c1") {
  Invocation inv{"create", id, kBundle};
  RuleContext ctx(spec, p, host, inv);
  ctx.begin_rule("user-namespace");
  rule_user_namespace(ctx);
  Run r{spec, ctx.changes(), ctx.refusals(), {}, 0};
  for (const HostAction& a : ctx.actions()) {
    if (a.kind == HostAction::Kind::kPrivateStdio) {
      ++r.stdio;
    } else {
      r.actions.push_back(a);
    }
  }
  return r;
}

bool has_user_ns(const Json& spec) {
  for (const Json& ns : field_at(spec, "linux.namespaces")->items()) {
    if (string_field(&ns, "type") == std::optional<std::string>("user")) return true;
  }
  return false;
}

const Json* mount_at(const Json& spec, const std::string& dest) {
  for (const Json& m : field(&spec, "mounts")->items()) {
    if (string_field(&m, "destination") == std::optional<std::string>(dest)) return &m;
  }
  return nullptr;
}

std::vector<std::string> mkdir_targets(const std::vector<HostAction>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    if (a.kind == HostAction::Kind::kMkdirInRootfs) out.push_back(a.target);
  }
  return out;
}

bool changed(const Run& r, const std::string& path) {
  for (const auto& c : r.changes) {
    if (c.path == path) return true;
  }
  return false;
}

Json with_userns(const std::string& uid_maps, const std::string& gid_maps) {
  Json spec = parse(kBase);
  Json& linux = *field(&spec, "linux");
  field(&linux, "namespaces")->push_back(parse_value(R"({"type": "user"})"));
  linux.set("uidMappings", parse_value(uid_maps));
  linux.set("gidMappings", parse_value(gid_maps));
  return spec;
}

}  // namespace

TEST_CASE("user-namespace keeps an engine's mapping", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  Json spec = with_userns(R"([{"containerID": 0, "hostID": 231072, "size": 65536}])",
                          R"([{"containerID": 0, "hostID": 231072, "size": 65536}])");
  Json before = spec;
  Run r = run(spec, policy(), host);
  CHECK(r.refusals.empty());
  CHECK(r.changes.empty());
  CHECK(r.actions.empty());
  CHECK(r.spec == before);
}

TEST_CASE("user-namespace refuses a mapping of container root to host root", "[user-namespace]") {
  FakeHost host;
  SECTION("uid 0 -> 0") {
    Run r = run(with_userns(R"([{"containerID": 0, "hostID": 0, "size": 65536}])",
                            R"([{"containerID": 0, "hostID": 100000, "size": 65536}])"),
                policy(), host);
    REQUIRE(r.refusals.size() == 1);
    CHECK(r.refusals[0].rule == "user-namespace");
    CHECK(r.refusals[0].reason.find("linux.uidMappings[0]") != std::string::npos);
    CHECK(r.refusals[0].reason.find("host uid 0") != std::string::npos);
  }
  SECTION("gid 0 -> 0, with the fields Go decodes as 0 left out") {
    Run r = run(with_userns(R"([{"containerID": 0, "hostID": 100000, "size": 65536}])",
                            R"([{"size": 65536}])"),
                policy(), host);
    REQUIRE(r.refusals.size() == 1);
    CHECK(r.refusals[0].reason.find("linux.gidMappings[0] maps container gid 0 to host gid 0") != std::string::npos);
  }
  SECTION("another container id reaching host 0 (root inside could setuid to it)") {
    Run r = run(with_userns(R"([{"containerID": 0, "hostID": 100000, "size": 1000},
                                {"containerID": 1000, "hostID": 0, "size": 1}])",
                            R"([{"containerID": 0, "hostID": 100000, "size": 65536}])"),
                policy(), host);
    REQUIRE(r.refusals.size() == 1);
    CHECK(r.refusals[0].reason.find("container uid 1000 to host uid 0") != std::string::npos);
  }
}

TEST_CASE("user-namespace judges a joined user namespace by its real maps", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  const char* const kPod = "/run/netns/pod-userns";
  Json spec = parse(kBase);
  field_at(spec, "linux.namespaces")->push_back(parse_value(std::string(R"({"type": "user", "path": ")") + kPod + "\"}"));
  ensure_object(spec, "linux").set("uidMappings", parse_value(R"([{"containerID": 0, "hostID": 1000000, "size": 65536}])"));
  ensure_object(spec, "linux").set("gidMappings", parse_value(R"([{"containerID": 0, "hostID": 1000000, "size": 65536}])"));
  SECTION("the spec says what the namespace maps (a Kubernetes pod): unchanged, streams made private") {
    host.userns_maps[kPod] = UserNamespaceMap{{{0, 1000000, 65536}}, {{0, 1000000, 65536}}};
    Json before = spec;
    Run r = run(spec, policy(), host);
    CHECK(r.refusals.empty());
    CHECK(r.changes.empty());
    CHECK(r.spec == before);
    CHECK(r.actions.empty());  // no idmapped root for a joined namespace
    CHECK(r.stdio == 1);
  }
  SECTION("the spec claims another mapping: the real one replaces it, recorded") {
    host.userns_maps[kPod] = UserNamespaceMap{{{0, 2000000, 65536}}, {{0, 2000000, 65536}}};
    Run r = run(spec, policy(), host);
    CHECK(r.refusals.empty());
    CHECK(changed(r, "linux.uidMappings"));
    CHECK(changed(r, "linux.gidMappings"));
    CHECK(*field_at(r.spec, "linux.uidMappings") ==
          parse_value(R"([{"containerID": 0, "hostID": 2000000, "size": 65536}])"));
  }
  SECTION("the host's user namespace (identity map) is refused, whatever the spec says") {
    host.userns_maps[kPod] = UserNamespaceMap{{{0, 0, 4294967295u}}, {{0, 0, 4294967295u}}};
    Run r = run(spec, policy(), host);
    REQUIRE(r.refusals.size() == 2);
    CHECK(r.refusals[0].reason.find("really maps container uid 0 to host uid 0") != std::string::npos);
    CHECK(r.refusals[0].reason.find(kPod) != std::string::npos);
    CHECK(r.refusals[0].reason.find("linux.namespaces[5]") != std::string::npos);
  }
  SECTION("a namespace whose maps cannot be read is refused") {
    Run r = run(spec, policy(), host);
    REQUIRE(r.refusals.size() == 1);
    CHECK(r.refusals[0].reason.find("cannot be read") != std::string::npos);
  }
  SECTION("a relative path is read from the bundle, as runc opens it") {
    host.userns_maps["/bundles/c1/userns"] = UserNamespaceMap{{{0, 1000000, 65536}}, {{0, 1000000, 65536}}};
    Json rel = parse(kBase);
    field_at(rel, "linux.namespaces")->push_back(parse_value(R"({"type": "user", "path": "userns"})"));
    Run r = run(rel, policy(), host);
    CHECK(r.refusals.empty());
    CHECK(changed(r, "linux.uidMappings"));  // none in the spec: the real ones are written
  }
}

TEST_CASE("user-namespace idmaps a rootfs whose filesystem allows it", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  Run r = run(parse(kBase), policy(), host);
  CHECK(r.refusals.empty());
  CHECK(has_user_ns(r.spec));
  CHECK(*field_at(r.spec, "linux.uidMappings") ==
        parse_value(R"([{"containerID": 0, "hostID": 1000000, "size": 65536}])"));
  CHECK(*field_at(r.spec, "linux.gidMappings") ==
        parse_value(R"([{"containerID": 0, "hostID": 1000000, "size": 65536}])"));
  CHECK(string_field(field(&r.spec, "root"), "path") == std::optional<std::string>("/run/oci-harden/c1/rootfs"));
  CHECK(map_entry(field(&r.spec, "annotations"), "org.oci-harden.rootfs")->text() == kRootfs);
  CHECK(changed(r, "root.path"));
  CHECK(changed(r, "linux.namespaces[5]"));
  REQUIRE(r.actions.size() == 1);  // runc creates mountpoints itself through the idmapped mount
  const HostAction& a = r.actions[0];
  CHECK(a.kind == HostAction::Kind::kIdmapRootfs);
  CHECK(a.source == kRootfs);  // relative root.path resolved against the bundle
  CHECK(a.target == "/run/oci-harden/c1/rootfs");
  CHECK(a.uid == 1000000);
  CHECK(a.gid == 1000000);
  CHECK(a.size == 65536);
}

TEST_CASE("user-namespace canonicalises the rootfs before asking the host", "[user-namespace]") {
  FakeHost host;
  host.symlinks["/bundles/c1/rootfs"] = "/var/lib/images/x";
  host.idmap_dirs.insert("/var/lib/images/x");
  host.engine_rootfs("/var/lib/images/x");
  Run r = run(parse(kBase), policy(), host);
  REQUIRE(r.actions.size() == 1);
  CHECK(r.actions[0].source == "/var/lib/images/x");
}

TEST_CASE("user-namespace does not idmap under an id that would leave state_dir", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  host.unsearchable_dirs.insert(kRootfs);
  Policy p = policy();
  p.userns_unavailable = UsernsUnavailable::kRefuse;
  for (const char* id : {"", ".", "..", "../../etc"}) {
    Run r = run(parse(kBase), p, host, id);
    CHECK(r.actions.empty());
    CHECK(r.refusals.size() == 1);
  }
}

TEST_CASE("user-namespace adds the namespace without shifting where the rootfs is searchable",
          "[user-namespace]") {
  FakeHost host;  // no idmap support, everything searchable
  host.file_types["/var/lib/x/hosts"] = S_IFREG;
  Run r = run(parse(kBase), policy(), host);
  CHECK(r.refusals.empty());
  CHECK(has_user_ns(r.spec));
  CHECK(string_field(field(&r.spec, "root"), "path") == std::optional<std::string>("rootfs"));
  CHECK(field(&r.spec, "annotations") == nullptr);
  // Mountpoints the mapped root could not create in a root-owned rootfs (those inside an earlier
  // mount, /dev/pts and /sys/fs/cgroup, are runc's); a bind of a file gets an empty file.
  CHECK(mkdir_targets(r.actions) ==
        std::vector<std::string>{"/proc", "/dev", "/sys", "/etc/hosts", "/tmp", "/var/tmp"});
  for (const auto& a : r.actions) CHECK(a.file == (a.target == "/etc/hosts"));
  // A bind of a directory gets a directory; a source that is not there, nothing.
  host.file_types.erase("/var/lib/x/hosts");
  Run dir = run(parse(kBase), policy(), host);
  for (const auto& a : dir.actions) CHECK_FALSE(a.file);
  host.missing.insert("/var/lib/x/hosts");
  Run none = run(parse(kBase), policy(), host);
  CHECK(mkdir_targets(none.actions) == std::vector<std::string>{"/proc", "/dev", "/sys", "/tmp", "/var/tmp"});
  for (const auto& a : r.actions) CHECK(a.source == kRootfs);
  CHECK(mount_at(r.spec, "/sys")->get("type")->text() == "sysfs");  // own netns: sysfs is fine
}

TEST_CASE("user-namespace when no user namespace can be added", "[user-namespace]") {
  FakeHost host;
  host.unsearchable_dirs.insert("/bundles");
  Json base = parse(kBase);
  SECTION("record: nothing changes, the audit record shows root on host") {
    Run r = run(base, policy(), host);
    CHECK(r.refusals.empty());
    CHECK(r.changes.empty());
    CHECK(r.actions.empty());
    CHECK(r.spec == base);
  }
  SECTION("refuse: the reason names the rootfs and the way out") {
    Policy p = policy();
    p.userns_unavailable = UsernsUnavailable::kRefuse;
    Run r = run(base, p, host);
    REQUIRE(r.refusals.size() == 1);
    const std::string& why = r.refusals[0].reason;
    CHECK(why.find("the root filesystem /bundles/c1/rootfs is not reachable by the mapped root (uid 1000000) "
                   "and cannot be idmapped") != std::string::npos);
    CHECK(why.find("userns-remap") != std::string::npos);
    CHECK(why.find("user_namespace.unavailable") != std::string::npos);
    CHECK(r.changes.empty());
  }
  SECTION("a process uid outside the mapping") {
    FakeHost ok_host;
    ok_host.idmap_dirs.insert(kRootfs);
    ok_host.engine_rootfs(kRootfs);
    Json spec = base;
    field_at(spec, "process.user")->set("uid", Json::integer(70000));
    Policy p = policy();
    p.userns_unavailable = UsernsUnavailable::kRefuse;
    Run r = run(spec, p, ok_host);
    REQUIRE(r.refusals.size() == 1);
    CHECK(r.refusals[0].reason.find("process.user.uid 70000 is outside the mapped range 0-65535") !=
          std::string::npos);
  }
  SECTION("a pid namespace joined by path (proc could not be mounted)") {
    FakeHost ok_host;
    ok_host.idmap_dirs.insert(kRootfs);
    ok_host.engine_rootfs(kRootfs);
    Json spec = base;
    field_at(spec, "linux.namespaces")->items()[0] = parse_value(R"({"type": "pid", "path": "/proc/42/ns/pid"})");
    Run r = run(spec, policy(), ok_host);
    CHECK(r.changes.empty());
    CHECK(r.actions.empty());
  }
  SECTION("no pid namespace at all (--pid host; host-namespaces refuses it too)") {
    FakeHost ok_host;
    ok_host.idmap_dirs.insert(kRootfs);
    ok_host.engine_rootfs(kRootfs);
    Json spec = base;
    auto& list = field_at(spec, "linux.namespaces")->items();
    list.erase(list.begin());
    Policy p = policy();
    p.userns_unavailable = UsernsUnavailable::kRefuse;
    Run r = run(spec, p, ok_host);
    REQUIRE(r.refusals.size() == 1);
    CHECK(r.refusals[0].reason.find("the pid namespace is not the container's own") != std::string::npos);
    CHECK(r.changes.empty());
  }
}

TEST_CASE("user-namespace clamps ping_group_range to the mapped gids", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  Json spec = parse(kBase);
  field(&spec, "linux")->set("sysctl", parse_value(R"({"net.ipv4.ping_group_range": "0 2147483647",
                                                      "kernel.shm_rmid_forced": "1"})"));
  Run r = run(spec, policy(), host);
  CHECK(map_entry(field_at(r.spec, "linux.sysctl"), "net.ipv4.ping_group_range")->text() == "0 65535");
  CHECK(changed(r, "linux.sysctl.net.ipv4.ping_group_range"));
  CHECK(map_entry(field_at(r.spec, "linux.sysctl"), "kernel.shm_rmid_forced")->text() == "1");

  SECTION("white space other than one blank separates the two gids too") {
    Json s2 = parse(kBase);
    field(&s2, "linux")->set("sysctl", parse_value(R"({"net.ipv4.ping_group_range": " 10\t 4294967294\n"})"));
    Run r2 = run(s2, policy(), host);
    CHECK(map_entry(field_at(r2.spec, "linux.sysctl"), "net.ipv4.ping_group_range")->text() == "10 65535");
  }

  SECTION("a range already inside is left alone") {
    Json s2 = parse(kBase);
    field(&s2, "linux")->set("sysctl", parse_value(R"({"net.ipv4.ping_group_range": "1 0"})"));
    Run r2 = run(s2, policy(), host);
    CHECK(map_entry(field_at(r2.spec, "linux.sysctl"), "net.ipv4.ping_group_range")->text() == "1 0");
    CHECK_FALSE(changed(r2, "linux.sysctl.net.ipv4.ping_group_range"));
  }
}

TEST_CASE("user-namespace adapts to a network namespace joined by path", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  Json spec = parse(kBase);
  field_at(spec, "linux.namespaces")->items()[1] =
      parse_value(R"({"type": "network", "path": "/var/run/docker/netns/abc"})");
  field(&spec, "linux")->set("sysctl", parse_value(R"({"net.ipv4.ping_group_range": "0 2147483647",
                                                      "net/ipv4/ip_unprivileged_port_start": "0",
                                                      "kernel.shm_rmid_forced": "1"})"));
  Run r = run(spec, policy(), host);
  CHECK(r.refusals.empty());
  CHECK(*mount_at(r.spec, "/sys") ==
        parse_value(R"({"destination": "/sys", "type": "bind", "source": "/sys",
                        "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})"));
  CHECK(changed(r, "mounts[4]"));
  const Json* sysctl = field_at(r.spec, "linux.sysctl");
  CHECK(map_entry(sysctl, "net.ipv4.ping_group_range") == nullptr);
  CHECK(map_entry(sysctl, "net/ipv4/ip_unprivileged_port_start") == nullptr);
  CHECK(map_entry(sysctl, "kernel.shm_rmid_forced") != nullptr);
  CHECK(changed(r, "linux.sysctl.net/ipv4/ip_unprivileged_port_start"));
  for (const auto& c : r.changes) {
    if (c.path.rfind("linux.sysctl.", 0) == 0) CHECK(c.after.is_null());
  }
  CHECK(string_field(&r.spec, "hostname") == std::optional<std::string>("c1"));  // own uts: kept
}

TEST_CASE("user-namespace treats an absent network namespace as the host's", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  Json spec = parse(kBase);
  auto& list = field_at(spec, "linux.namespaces")->items();
  list.erase(list.begin() + 1);
  Run r = run(spec, policy(), host);
  CHECK(r.refusals.empty());
  CHECK(mount_at(r.spec, "/sys")->get("type")->text() == "bind");
}

TEST_CASE("user-namespace adapts to ipc and uts namespaces joined by path", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  Json spec = parse(kBase);
  auto& list = field_at(spec, "linux.namespaces")->items();
  list[2] = parse_value(R"({"type": "ipc", "path": "/proc/42/ns/ipc"})");
  list[3] = parse_value(R"({"type": "uts", "path": "/proc/42/ns/uts"})");
  field(&spec, "linux")->set("sysctl", parse_value(R"({"kernel.shm_rmid_forced": "1", "fs.mqueue.msg_max": "10",
                                                      "kernel.domainname": "x"})"));
  Run r = run(spec, policy(), host);
  CHECK(r.refusals.empty());
  CHECK(mount_at(r.spec, "/dev/mqueue") == nullptr);
  CHECK(mount_at(r.spec, "/sys")->get("type")->text() == "sysfs");
  CHECK(field(&r.spec, "hostname") == nullptr);
  CHECK(changed(r, "hostname"));
  CHECK(field_at(r.spec, "linux.sysctl")->members().empty());
}

TEST_CASE("user-namespace is idempotent on a spec it hardened", "[user-namespace]") {
  FakeHost host;
  host.idmap_dirs.insert(kRootfs);
  host.engine_rootfs(kRootfs);
  Json spec = parse(kBase);
  field(&spec, "linux")->set("sysctl", parse_value(R"({"net.ipv4.ping_group_range": "0 2147483647"})"));
  Run first = run(spec, policy(), host);
  REQUIRE_FALSE(first.changes.empty());

  SECTION("idmapped: nothing changes, the mount is asked for again (runc run after delete)") {
    Run second = run(first.spec, policy(), host);
    CHECK(second.changes.empty());
    CHECK(second.refusals.empty());
    CHECK(second.spec == first.spec);
    REQUIRE(second.actions.size() == 1);
    CHECK(second.actions[0].kind == HostAction::Kind::kIdmapRootfs);
    CHECK(second.actions[0].source == first.actions[0].source);
    CHECK(second.actions[0].target == first.actions[0].target);
    CHECK(second.actions[0].uid == 1000000);
    CHECK(second.actions[0].size == 65536);
  }
  SECTION("searchable: nothing changes") {
    FakeHost plain;
    Run s1 = run(spec, policy(), plain);
    Run s2 = run(s1.spec, policy(), plain);
    CHECK(s2.changes.empty());
    CHECK(s2.actions.empty());
    CHECK(s2.spec == s1.spec);
  }
  SECTION("a forged annotation under a root.path that is not ours asks for nothing") {
    Json forged = first.spec;
    field(&forged, "root")->set("path", Json::string("/somewhere/else"));
    Run r = run(forged, policy(), host);
    CHECK(r.actions.empty());
  }
}

TEST_CASE("user-namespace fills in mappings for a user entry that has none", "[user-namespace]") {
  FakeHost host;
  Json spec = parse(kBase);
  field_at(spec, "linux.namespaces")->push_back(parse_value(R"({"type": "user"})"));
  Run r = run(spec, policy(), host);
  CHECK(field_at(r.spec, "linux.namespaces")->items().size() == 6);  // no second user entry
  CHECK(field_at(r.spec, "linux.uidMappings") != nullptr);
  CHECK(field_at(r.spec, "linux.gidMappings") != nullptr);
}

}  // namespace oci_harden
