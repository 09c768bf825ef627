// Rule "sensitive-mounts": engines' own files, named volumes and pod volumes pass; engine
// sockets, sensitive host paths and their parents are refused under every spelling (symlinks,
// "..", "//", trailing "/", relative to the bundle), as are binds at an engine socket's path,
// foreign mount types and root filesystems that are the host's, on FakeHost.

#include <catch2/catch.hpp>

#include "shim/core/harden.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "tests/unit/core/rule_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const char* const kBundle = "/bundles/c1";
const char* const kDockerRoot =
    "/var/lib/docker/overlay2/0a491f176cfbd558757caf510ec5b37a1dd36066fa88bbcdc1cbec79937bc5f0/merged";
const char* const kContainer = "9406b925a613d06742b868bc8992333b30cde9453aad56173dc4d6780f6525ec";

using Reasons = std::vector<std::string>;

// A spec with Docker's default mounts and then `mounts` (JSON objects, comma-separated); the
// extra mounts start at index kFirst.
constexpr int kFirst = 5;
std::string spec_text(const std::string& mounts, const std::string& root = kDockerRoot) {
  std::string id = kContainer;
  return R"({"process": {"args": ["sh"]}, "root": {"path": ")" + root + R"("},
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"]},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
      {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["ro"]},
      {"destination": "/etc/resolv.conf", "type": "bind",
       "source": "/var/lib/docker/containers/)" + id + R"(/resolv.conf", "options": ["rbind"]},
      {"destination": "/etc/hosts", "type": "bind",
       "source": "/var/lib/docker/containers/)" + id + R"(/hosts", "options": ["rbind"]})" +
         (mounts.empty() ? "" : ", " + mounts) + "]}";
}

std::string bind(const std::string& source, const std::string& dest,
                 const std::string& options = R"(["rbind", "rprivate"])") {
  return R"({"destination": ")" + dest + R"(", "type": "bind", "source": ")" + source +
         R"(", "options": )" + options + "}";
}

FakeHost docker_host() {
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  return host;
}

using rule_test::parse;

Policy policy() { return rule_test::builtin(); }

Reasons run(const std::string& text, const FakeHost& host = docker_host(),
            const Policy& p = policy(), const std::string& bundle = kBundle) {
  Json spec = parse(text);
  Json before = spec;
  Invocation inv{"create", kContainer, bundle};
  RuleContext ctx(spec, p, host, inv);
  ctx.begin_rule("sensitive-mounts");
  rule_sensitive_mounts(ctx);
  // The only change the rule makes: a passing bind's source pinned to the canonical path judged.
  for (const Change& c : ctx.changes()) {
    REQUIRE(c.rule == "sensitive-mounts");
    REQUIRE(c.path.compare(0, 7, "mounts[") == 0);
    REQUIRE(c.path.size() > 8);
    REQUIRE(c.path.compare(c.path.size() - 8, 8, "].source") == 0);
    size_t i = std::stoul(c.path.substr(7));
    REQUIRE(c.after.is_string());
    const std::string& was = c.before.text();
    std::string base = host.canonical_path(lexical(bundle));
    REQUIRE(c.after.text() == host.canonical_path(was[0] == '/' ? was : lexical(base + "/" + was)));
    field(&spec, "mounts")->items()[i].set("source", c.before);
  }
  REQUIRE(spec == before);
  Reasons reasons;
  for (const Refusal& r : ctx.refusals()) {
    REQUIRE(r.rule == "sensitive-mounts");
    reasons.push_back(r.reason);
  }
  return reasons;
}

Reasons run_bind(const std::string& source, const std::string& dest = "/mnt",
                 const std::string& options = R"(["rbind", "rprivate"])",
                 const FakeHost& host = docker_host()) {
  return run(spec_text(bind(source, dest, options)), host);
}

}  // namespace

