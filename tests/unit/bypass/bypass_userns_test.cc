// Bypass cases of the user namespace oci-harden adds or keeps (issue 18, items 1, 4, 9): an
// idmapped root filesystem that a host user can reach, the annotation that asks for it again,
// and a joined user namespace whose spec lies about its mappings. Each goes through parse_spec
// and harden_spec exactly as `oci-harden create` does, on FakeHost. What runc 1.1.5 and crun
// 1.8.1 do with each is in tests/bypass/README.md; tests/integration/userns_test.sh runs them
// for real.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "shim/host/audit.hh"
#include "shim/core/harden.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";
const char* const kState = "/run/oci-harden";
const char* const kTarget = "/run/oci-harden/c1/rootfs";

// A runc-spec-like config whose root.path the cases set.
std::string spec_text(const std::string& root, const std::string& extra_ns = "",
                      const std::string& extra_linux = "", const std::string& annotations = "") {
  return R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
         R"("root":{"path":")" + root + R"(","readonly":true},)" +
         (annotations.empty() ? "" : R"("annotations":)" + annotations + ",") +
         R"("mounts":[{"destination":"/proc","type":"proc","source":"proc"}],)"
         R"("linux":{"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},)"
         R"({"type":"mount"})" + extra_ns + "]" + extra_linux + "}}";
}

Policy test_policy(UsernsUnavailable unavailable = UsernsUnavailable::kRecord) {
  Policy out = bypass::policy();
  out.state_dir = kState;
  out.userns_unavailable = unavailable;
  return out;
}

Decision judge(const std::string& text, const FakeHost& host, const Policy& policy) {
  return bypass::decide(text, host, policy, kBundle);
}

bool idmapped(const Decision& d) {
  return std::any_of(d.actions.begin(), d.actions.end(),
                     [](const HostAction& a) { return a.kind == HostAction::Kind::kIdmapRootfs; });
}

std::string root_path(const Decision& d) { return string_field(field(&d.spec, "root"), "path").value_or(""); }

bool noted(const Decision& d, const std::string& text) {
  return std::any_of(d.notes.begin(), d.notes.end(), [&](const Note& n) {
    return n.rule == "user-namespace" && n.text.find(text) != std::string::npos;
  });
}

std::string describe(const Decision& d) {
  std::string s;
  for (const Refusal& r : d.refusals) s += "refusal " + r.rule + ": " + r.reason + "\n";
  for (const Change& c : d.changes) s += "change " + c.rule + " " + c.path + "\n";
  for (const Note& n : d.notes) s += "note " + n.rule + ": " + n.text + "\n";
  return s;
}

// Every filesystem here accepts idmapped mounts: what decides is who can reach it.
FakeHost idmap_everywhere(const std::string& rootfs) {
  FakeHost host;
  host.idmap_dirs.insert(rootfs);
  return host;
}

}  // namespace

