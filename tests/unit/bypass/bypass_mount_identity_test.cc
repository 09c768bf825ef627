// Bypass corpus, mount identity (sensitive-mounts): binds whose spelling is innocent but whose
// source IS the host (a named volume that is a bind of /, /etc or /run, a procfs or sysfs at a
// volume path, a symlink into one, an engine socket at a path of its own), sources through
// /proc/<pid|self> or inside the container's root, the runtimes' own state, another container's
// directory, and binds: allowed-only. Each goes through parse_spec + harden_spec as
// `oci-harden create` does, on a FakeHost whose mount table models the trick.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

const char* const kBundle = "/bundles/c1";
const char* const kId = "9406b925a613d06742b868bc8992333b30cde9453aad56173dc4d6780f6525ec";
const char* const kRoot = "/var/lib/docker/overlay2/0a49/merged";
const std::string kVolumes = "/var/lib/docker/volumes/";

std::string spec_with(const std::string& source, const std::string& options = R"(["rbind"])") {
  return R"({"process": {"args": ["sh"]}, "root": {"path": ")" + std::string(kRoot) + R"("},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/etc/hosts", "type": "bind", "options": ["rbind"],
       "source": "/var/lib/docker/containers/)" + kId + R"(/hosts"},
      {"destination": "/v", "type": "bind", "source": ")" + source + R"(", "options": )" + options + "}]}";
}

Policy policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  return out;
}

FakeHost host() {
  FakeHost h;
  h.symlinks["/var/run"] = "/run";
  h.add_mount("/run", "tmpfs", "tmpfs", 0, 30);
  h.add_mount("/proc", "proc", "proc", 0, 21);
  h.add_mount("/sys", "sysfs", "sysfs", 0, 22);
  return h;
}

// The sensitive-mounts refusals of the spec, "" joined; "" when it passes.
std::string refusals(const std::string& text, const FakeHost& h, const Policy& p = policy(),
                     const std::string& runtime_root = "") {
  auto spec = parse_spec(text);
  REQUIRE(spec.ok());
  Decision d = harden_spec(std::move(*spec), p, h, Invocation{"create", kId, kBundle, runtime_root});
  std::string out;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "sensitive-mounts") out += r.reason + "\n";
  }
  return out;
}

TEST_CASE("bypass: a named volume that shows the host is judged by what it shows",
          "[bypass][mount-identity]") {
  FakeHost h = host();
  h.add_mount(kVolumes + "hostroot/_data", "ext4", "/dev/vda", 8, 0, "/");
  h.add_mount(kVolumes + "hostetc/_data", "ext4", "/dev/vda", 8, 0, "/etc");
  h.add_mount(kVolumes + "hostrun/_data", "tmpfs", "tmpfs", 0, 30, "/");
  h.add_mount(kVolumes + "hostproc/_data", "proc", "proc", 0, 44);
  h.add_mount(kVolumes + "hostsys/_data", "sysfs", "sysfs", 0, 45);
  CHECK_THAT(refusals(spec_with(kVolumes + "hostroot/_data"), h),
             Contains("mounts[2] source /var/lib/docker/volumes/hostroot/_data is a bind of the "
                      "host's / (ext4 /dev/vda), mounted at /v: a parent of sensitive host paths"));
  CHECK_THAT(refusals(spec_with(kVolumes + "hostetc/_data"), h),
             Contains("is a bind of the host's /etc (ext4 /dev/vda)"));
  CHECK_THAT(refusals(spec_with(kVolumes + "hostrun/_data"), h),
             Contains("is a bind of the host's /run (tmpfs)"));
  CHECK_THAT(refusals(spec_with(kVolumes + "hostproc/_data"), h), Contains("on a proc filesystem"));
  CHECK_THAT(refusals(spec_with(kVolumes + "hostsys/_data"), h), Contains("on a sysfs filesystem"));
  SECTION("a symlink into them") {
    h.symlinks["/srv/innocent"] = kVolumes + "hostproc/_data/sys/kernel";
    CHECK_THAT(refusals(spec_with("/srv/innocent"), h), Contains("on a proc filesystem"));
    h.symlinks["/srv/etc-link"] = kVolumes + "hostetc/_data/ssl";
    CHECK_THAT(refusals(spec_with("/srv/etc-link"), h), Contains("bind of the host's /etc/ssl"));
  }
  SECTION("an rbind of a directory that carries one of them") {
    CHECK_THAT(refusals(spec_with("/var/lib/docker/volumes"), h), Contains("sensitive"));
    h.add_mount("/srv/data/sub", "ext4", "/dev/vda", 8, 0, "/etc");
    CHECK_THAT(refusals(spec_with("/srv/data"), h),
               Contains("carrying the mount at /srv/data/sub (the host's /etc, ext4 /dev/vda)"));
    CHECK(refusals(spec_with("/srv/data", R"(["bind"])"), h).empty());  // not recursive
  }
  SECTION("ordinary volumes, Docker's files and its shm tmpfs still pass") {
    CHECK(refusals(spec_with(kVolumes + "plain/_data"), h).empty());
    h.add_mount(kVolumes + "fromsrv/_data", "ext4", "/dev/vda", 8, 0, "/srv/data");
    CHECK(refusals(spec_with(kVolumes + "fromsrv/_data"), h).empty());
    std::string shm = "/var/lib/docker/containers/" + std::string(kId) + "/mounts/shm";
    h.add_mount(shm, "tmpfs", "shm", 0, 50);
    CHECK(refusals(spec_with(shm), h).empty());
    CHECK(refusals(spec_with("/etc/localtime", R"(["rbind", "ro"])"), h).empty());
  }
  SECTION("a data root that is itself a bind keeps its allowed files") {
    FakeHost d = host();
    d.add_mount("/var/lib/docker", "ext4", "/dev/vda", 8, 0, "/data/docker");
    CHECK(refusals(spec_with(kVolumes + "plain/_data"), d).empty());
    d.add_mount("/srv/alias", "ext4", "/dev/vda", 8, 0, "/data/docker");
    CHECK_THAT(refusals(spec_with("/srv/alias"), d),
               Contains("is a bind of the host's /data/docker (ext4 /dev/vda), mounted at /v: a sensitive"));
  }
}