TEST_CASE("sensitive-mounts: engine defaults and engine-owned sources are unchanged",
          "[sensitive-mounts]") {
  SECTION("Docker's default mounts") { REQUIRE(run(spec_text("")).empty()); }
  SECTION("a Docker named volume") {
    REQUIRE(run_bind("/var/lib/docker/volumes/data/_data", "/data", R"(["rbind"])").empty());
  }
  SECTION("a named volume under userns-remap's data root") {
    REQUIRE(run_bind("/var/lib/docker/100000.100000/volumes/data/_data", "/data").empty());
  }
  SECTION("Docker's per-container resolv.conf") {
    REQUIRE(run_bind("/var/lib/docker/containers/9406b925a613d06742b868bc8992333b30cde9453aad56173dc4d6780f6525ec/resolv.conf", "/etc/resolv.conf").empty());
  }
  SECTION("a kubelet emptyDir") {
    REQUIRE(run_bind("/var/lib/kubelet/pods/6f1c2d3e-0000-4000-8000-000000000001/volumes/"
                     "kubernetes.io~empty-dir/x",
                     "/cache")
                .empty());
  }
  SECTION("the containerd CRI sandbox's shm") {
    REQUIRE(run_bind("/run/containerd/io.containerd.grpc.v1.cri/sandboxes/0123abcd/shm", "/dev/shm")
                .empty());
  }
  SECTION("the containerd CRI sandbox's hosts file") {
    REQUIRE(run_bind("/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/0123abcd/hosts",
                     "/etc/hosts")
                .empty());
  }
  SECTION("an ordinary host directory") { REQUIRE(run_bind("/srv/www", "/usr/share/nginx").empty()); }
  SECTION("a read-only bind of /etc/localtime") {
    REQUIRE(run_bind("/etc/localtime", "/etc/localtime", R"(["rbind", "ro"])").empty());
    REQUIRE(run_bind("/etc/localtime", "/etc/localtime", R"(["rbind", "rw", "ro"])").empty());
    REQUIRE(run_bind("/etc/localtime", "/etc/localtime", R"(["rbind", "rro"])").empty());
  }
  SECTION("/etc/localtime behind its usual symlink, read-only") {
    FakeHost host = docker_host();
    host.symlinks["/etc/localtime"] = "/usr/share/zoneinfo/Europe/Paris";
    REQUIRE(run_bind("/etc/localtime", "/etc/localtime", R"(["bind", "ro"])", host).empty());
  }
  SECTION("an engine data root behind a symlink still matches its allowed patterns") {
    FakeHost host = docker_host();
    host.symlinks["/var/lib/docker"] = "/data/docker";
    REQUIRE(run_bind("/var/lib/docker/volumes/v/_data", "/v", R"(["rbind"])", host).empty());
    REQUIRE(run_bind("/data/docker/containers/9406b925a613d06742b868bc8992333b30cde9453aad56173dc4d6780f6525ec/hosts", "/etc/hosts", R"(["rbind"])", host)
                .empty());
  }
  SECTION("non-bind mounts of allowed types") {
    REQUIRE(run(spec_text(R"({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"},
                            {"destination": "/sys/fs/cgroup", "type": "cgroup2", "source": "x"})"))
                .empty());
  }
  SECTION("a destination that merely resembles a socket path") {
    REQUIRE(run_bind("/srv/empty", "/var/run/docker.sock.d/x").empty());
  }
}

TEST_CASE("sensitive-mounts: the engine socket is refused under every spelling",
          "[sensitive-mounts]") {
  SECTION("-v /var/run/docker.sock:/sock") {
    REQUIRE(run_bind("/var/run/docker.sock", "/sock") ==
            Reasons{"/var/run/docker.sock (canonical /run/docker.sock) is mounted at /sock "
                    "(mounts[5]): the engine socket gives full control of the host"});
  }
  SECTION("/run/docker.sock as is") {
    REQUIRE(run_bind("/run/docker.sock", "/sock") ==
            Reasons{"/run/docker.sock is mounted at /sock (mounts[5]): the engine socket gives "
                    "full control of the host"});
  }
  for (const char* source : {"//run/docker.sock", "/var/run/../run/docker.sock",
                             "/var/run/docker.sock/", "/var/./run//docker.sock"}) {
    DYNAMIC_SECTION("spelled " << source) {
      Reasons r = run_bind(source, "/sock");
      REQUIRE(r.size() == 1);
      REQUIRE_THAT(r[0], Catch::StartsWith(std::string(source) +
                                           " (canonical /run/docker.sock) is mounted at /sock"));
    }
  }
  SECTION("through a symlink /tmp/x -> /run") {
    FakeHost host = docker_host();
    host.symlinks["/tmp/x"] = "/run";
    REQUIRE(run_bind("/tmp/x/docker.sock", "/sock", R"(["rbind"])", host) ==
            Reasons{"/tmp/x/docker.sock (canonical /run/docker.sock) is mounted at /sock "
                    "(mounts[5]): the engine socket gives full control of the host"});
    Reasons r = run_bind("/tmp/x", "/x", R"(["rbind"])", host);
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::StartsWith("/tmp/x (canonical /run) is mounted at /x (mounts[5]): "
                                         "a parent of sensitive host paths (/run/docker.sock"));
  }
  SECTION("containerd's socket, under /run/containerd") {
    REQUIRE(run_bind("/run/containerd/containerd.sock", "/run/containerd/containerd.sock").size() ==
            1);
  }
}