TEST_CASE("bypass: an idmapped root filesystem that a host user can reach", "[bypass][userns]") {
  SECTION("ctr run --rootfs /srv/app: a plain directory under world-searchable parents") {
    FakeHost host = idmap_everywhere("/srv/app");
    Decision d = judge(spec_text("/srv/app"), host, test_policy());
    INFO(describe(d));
    CHECK_FALSE(d.refused());
    CHECK_FALSE(idmapped(d));
    CHECK(root_path(d) == "/srv/app");
    // Still a user namespace, unshifted: container root is uid 1000000 on the host.
    CHECK(user_summary(d.spec).get_exact("root_on_host")->as_bool() == false);
    CHECK(noted(d, "not idmapped"));
    CHECK(noted(d, "added without shifting"));
  }
  SECTION("a plain directory below a root-only directory (/root/app) is still a host directory") {
    FakeHost host = idmap_everywhere("/root/app");
    host.dir_access["/root"] = DirAccess{"/root", 0, 0, 0700, false};
    host.unsearchable_dirs.insert("/root");
    Decision d = judge(spec_text("/root/app"), host, test_policy(UsernsUnavailable::kRefuse));
    INFO(describe(d));
    CHECK_FALSE(idmapped(d));
    REQUIRE(d.refused());
    CHECK(d.refusals[0].reason.find("not a filesystem mounted for the container") != std::string::npos);
  }
  SECTION("a bind of a host directory placed below a root-only directory") {
    FakeHost host = idmap_everywhere("/var/lib/x/rootfs");
    host.engine_rootfs("/var/lib/x/rootfs");
    host.mounts["/var/lib/x/rootfs"] = MountAt{"/srv/app", "ext4", {"/"}};
    Decision d = judge(spec_text("/var/lib/x/rootfs"), host, test_policy());
    INFO(describe(d));
    CHECK_FALSE(idmapped(d));
    CHECK(noted(d, "a bind of /srv/app"));
  }
  SECTION("an engine-like filesystem that is also mounted where users can reach it") {
    FakeHost host = idmap_everywhere("/var/lib/x/rootfs");
    host.engine_rootfs("/var/lib/x/rootfs");
    host.mounts["/var/lib/x/rootfs"].also_at = {"/mnt/shared"};
    Decision d = judge(spec_text("/var/lib/x/rootfs"), host, test_policy());
    INFO(describe(d));
    CHECK_FALSE(idmapped(d));
    CHECK(noted(d, "also mounted at /mnt/shared"));
  }
  SECTION("a closed-looking parent that a group or an ACL opens") {
    for (DirAccess open : {DirAccess{"/var/lib/x", 0, 1000, 0710, false},   // g+x for group 1000
                           DirAccess{"/var/lib/x", 0, 0, 0710, true},       // an ACL behind g+x
                           DirAccess{"/var/lib/x", 1000, 0, 0700, false},   // a user's own
                           DirAccess{"/var/lib/x", 0, 0, 0701, false}}) {   // o+x
      FakeHost host = idmap_everywhere("/var/lib/x/rootfs");
      host.engine_rootfs("/var/lib/x/rootfs");
      host.dir_access["/var/lib/x"] = open;
      Decision d = judge(spec_text("/var/lib/x/rootfs"), host, test_policy());
      INFO(describe(d) << "mode " << open.mode << " uid " << open.uid << " gid " << open.gid);
      CHECK_FALSE(idmapped(d));
      CHECK(noted(d, "refuses search to unprivileged host users"));
    }
  }
  SECTION("the annotation that asks for the idmapped root again cannot name a host directory") {
    FakeHost host = idmap_everywhere("/srv/app");
    std::string text = spec_text(kTarget, R"(,{"type":"user"})",
                                 R"(,"uidMappings":[{"containerID":0,"hostID":1000000,"size":65536}],)"
                                 R"("gidMappings":[{"containerID":0,"hostID":1000000,"size":65536}])",
                                 R"({"org.oci-harden.rootfs":"/srv/app"})");
    Decision d = judge(text, host, test_policy());
    INFO(describe(d));
    CHECK_FALSE(idmapped(d));
    REQUIRE(d.refused());
    CHECK(d.refusals[0].rule == "user-namespace");
    CHECK(d.refusals[0].reason.find("annotations.org.oci-harden.rootfs") != std::string::npos);
  }
  SECTION("what engines produce stays idmapped: a filesystem of its own below a root-only directory") {
    for (DirAccess closed : {DirAccess{"/var/lib/x", 0, 0, 0700, false},
                             DirAccess{"/var/lib/x", 0, 0, 0710, false}}) {  // Docker's data root
      FakeHost host = idmap_everywhere("/var/lib/x/rootfs");
      host.engine_rootfs("/var/lib/x/rootfs");
      host.dir_access["/var/lib/x"] = closed;
      host.mounts["/var/lib/x/rootfs"].also_at = {"/var/lib/x/rootfs/proc", "/run/oci-harden/c9/rootfs"};
      Decision d = judge(spec_text("/var/lib/x/rootfs"), host, test_policy());
      INFO(describe(d));
      CHECK(idmapped(d));
      CHECK(root_path(d) == kTarget);
    }
  }
}

TEST_CASE("bypass: a joined user namespace whose spec lies about its mappings", "[bypass][userns]") {
  const std::string ns = "/run/userns/lie";
  FakeHost host;
  host.own_ns["user"] = NamespaceId{4, 1};
  host.ns_paths[ns] = NamespaceId{4, 2};  // not the host's by inode: host-namespaces lets it in
  host.userns_maps[ns] = UserNamespaceMap{{{0, 0, 65536}}, {{0, 0, 65536}}};
  std::string text = spec_text("rootfs", R"(,{"type":"user","path":")" + ns + R"("})",
                               R"(,"uidMappings":[{"containerID":0,"hostID":1000000,"size":65536}],)"
                               R"("gidMappings":[{"containerID":0,"hostID":1000000,"size":65536}])");
  for (UsernsUnavailable u : {UsernsUnavailable::kRecord, UsernsUnavailable::kRefuse}) {
    Decision d = judge(text, host, test_policy(u));
    INFO(describe(d));
    REQUIRE(d.refused());
    CHECK(d.refusals[0].rule == "user-namespace");
    CHECK(d.refusals[0].reason.find("really maps container uid 0 to host uid 0") != std::string::npos);
    // The record is made from the final spec: it now carries the real map.
    CHECK(user_summary(d.spec).get_exact("root_on_host")->as_bool() == true);
  }
  SECTION("opted out of user-namespace: not judged, but the record still uses the real maps") {
    Policy p = test_policy();
    std::string opted = text;
    opted.insert(opted.find(R"("mounts")"), R"("annotations":{"org.oci-harden.opt-out":"user-namespace"},)");
    Decision d = judge(opted, host, p);
    INFO(describe(d));
    CHECK_FALSE(d.refused());
    CHECK(user_summary(d.spec).get_exact("root_on_host")->as_bool() == false);  // the spec's claim
    Json truth = with_real_user_maps(d.spec, host, kBundle);
    CHECK(user_summary(truth).get_exact("root_on_host")->as_bool() == true);
  }
  SECTION("audit mode records what it would be: root on the host") {
    Policy p = test_policy();
    p.mode = Mode::kAudit;
    Decision d = judge(text, host, p);
    CHECK(user_summary(d.spec).get_exact("root_on_host")->as_bool() == true);
  }
}

}  // namespace oci_harden