TEST_CASE("bypass: a root filesystem that is a bind of the host's / or a procfs",
          "[bypass][mount-identity]") {
  FakeHost h = host();
  h.add_mount("/srv/app", "ext4", "/dev/vda", 8, 0, "/");
  h.add_mount("/srv/procroot", "proc", "proc", 0, 46);
  auto root_spec = [](const std::string& root) {
    return R"({"process": {"args": ["sh"]}, "root": {"path": ")" + root + R"("}})";
  };
  CHECK_THAT(refusals(root_spec("/srv/app"), h),
             Contains("root.path /srv/app is a bind of the host's / (ext4 /dev/vda), the host's root "
                      "directory"));
  CHECK_THAT(refusals(root_spec("/srv/procroot"), h), Contains("on a proc filesystem"));
  CHECK(refusals(root_spec(kRoot), h).empty());
}

TEST_CASE("bypass: an engine socket at a path of its own", "[bypass][mount-identity]") {
  FakeHost h = host();
  h.file_types["/srv/api.sock"] = S_IFSOCK;
  h.listeners["/srv/api.sock"] = {"/usr/bin/dockerd (deleted)"};
  h.file_types["/srv/pulse.sock"] = S_IFSOCK;
  h.listeners["/srv/pulse.sock"] = {"/usr/bin/pulseaudio"};
  CHECK_THAT(refusals(spec_with("/srv/api.sock", R"(["bind"])"), h),
             Contains("it is a socket on which /usr/bin/dockerd (deleted) listens"));
  CHECK(refusals(spec_with("/srv/pulse.sock", R"(["bind"])"), h).empty());
  // The socket's directory, seen through a volume, is the socket's directory.
  h.add_mount(kVolumes + "sockdir/_data", "tmpfs", "tmpfs", 0, 30, "/");
  CHECK_THAT(refusals(spec_with(kVolumes + "sockdir/_data"), h), Contains("/run/docker.sock"));
}

TEST_CASE("bypass: sources through /proc or inside the container's root", "[bypass][mount-identity]") {
  FakeHost h = host();
  CHECK_THAT(refusals(spec_with("/proc/self/cwd/../../etc"), h), Contains("goes through /proc/self"));
  CHECK_THAT(refusals(spec_with("proc/self/cwd/x"), h), Contains("goes through /proc/self"));
  CHECK_THAT(refusals(spec_with("/proc/thread-self/root"), h), Contains("/proc/thread-self"));
  CHECK_THAT(refusals(spec_with(std::string(kRoot) + "/proc/1/root"), h),
             Contains("goes through /proc/1"));
  CHECK_THAT(refusals(spec_with(std::string(kRoot) + "/etc"), h),
             Contains("inside the container's own root filesystem"));
  CHECK(refusals(spec_with("/srv/processes"), h).empty());  // "proc" only as a word
}