TEST_CASE("sensitive-mounts: sensitive host paths and their parents are refused",
          "[sensitive-mounts]") {
  SECTION("/ itself") {
    REQUIRE(run_bind("/", "/host") ==
            Reasons{"/ is mounted at /host (mounts[5]): a parent of sensitive host paths"});
  }
  SECTION("/var, a parent of /var/lib/docker") {
    REQUIRE(run_bind("/var", "/var-host") ==
            Reasons{"/var is mounted at /var-host (mounts[5]): a parent of sensitive host paths "
                    "(/var/lib/docker, /var/lib/containerd, /var/lib/kubelet, ...)"});
  }
  SECTION("/var/run, a parent of /run/docker.sock once canonical") {
    Reasons r = run_bind("/var/run", "/var/run");
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::StartsWith("/var/run (canonical /run) is mounted at /var/run "
                                         "(mounts[5]): a parent of sensitive host paths"));
  }
  SECTION("/etc, and a path under it") {
    REQUIRE(run_bind("/etc", "/host-etc") ==
            Reasons{"/etc is mounted at /host-etc (mounts[5]): a sensitive host path"});
    REQUIRE(run_bind("/etc/shadow", "/shadow") ==
            Reasons{"/etc/shadow is mounted at /shadow (mounts[5]): under sensitive host path "
                    "/etc"});
  }
  SECTION("/var/lib/docker itself, and a path under it that no pattern allows") {
    REQUIRE(run_bind("/var/lib/docker", "/d").size() == 1);
    REQUIRE(run_bind("/var/lib/docker/containers", "/all-containers") ==
            Reasons{"/var/lib/docker/containers is mounted at /all-containers (mounts[5]): under "
                    "sensitive host path /var/lib/docker"});
    REQUIRE(run_bind("/var/lib/docker/volumes/data", "/d").size() == 1);  // not _data
  }
  SECTION("/proc/1/root, which is / from the engine's view") {
    FakeHost host = docker_host();
    host.symlinks["/proc/1/root"] = "/";
    REQUIRE(run_bind("/proc/1/root", "/host", R"(["rbind"])", host) ==
            Reasons{"/proc/1/root is mounted at /host (mounts[5]): it goes through /proc/1, which "
                    "runc resolves in its own process when it mounts (/proc/self/cwd is the "
                    "bundle, <root>/proc/1/root the host's /)"});
  }
  SECTION("a relative source ../../../etc is relative to the bundle") {
    REQUIRE(run_bind("../../../etc", "/e") ==
            Reasons{"../../../etc (canonical /etc) is mounted at /e (mounts[5]): a sensitive host "
                    "path"});
  }
  SECTION("a relative source judged from the bundle's physical path too") {
    FakeHost host = docker_host();
    host.symlinks["/srv/b"] = "/run/b";  // the bundle /srv/b/c1 is really /run/b/c1
    Reasons r = run(spec_text(bind("../../docker.sock", "/sock")), host, policy(), "/srv/b/c1");
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::StartsWith("../../docker.sock (canonical /run/docker.sock)"));
  }
  SECTION("rbind, bind, and type none or missing with a bind option, are all binds") {
    for (const char* m :
         {R"({"destination": "/e", "type": "bind", "source": "/etc"})",
          R"({"destination": "/e", "type": "bind", "source": "/etc", "options": ["bind"]})",
          R"({"destination": "/e", "source": "/etc", "options": ["rbind"]})",
          R"({"destination": "/e", "type": "none", "source": "/etc", "options": ["bind"]})",
          R"({"destination": "/e", "type": "tmpfs", "source": "/etc", "options": ["rbind"]})"}) {
      INFO(m);
      REQUIRE(run(spec_text(m)) ==
              Reasons{"/etc is mounted at /e (mounts[5]): a sensitive host path"});
    }
  }
  SECTION("a read-write bind of /etc/localtime") {
    Reasons expected{"/etc/localtime is mounted read-write at /etc/localtime (mounts[5]): the "
                     "policy allows it only read-only (:ro)"};
    REQUIRE(run_bind("/etc/localtime", "/etc/localtime", R"(["rbind"])") == expected);
    REQUIRE(run_bind("/etc/localtime", "/etc/localtime", R"(["rbind", "ro", "rw"])") == expected);
  }
  SECTION("each offending mount is refused") {
    Reasons r = run(spec_text(bind("/etc", "/a") + ", " + bind("/srv", "/ok") + ", " +
                              bind("/var/run/docker.sock", "/b")));
    REQUIRE(r.size() == 2);
    REQUIRE_THAT(r[0], Catch::Contains("(mounts[5])"));
    REQUIRE_THAT(r[1], Catch::Contains("(mounts[7])"));
  }
}

