// The bypass corpus for "pseudo-filesystems": configs written to get a second procfs or sysfs, a
// cgroup2 showing the host's tree, a mount that replaces a masked or read-only path, or a
// writable sysfs or cgroupfs past the rules. Every attempt goes through parse_spec and
// harden_spec exactly as `oci-harden create` does, and must be refused at load, refused by a
// rule, or neutralised (the hardened spec, read back as runc will read it, mounts sysfs and
// cgroupfs read-only). What runc 1.1.5 and crun 1.8.1 do with each is in tests/bypass/README.md.

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";

using test::data_file;

Policy test_policy() { return bypass::policy(); }

// `runc spec` (runc 1.1.5), writable root, with `mounts` (raw JSON objects, keys kept as spelled)
// appended after its own, as `ctr run --mount` appends them; `edit` changes the base first.
std::string spec_with(const std::vector<std::string>& mounts,
                      void (*edit)(Json&) = nullptr) {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  field(&spec, "root")->set("readonly", Json::boolean(false));
  if (edit != nullptr) edit(spec);
  for (const std::string& m : mounts) {
    auto j = parse_json(m);
    INFO(m);
    REQUIRE(j.ok());
    field(&spec, "mounts")->push_back(std::move(*j));
  }
  return to_json(spec);
}

void drop_sys_mounts(Json& spec);

using bypass::Verdict;

Verdict judge(const std::string& text, const Policy& policy) {
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  // A pod's network namespace, not the host's (joined by path in one case below).
  host.ns_paths["/run/netns/pod"] = NamespaceId{4, 4026532999};
  host.own_ns["network"] = NamespaceId{4, 4026531992};
  return bypass::attempt(text, host, policy, kBundle);
}

Verdict judge(const std::string& text) { return judge(text, test_policy()); }

// A policy under which no user namespace can be added (recorded, not refused).
Policy no_userns_policy() {
  Policy p = test_policy();
  p.userns_size = 0;
  p.userns_unavailable = UsernsUnavailable::kRecord;
  return p;
}

void add_cgroup_namespace(Json& spec) {
  drop_sys_mounts(spec);
  Json ns = Json::object();
  ns.set("type", Json::string("cgroup"));
  field_at(spec, "linux.namespaces")->push_back(ns);
}

void REQUIRE_REFUSED_BY(const Verdict& v, const char* rule) {
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK(v.refused_by(rule));
}

// runc applies "ro"/"rw" in order and "rro"/"rrw" as recursive attributes (crun applies them to
// every mount): read-only means the last of ro/rw is ro and no rrw clears it afterwards.
bool readonly_as_runtimes_apply(const std::vector<std::string>& opts) {
  bool ro = false;
  for (const std::string& o : opts) {
    if (o == "ro") ro = true;
    if (o == "rw" || o == "rrw") ro = false;
  }
  return ro;
}

// The hardened spec, written and read back: every sysfs and cgroup mount is read-only.
void REQUIRE_READONLY_PSEUDOFS(const Verdict& v) {
  INFO(v.describe());
  REQUIRE(v.loaded);
  REQUIRE_FALSE(v.d.refused());
  auto again = parse_spec(to_json(v.d.spec));
  REQUIRE(again.ok());
  int seen = 0;
  for (const Json& m : field(&*again, "mounts")->items()) {
    std::string type = string_field(&m, "type").value_or("");
    if (type != "sysfs" && type != "cgroup" && type != "cgroup2") continue;
    ++seen;
    INFO(to_json(m));
    CHECK(readonly_as_runtimes_apply(string_items(field(&m, "options"))));
  }
  CHECK(seen > 0);
}