TEST_CASE("bypass: the runtimes' own state and other containers' files", "[bypass][mount-identity]") {
  FakeHost h = host();
  CHECK_THAT(refusals(spec_with("/run/oci-harden"), h), Contains("a sensitive host path"));
  CHECK_THAT(refusals(spec_with("/run/oci-harden/other/rootfs"), h), Contains("under sensitive"));
  CHECK_THAT(refusals(spec_with("/run/runc"), h), Contains("a sensitive host path"));
  CHECK_THAT(refusals(spec_with("/run/crun/x"), h), Contains("under sensitive"));
  CHECK_THAT(refusals(spec_with("/srv/rt/state", R"(["rbind"])"), h, policy(), "/srv/rt"),
             Contains("under sensitive host path /srv/rt"));
  CHECK_THAT(refusals(spec_with("/var/lib/docker/containers/0123other/hosts"), h),
             Contains("under sensitive host path /var/lib/docker"));
  CHECK_THAT(refusals(spec_with("/run/user/1000/docker.sock"), h), Contains("sensitive"));
  CHECK_THAT(refusals(spec_with("/run/user/1000"), h), Contains("a parent of sensitive host path"));
  CHECK_THAT(refusals(spec_with("/var/lib/containers/storage"), h), Contains("sensitive"));
  CHECK_THAT(refusals(spec_with("/run/dbus/system_bus_socket"), h), Contains("sensitive"));
  Policy p = policy();
  p.state_dir = "/srv/ocih-state";
  CHECK_THAT(refusals(spec_with("/srv/ocih-state"), h, p), Contains("a sensitive host path"));
}

TEST_CASE("bypass: binds allowed-only admits the allowed lists alone", "[bypass][mount-identity]") {
  FakeHost h = host();
  Policy p = policy();
  p.binds = Binds::kAllowedOnly;
  CHECK_THAT(refusals(spec_with("/srv/www"), h, p), Contains("only the allowed lists may be bound"));
  CHECK(refusals(spec_with(kVolumes + "v/_data"), h, p).empty());
  CHECK(refusals(spec_with("/etc/localtime", R"(["rbind", "ro"])"), h, p).empty());
  CHECK_THAT(refusals(spec_with("/usr/bin/docker-init", R"(["rbind"])"), h, p),
             Contains("read-only"));
  auto restricted = parse_policy(R"({"binds": "allowed-only"})", "/etc/oci-harden/policy.json");
  REQUIRE(restricted.ok());
  CHECK(restricted->binds == Binds::kAllowedOnly);
  CHECK_FALSE(parse_policy(R"({"binds": "some"})", "/etc/oci-harden/policy.json").ok());
}

TEST_CASE("bypass: the audit log's directory and its parents (breaker finding 10)", "[bypass][mount-identity]") {
  // A rw bind of /var/log let the container (root on the host with the user-namespace opt-out)
  // rewrite /var/log/oci-harden/audit.jsonl, the record of what it did.
  FakeHost h = host();
  CHECK_THAT(refusals(spec_with("/var/log", R"(["rbind", "rw"])"), h),
             Contains("/var/log is mounted at /v (mounts[2]): a parent of sensitive host path "
                      "/var/log/oci-harden/audit.jsonl"));
  CHECK_THAT(refusals(spec_with("/var/log"), h), Contains("a parent of sensitive host path /var/log/oci-harden/"));
  CHECK_THAT(refusals(spec_with("/var"), h), Contains("a parent of sensitive host path"));
  CHECK_THAT(refusals(spec_with("/var/log/oci-harden"), h),
             Contains("a parent of sensitive host path /var/log/oci-harden/audit.jsonl"));
  CHECK_THAT(refusals(spec_with("/var/log/oci-harden/audit.jsonl"), h), Contains("a sensitive host path"));
  // Read-only does not help: the file is judged as a sensitive path, as the socket is.
  CHECK_THAT(refusals(spec_with("/var/log", R"(["rbind", "ro"])"), h), Contains("/var/log/oci-harden"));
  // Spelt otherwise: a symlink to it, a named volume that is a bind of it.
  h.symlinks["/srv/logs"] = "/var/log";
  CHECK_THAT(refusals(spec_with("/srv/logs"), h), Contains("/var/log/oci-harden"));
  h.add_mount(kVolumes + "logs/_data", "ext4", "/dev/vda", 8, 0, "/var/log");
  CHECK_THAT(refusals(spec_with(kVolumes + "logs/_data"), h), Contains("/var/log/oci-harden"));
  // A log collector's directories stay allowed.
  CHECK(refusals(spec_with("/var/log/containers", R"(["rbind", "ro"])"), h).empty());
  CHECK(refusals(spec_with("/var/log/pods", R"(["rbind", "ro"])"), h).empty());
  // The policy's own audit_log decides; what lies beside it (not above it) stays bindable.
  Policy p = policy();
  p.audit_log = "/srv/audit/oci-harden.jsonl";
  CHECK_THAT(refusals(spec_with("/srv/audit"), h, p), Contains("a parent of sensitive host path /srv/audit/"));
  CHECK_THAT(refusals(spec_with("/srv"), h, p), Contains("a parent of sensitive host path /srv/audit/"));
  CHECK(refusals(spec_with("/srv/audit-other"), h, p).empty());
  CHECK(refusals(spec_with("/srv/www"), h, p).empty());
}