TEST_CASE("sensitive-mounts: allowed patterns never admit a parent of a sensitive path",
          "[sensitive-mounts]") {
  Policy p = policy();
  SECTION("a broad pattern does not admit /var/lib") {
    p.allowed_paths.push_back("/var/*");
    REQUIRE(run(spec_text(bind("/var/lib", "/l")), docker_host(), p).size() == 1);
    REQUIRE(run(spec_text(bind("/var/cache/apt", "/c")), docker_host(), p).empty());
  }
  SECTION("a container directory holding a sensitive path") {
    p.sensitive_paths.push_back("/var/lib/docker/containers/9406b925a613d06742b868bc8992333b30cde9453aad56173dc4d6780f6525ec/secrets");
    REQUIRE(run(spec_text(bind("/var/lib/docker/containers/9406b925a613d06742b868bc8992333b30cde9453aad56173dc4d6780f6525ec", "/c")), docker_host(), p)
                .size() == 1);
    REQUIRE(run(spec_text(bind("/var/lib/docker/containers/9406b925a613d06742b868bc8992333b30cde9453aad56173dc4d6780f6525ec/hosts", "/etc/hosts")),
                docker_host(), p)
                .empty());
  }
  SECTION("no allowance admits an engine socket") {
    p.allowed_paths.push_back("/run/*");
    p.allowed_readonly_paths.push_back("/run/docker.sock");
    REQUIRE(run(spec_text(bind("/var/run/docker.sock", "/s", R"(["rbind", "ro"])")),
                docker_host(), p)
                .size() == 1);
  }
  SECTION("a read-only allowance does not admit a parent either") {
    p.allowed_readonly_paths.push_back("/etc");
    REQUIRE(run(spec_text(bind("/etc", "/e", R"(["rbind", "ro"])")), docker_host(), p).empty());
    REQUIRE(run(spec_text(bind("/", "/e", R"(["rbind", "ro"])")), docker_host(), p).size() == 1);
  }
}

TEST_CASE("sensitive-mounts: a bind at an engine socket's path is refused whatever its source",
          "[sensitive-mounts]") {
  for (const char* dest : {"/var/run/docker.sock", "//var/run/docker.sock/",
                           "/run/../var/run/./docker.sock", "/run/docker.sock",
                           "/var/run/containerd/containerd.sock", "var/run/docker.sock"}) {
    DYNAMIC_SECTION("destination " << dest) {
      REQUIRE(run_bind("/srv/innocent", dest) ==
              Reasons{"/srv/innocent is mounted at " + std::string(dest) +
                      " (mounts[5]): that is an engine socket's path, and binds there are "
                      "refused whatever their source"});
    }
  }
}