void drop_sys_mounts(Json& spec) {
  auto& items = field(&spec, "mounts")->items();
  for (size_t i = 0; i < items.size();) {
    std::string dest = string_field(&items[i], "destination").value_or("");
    if (dest == "/sys" || dest == "/sys/fs/cgroup") {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

}  // namespace

TEST_CASE("bypass/pseudo-filesystems: a second procfs, sysfs or cgroup2 away from home", "[bypass]") {
  struct Case {
    const char* what;
    const char* mount;
  };
  const Case cases[] = {
      {"ctr run --mount type=proc,source=proc,destination=/hp",
       R"({"destination":"/hp","type":"proc","source":"proc","options":["rw"]})"},
      {"sysfs at /x", R"({"destination":"/x","type":"sysfs","source":"sysfs"})"},
      {"cgroup2 at /mnt (the host's whole tree without a cgroup namespace)",
       R"({"destination":"/mnt","type":"cgroup2","source":"cgroup2"})"},
      {"cgroup v1 at /mnt", R"({"destination":"/mnt","type":"cgroup","source":"cgroup"})"},
      {"proc at a relative destination that cleans to /hp",
       R"({"destination":"proc/../hp","type":"proc","source":"proc"})"},
      {"proc at /proc/1 (inside the home: its masks do not reach it)",
       R"({"destination":"/proc/1","type":"proc","source":"proc"})"},
      {"a second proc at /proc//", R"({"destination":"/proc//","type":"proc","source":"proc"})"},
      {"a second sysfs remounting /sys read-write",
       R"({"destination":"/sys","type":"sysfs","source":"sysfs","options":["remount","rw"]})"},
      {"proc with the type spelled Proc", R"({"destination":"/hp","type":"Proc","source":"proc"})"},
      {"proc with the key spelled Type (Go matches keys case-insensitively)",
       R"({"destination":"/hp","Type":"proc","source":"proc"})"},
      {"proc at /PROC", R"({"destination":"/PROC","type":"proc","source":"proc"})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { REQUIRE_REFUSED_BY(judge(spec_with({c.mount})), "pseudo-filesystems"); }
  }
}

TEST_CASE("bypass/pseudo-filesystems: no type between the two rules", "[bypass]") {
  // A mount is a bind to runc 1.1.5 and crun 1.8.1 exactly when an option is "bind" or "rbind";
  // then its type is ignored and its source is sensitive-mounts' to judge. Otherwise its type is
  // judged here (or, outside the pseudo-filesystems, by allowed_mount_types).
  SECTION("no type at /hp: refused (sensitive-mounts' allowed_mount_types)") {
    REQUIRE_REFUSED_BY(judge(spec_with({R"({"destination":"/hp","source":"proc"})"})), "sensitive-mounts");
  }
  SECTION("type proc with rbind, at /proc/sys: refused here by its destination") {
    REQUIRE_REFUSED_BY(judge(spec_with({R"({"destination":"/proc/sys","type":"proc","source":"/srv/x","options":["rbind"]})"})),
                       "pseudo-filesystems");
  }
}

TEST_CASE("bypass/pseudo-filesystems: mounts in /proc or /sys that uncover a masked or read-only path",
          "[bypass]") {
  struct Case {
    const char* what;
    const char* mount;
  };
  const Case cases[] = {
      {"tmpfs over /proc/sys", R"({"destination":"/proc/sys","type":"tmpfs","source":"tmpfs"})"},
      {"bind over /sys/firmware", R"({"destination":"/sys/firmware","type":"bind","source":"/srv/empty","options":["rbind"]})"},
      {"bind over /proc/kcore", R"({"destination":"/proc/kcore","type":"none","source":"/srv/f","options":["bind"]})"},
      {"tmpfs at /sys/devices (a parent of a masked path)",
       R"({"destination":"/sys/devices","type":"tmpfs","source":"tmpfs"})"},
      {"tmpfs over /proc itself", R"({"destination":"/proc","type":"tmpfs","source":"tmpfs"})"},
      {"tmpfs at /PROC/sys", R"({"destination":"/PROC/sys","type":"tmpfs","source":"tmpfs"})"},
      {"tmpfs at /tmp/../proc/sys", R"({"destination":"/tmp/../proc/sys","type":"tmpfs","source":"tmpfs"})"},
      {"bind at /proc/sys/kernel/ns_last_pid (under a read-only path)",
       R"({"destination":"/proc/sys/kernel/ns_last_pid","type":"bind","source":"/srv/f","options":["bind"]})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { REQUIRE_REFUSED_BY(judge(spec_with({c.mount})), "pseudo-filesystems"); }
  }
}

TEST_CASE("bypass/pseudo-filesystems: sysfs and cgroupfs writable without own namespaces are made read-only",
          "[bypass]") {
  SECTION("sysfs rw, no user namespace of the engine's (oci-harden adds one, no cgroup namespace)") {
    Verdict v = judge(spec_with(
        {R"({"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","rw"]})",
         R"({"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["rw"]})"},
        drop_sys_mounts));
    REQUIRE_READONLY_PSEUDOFS(v);
  }
  SECTION("ro then rw: the last wins") {
    REQUIRE_READONLY_PSEUDOFS(judge(spec_with(
        {R"({"destination":"/sys","type":"sysfs","source":"sysfs","options":["ro","rw"]})"}, drop_sys_mounts)));
  }
  SECTION("rrw after ro (crun clears read-only recursively)") {
    REQUIRE_READONLY_PSEUDOFS(judge(spec_with(
        {R"({"destination":"/sys/fs/cgroup","type":"cgroup2","source":"cgroup","options":["ro","rrw"]})",
         R"({"destination":"/sys","type":"sysfs","source":"sysfs"})"},
        drop_sys_mounts)));
  }
  SECTION("no options at all (crun's defaults would be rw)") {
    REQUIRE_READONLY_PSEUDOFS(judge(spec_with(
        {R"({"destination":"/sys","type":"sysfs","source":"sysfs"})",
         R"({"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup"})"},
        drop_sys_mounts)));
  }
  SECTION("a cgroup namespace, and no user namespace can be added") {
    REQUIRE_READONLY_PSEUDOFS(judge(spec_with(
        {R"({"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["rw"]})"},
        add_cgroup_namespace), no_userns_policy()));
  }
  SECTION("a cgroup namespace and the user namespace oci-harden adds: left writable, as Docker does") {
    // Not a bypass: both namespaces are new, so the cgroupfs shows the container's own subtree and
    // the host's cgroup files belong to a uid the container cannot act as.
    Verdict v = judge(spec_with(
        {R"({"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["rw"]})"},
        add_cgroup_namespace));
    INFO(v.describe());
    REQUIRE_FALSE(v.d.refused());
    for (const Change& c : v.d.changes) CHECK(c.rule != "pseudo-filesystems");
  }
  SECTION("sysfs rw when no user namespace can be added") {
    REQUIRE_READONLY_PSEUDOFS(judge(spec_with(
        {R"({"destination":"/sys","type":"sysfs","source":"sysfs","options":["rw"]})"}, drop_sys_mounts),
        no_userns_policy()));
  }
}

TEST_CASE("bypass/pseudo-filesystems: a network namespace joined by path (user-namespace binds the host's /sys)",
          "[bypass]") {
  // user-namespace replaces sysfs by an rbind of the host's /sys, which brings the host's
  // submounts (its cgroup hierarchies): read-only all the way down, "rro" after any "rrw".
  Verdict v = judge(spec_with({}, [](Json& spec) {
    for (Json& ns : field_at(spec, "linux.namespaces")->items()) {
      if (string_field(&ns, "type") == std::optional<std::string>("network")) {
        ns.set("path", Json::string("/run/netns/pod"));
      }
    }
    for (Json& m : field(&spec, "mounts")->items()) {
      if (string_field(&m, "type") == std::optional<std::string>("sysfs")) {
        m.set("options", string_array({"rrw", "rw"}));
      }
    }
  }));
  INFO(v.describe());
  REQUIRE(v.loaded);
  REQUIRE_FALSE(v.d.refused());
  bool seen = false;
  for (const Json& m : field(&v.d.spec, "mounts")->items()) {
    if (string_field(&m, "destination").value_or("") != "/sys") continue;
    seen = true;
    std::vector<std::string> opts = string_items(field(&m, "options"));
    CHECK(is_bind_mount(m));
    CHECK(readonly_as_runtimes_apply(opts));
    CHECK(std::find(opts.begin(), opts.end(), "rro") != opts.end());
    CHECK(std::find(opts.begin(), opts.end(), "rrw") == opts.end());
  }
  CHECK(seen);
}

TEST_CASE("bypass/pseudo-filesystems: the rule cannot be opted out of by default", "[bypass]") {
  Verdict v = judge(spec_with({R"({"destination":"/hp","type":"proc","source":"proc"})"}, [](Json& spec) {
    Json ann = Json::object();
    ann.set_exact("org.oci-harden.opt-out", Json::string("pseudo-filesystems"));
    spec.set("annotations", ann);
  }));
  REQUIRE_REFUSED_BY(v, "pseudo-filesystems");
  REQUIRE_REFUSED_BY(v, "opt-out");
}

// Found while building this rule: under runc 1.1.5 a later entry with "remount" changes the flags
// of the mount already at its destination, so {"bind","remount","rw"} made an earlier read-only
// bind writable, whatever its own source. sensitive-mounts refuses the option on any mount.
TEST_CASE("bypass/remount: a later entry cannot make a read-only mount writable", "[bypass]") {
  const std::vector<std::pair<const char*, std::vector<std::string>>> cases = {
      {"a bind of /tmp remounting a :ro volume at /x read-write",
       {R"({"destination":"/x","type":"bind","source":"/var/lib/docker/volumes/v/_data","options":["rbind","ro"]})",
        R"({"destination":"/x","type":"bind","source":"/tmp","options":["bind","remount","rw"]})"}},
      {"a tmpfs entry remounting the engine's /etc/hosts",
       {R"({"destination":"/etc/hosts","type":"tmpfs","source":"tmpfs","options":["remount","rw"]})"}},
      {"remount with no type", {R"({"destination":"/etc","source":"none","options":["remount","rw"]})"}},
  };
  for (const auto& [name, mounts] : cases) {
    INFO(name);
    Verdict v = judge(spec_with(mounts));
    REQUIRE_REFUSED_BY(v, "sensitive-mounts");
    bool named = false;
    for (const Refusal& r : v.d.refusals) {
      if (r.reason.find("\"remount\"") != std::string::npos) named = true;
    }
    CHECK(named);
  }
}

// Found by the adversary (crun 1.8.1): "idmap" on a bind of a 0777 host directory; a setuid file
// the container's root wrote there was owned by host root, and `nobody` ran it as euid 0.
TEST_CASE("bypass/idmap: no idmapped bind of a host directory", "[bypass]") {
  for (const char* opt : {"idmap", "ridmap", "idmap=uids=0-1000000-65536;gids=0-1000000-65536"}) {
    INFO(opt);
    Verdict v = judge(spec_with({std::string(R"({"destination":"/x","type":"bind","source":"/srv/shared","options":["rbind",")") +
                                 opt + R"("]})"}));
    REQUIRE_REFUSED_BY(v, "sensitive-mounts");
  }
}

// Found by the adversary: another runtime's state (dockerd's exec root, whose runtime-runc
// state.json carries hooks), containerd's shim directory, and the runtime's and hook's own
// directories could be bound read-write.
TEST_CASE("bypass/state: the engines' exec roots and the runtime's and hook's directories", "[bypass]") {
  Policy p = test_policy();
  p.hook_path = "/opt/oci-harden/bin/oci-harden-hook";
  p.runtime = "/opt/runtimes/runc";
  for (const char* src : {"/run/docker", "/run/docker/runtime-runc/moby", "/var/run/docker",
                          "/opt/containerd", "/opt/containerd/bin", "/opt/cni/bin", "/var/lib/cni",
                          "/opt/oci-harden/bin", "/opt/oci-harden", "/opt/runtimes"}) {
    INFO(src);
    Verdict v = judge(spec_with({std::string(R"({"destination":"/x","type":"bind","source":")") + src +
                                 R"(","options":["rbind","rw"]})"}),
                      p);
    REQUIRE_REFUSED_BY(v, "sensitive-mounts");
  }
}

}  // namespace oci_harden