// The hardened spec of `text`, for what a passing bind's source became.
Decision hardened(const std::string& text, const FakeHost& h, const std::string& bundle = kBundle) {
  auto spec = parse_spec(text);
  REQUIRE(spec.ok());
  return harden_spec(std::move(*spec), policy(), h, Invocation{"create", kId, bundle, ""});
}

std::string source_of(const Decision& d, size_t i) {
  return string_field(&field(&d.spec, "mounts")->items()[i], "source").value_or("");
}

TEST_CASE("bypass: a bind source's symlink flipped after judgement binds only what was judged",
          "[bypass][mount-identity]") {
  // The adversary's race (repro 13): /srv/link -> /srv/data when judged, -> /etc when runc
  // mounts. The spec now names /srv/data, so the flip no longer reaches runc.
  FakeHost h = host();
  h.symlinks["/srv/link"] = "/srv/data";
  CHECK(refusals(spec_with("/srv/link"), h).empty());
  Decision d = hardened(spec_with("/srv/link"), h);
  CHECK(source_of(d, 2) == "/srv/data");
  bool recorded = std::any_of(d.changes.begin(), d.changes.end(), [](const Change& c) {
    return c.rule == "sensitive-mounts" && c.path == "mounts[2].source" && c.before.text() == "/srv/link" &&
           c.after.text() == "/srv/data";
  });
  CHECK(recorded);
  // A symlink on a parent, "..", "//": the canonical spelling is written.
  h.symlinks["/srv/www"] = "/data/www";
  CHECK(source_of(hardened(spec_with("/srv/www//site/../site"), h), 2) == "/data/www/site");
  // A relative source is judged from the bundle and written absolute, from its physical path.
  h.symlinks["/bundles"] = "/var/lib/bundles";
  CHECK(source_of(hardened(spec_with("shared/x"), h), 2) == "/var/lib/bundles/c1/shared/x");
  // An engine's own sources are already canonical and stay as they are; /var/run is /run.
  Decision engine = hardened(spec_with("/var/run/secrets", R"(["rbind", "ro"])"), h);
  CHECK(source_of(engine, 1) == std::string("/var/lib/docker/containers/") + kId + "/hosts");
  CHECK(source_of(engine, 2) == "/run/secrets");
  // A refused bind is not rewritten (the spec is refused whole).
  h.symlinks["/srv/evil"] = "/etc";
  CHECK_THAT(refusals(spec_with("/srv/evil"), h), Contains("a sensitive host path"));
}