TEST_CASE("sensitive-mounts: mount types outside the policy are refused", "[sensitive-mounts]") {
  SECTION("the host's disk") {
    Reasons r = run(spec_text(
        R"({"destination": "/host", "type": "ext4", "source": "/dev/vda", "options": ["rw"]})"));
    REQUIRE(r == Reasons{"a filesystem of type \"ext4\" (source /dev/vda) is mounted at /host "
                         "(mounts[5]): the policy allows bind mounts and proc, sysfs, tmpfs, "
                         "devpts, mqueue, cgroup, cgroup2 (allowed_mount_types)"});
  }
  SECTION("overlay with a host lowerdir") {
    Reasons r = run(spec_text(R"({"destination": "/o", "type": "overlay", "source": "overlay",
                                  "options": ["lowerdir=/etc"]})"));
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::StartsWith("a filesystem of type \"overlay\""));
  }
  SECTION("type none or missing without a bind option") {
    REQUIRE(run(spec_text(R"({"destination": "/o", "type": "none", "source": "/etc"})")).size() ==
            1);
    Reasons r = run(spec_text(R"({"destination": "/o", "source": "/etc"})"));
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::StartsWith("a filesystem with no type (source /etc)"));
  }
}

TEST_CASE("sensitive-mounts: a root filesystem that is the host's is refused",
          "[sensitive-mounts]") {
  SECTION("engine roots under their data directories are allowed") {
    REQUIRE(run(spec_text("", kDockerRoot)).empty());
    REQUIRE(run(spec_text("", "rootfs")).empty());
    REQUIRE(run(spec_text("", "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs"))
                .empty());
  }
  SECTION("/ itself") {
    REQUIRE(run(spec_text("", "/")) ==
            Reasons{"root.path / is the host's root directory: the container would run on the "
                    "host's own files"});
  }
  SECTION("/proc/1/root, resolved or not") {
    FakeHost host = docker_host();
    Reasons r = run(spec_text("", "/proc/1/root"), host);
    REQUIRE(r == Reasons{"root.path /proc/1/root is inside /proc, /sys or /dev: the container "
                         "would run on the host's own files"});
    host.symlinks["/proc/1/root"] = "/";
    r = run(spec_text("", "/proc/1/root"), host);
    REQUIRE(r.size() == 1);
    REQUIRE_THAT(r[0], Catch::StartsWith("root.path /proc/1/root (canonical /) is the host's root"));
  }
  SECTION("a relative root.path climbing out of the bundle") {
    REQUIRE(run(spec_text("", "../../..")).size() == 1);
  }
  SECTION("a sensitive path, or a parent of one") {
    REQUIRE(run(spec_text("", "/etc")) ==
            Reasons{"root.path /etc is a sensitive host path: the container would run on the "
                    "host's own files"});
    // Docker's own binds lie inside that root too, and are refused with it.
    REQUIRE_THAT(run(spec_text("", "/var/lib/docker"))[0],
                 Catch::StartsWith("root.path /var/lib/docker is a sensitive host path"));
    Reasons r = run(spec_text("", "/var"));
    REQUIRE(r.size() == 3);  // the root, and Docker's two binds inside it
    REQUIRE_THAT(r[0], Catch::StartsWith("root.path /var is a parent of sensitive host paths"));
  }
}

TEST_CASE("sensitive-mounts: refused through harden_spec", "[sensitive-mounts]") {
  FakeHost host = docker_host();
  Policy p = policy();
  Decision d = harden_spec(parse(spec_text(bind("/var/run/docker.sock", "/var/run/docker.sock"))),
                           p, host, Invocation{"create", kContainer, kBundle});
  Reasons reasons;
  for (const Refusal& r : d.refusals) {
    if (r.rule == "sensitive-mounts") reasons.push_back(r.reason);
  }
  REQUIRE(reasons == Reasons{"/var/run/docker.sock (canonical /run/docker.sock) is mounted at "
                             "/var/run/docker.sock (mounts[5]): the engine socket gives full "
                             "control of the host"});
}

}  // namespace oci_harden