TEST_CASE("bypass: a hard link of a sensitive file at an innocent path is refused",
          "[bypass][mount-identity]") {
  // Repro 14: /tmp/hl-shadow is a second name of /etc/shadow (nlink 2); the path is innocent,
  // and the other name cannot be found from it.
  FakeHost h = host();
  h.file_types["/srv/hl-shadow"] = S_IFREG;
  h.nlinks["/srv/hl-shadow"] = 2;
  CHECK_THAT(refusals(spec_with("/srv/hl-shadow", R"(["bind", "ro"])"), h),
             Contains("/srv/hl-shadow is mounted at /v (mounts[2]): it is a file with 2 hard links"));
  h.symlinks["/srv/innocent"] = "/srv/hl-shadow";
  CHECK_THAT(refusals(spec_with("/srv/innocent"), h), Contains("2 hard links"));
  // A file with one name, and a directory (whose link count counts its subdirectories), pass.
  h.file_types["/srv/one"] = S_IFREG;
  CHECK(refusals(spec_with("/srv/one"), h).empty());
  h.nlinks["/srv/dir"] = 5;
  CHECK(refusals(spec_with("/srv/dir"), h).empty());
  // /etc/localtime -> a zoneinfo file hard-linked to its aliases: allowed read-only.
  h.symlinks["/etc/localtime"] = "/usr/share/zoneinfo/Europe/Paris";
  h.file_types["/usr/share/zoneinfo/Europe/Paris"] = S_IFREG;
  h.nlinks["/usr/share/zoneinfo/Europe/Paris"] = 3;
  CHECK(refusals(spec_with("/etc/localtime", R"(["rbind", "ro"])"), h).empty());
  CHECK_THAT(refusals(spec_with("/usr/share/zoneinfo/Europe/Paris", R"(["rbind"])"), h),
             Contains("the policy allows it only read-only"));
  // Read-only does not help a linked file off the lists.
  h.file_types["/srv/zone"] = S_IFREG;
  h.nlinks["/srv/zone"] = 3;
  CHECK_THAT(refusals(spec_with("/srv/zone", R"(["rbind", "ro"])"), h), Contains("3 hard links"));
  // An engine's per-container file on the allowed lists passes even with links.
  std::string hosts = std::string("/var/lib/docker/containers/") + kId + "/hostname";
  h.file_types[hosts] = S_IFREG;
  h.nlinks[hosts] = 2;
  CHECK(refusals(spec_with(hosts), h).empty());
}


TEST_CASE("bypass: a directory holding an engine's listening socket is refused",
          "[bypass][mount-identity]") {
  // Repro 10: dockerd's --exec-root/containerd at a path of its own, holding containerd.sock.
  FakeHost h = host();
  const std::string sock = "/srv/dk/exec/containerd/containerd.sock";
  h.file_types[sock] = S_IFSOCK;
  h.listeners[sock] = {"/usr/bin/containerd"};
  CHECK_THAT(refusals(spec_with("/srv/dk/exec/containerd"), h),
             Contains("/srv/dk/exec/containerd is mounted at /v (mounts[2]): it holds the socket " + sock +
                      " (on which /usr/bin/containerd listens, engine_binaries)"));
  CHECK_THAT(refusals(spec_with("/srv/dk", R"(["rbind", "ro"])"), h), Contains("it holds the socket"));
  h.symlinks["/srv/innocent"] = "/srv/dk/exec";
  CHECK_THAT(refusals(spec_with("/srv/innocent"), h), Contains("it holds the socket"));
  // A named volume that is a bind of that directory: judged by its true path.
  h.add_mount(kVolumes + "ex/_data", "ext4", "/dev/vda", 8, 0, "/srv/dk/exec");
  CHECK_THAT(refusals(spec_with(kVolumes + "ex/_data"), h), Contains("it holds the socket"));
  // A sibling directory, and a socket no engine listens on, pass.
  CHECK(refusals(spec_with("/srv/dk/data"), h).empty());
  h.file_types["/srv/app/app.sock"] = S_IFSOCK;
  h.listeners["/srv/app/app.sock"] = {"/usr/bin/plain-server"};
  CHECK(refusals(spec_with("/srv/app"), h).empty());
}

TEST_CASE("bypass: a directory that may hold a hard link of an engine socket is refused",
          "[bypass][mount-identity]") {
  // Repro 16: a docker-group user links docker.sock into /srv/sockdir; the socket's bound name
  // is elsewhere, but its file has two names on the filesystem the directory is on.
  FakeHost h = host();
  h.add_mount("/data", "ext4", "/dev/vdb", 8, 16);
  const std::string sock = "/srv/dk/docker.sock";
  h.file_types[sock] = S_IFSOCK;
  h.listeners[sock] = {"/usr/bin/dockerd"};
  CHECK(refusals(spec_with("/srv/sockdir"), h).empty());  // one name: it is where it was bound
  h.nlinks[sock] = 2;
  CHECK_THAT(refusals(spec_with("/srv/sockdir"), h),
             Contains("/srv/sockdir is mounted at /v (mounts[2]): it holds perhaps a hard link of the "
                      "socket /srv/dk/docker.sock (on which /usr/bin/dockerd listens, engine_binaries): "
                      "it has 2 names on this filesystem"));
  // Another filesystem cannot hold a link of it; the allowed lists are not searched.
  CHECK(refusals(spec_with("/data/www"), h).empty());
  CHECK(refusals(spec_with(kVolumes + "data/_data"), h).empty());
}

}  // namespace
}  // namespace oci_harden
