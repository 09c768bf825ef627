// The bypass corpus: configs written to get past each refusing rule (privileged, host-namespaces,
// sensitive-mounts, devices, sysctls, opt-out) and each rewriting one (capabilities,
// no-new-privileges, limits). Every attempt goes through parse_spec and harden_spec exactly as
// `oci-harden create` does, and must be refused at load (exit 4), refused by a rule (exit 1), or
// neutralised: the hardened spec, read back as runc will read it, holds the policy's value.
// What runc 1.1 itself does with each attempt is in tests/bypass/README.md.
//
// Most cases run on FakeHost (/var/run -> /run, nothing else); the cases about symlinks, magic
// links and namespaces made by the test itself run on the real host, in a private temp dir.

#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/host/audit.hh"
#include "shim/core/harden.hh"
#include "shim/host/real_host.hh"
#include "shim/core/spec.hh"
#include "tests/unit/bypass/bypass_support.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

using Catch::Matchers::Contains;

const char* const kBundle = "/bundles/c1";
const char* const kOptOut = "org.oci-harden.opt-out";

using test::data_file;

// `runc spec` (runc 1.1.5) with a writable root: a container that hardens without refusal.
Json base_spec() {
  auto r = parse_spec(data_file("runc-spec.json"));
  REQUIRE(r.ok());
  Json spec = std::move(*r);
  field(&spec, "root")->set("readonly", Json::boolean(false));
  return spec;
}

// The base spec as compact text (to_json is deterministic), for attempts that need raw JSON:
// duplicate keys, odd spellings, wrong types.
std::string base_text() { return to_json(base_spec()); }

// Inserts `raw` right after the first occurrence of `anchor` (compact JSON, e.g. "\"process\":{").
std::string insert_after(std::string text, const std::string& anchor, const std::string& raw) {
  size_t at = text.find(anchor);
  INFO("anchor " << anchor);
  REQUIRE(at != std::string::npos);
  size_t pos = at + anchor.size();
  std::string add = raw;
  // A member list that was empty takes no separating comma.
  if (!add.empty() && add.back() == ',' && pos < text.size() && (text[pos] == '}' || text[pos] == ']')) {
    add.pop_back();
  }
  text.insert(pos, add);
  return text;
}

Policy test_policy() { return bypass::policy(); }

FakeHost fake_host() {
  FakeHost host;
  host.symlinks["/var/run"] = "/run";
  return host;
}

using bypass::Verdict;

Verdict judge(const std::string& text, const Host& host, const Policy& policy,
              const std::string& bundle = kBundle) {
  return bypass::attempt(text, host, policy, bundle);
}

Verdict judge(const std::string& text) { return judge(text, fake_host(), test_policy()); }
Verdict judge(const Json& spec) { return judge(to_json(spec)); }

// The hardened spec as runc will read it: written out and loaded again (no duplicate left).
Json written(const Verdict& v) {
  auto again = parse_spec(to_json(v.d.spec));
  INFO((again.ok() ? std::string() : again.error().message));
  REQUIRE(again.ok());
  return std::move(*again);
}

void REQUIRE_REFUSED_BY(const Verdict& v, const char* rule) {
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK(v.refused_by(rule));
}

void REQUIRE_LOAD_ERROR(const Verdict& v, const std::string& text) {
  INFO(v.describe());
  REQUIRE_FALSE(v.loaded);
  CHECK_THAT(v.load_error, Contains(text));
}

// Every capability set within the allow-list, ambient empty: the capabilities rule's promise.
void check_caps_neutralised(const Verdict& v) {
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK_FALSE(v.d.refused());
  Json out = written(v);
  Policy p = test_policy();
  for (const char* set : {"bounding", "effective", "permitted", "inheritable"}) {
    for (const std::string& name : string_items(field_at(out, std::string("process.capabilities.") + set))) {
      INFO(set << " keeps " << name);
      CHECK(std::find(p.capabilities.begin(), p.capabilities.end(), name) != p.capabilities.end());
    }
  }
  const Json* ambient = field_at(out, "process.capabilities.ambient");
  CHECK((ambient == nullptr || ambient->items().empty()));
}

std::string all_caps_json(int last, bool lower = false, bool no_prefix = false) {
  std::string out = "[";
  for (int n = last; n >= 0; --n) {  // reversed: order must not matter
    std::string name = capability_name(n);
    if (no_prefix) name = name.substr(4);
    if (lower) std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    out += (n == last ? "\"" : ",\"") + name + "\"";
  }
  return out + ",\"CAP_CHOWN\"]";  // and a duplicate
}

// ---- real host: a private directory for symlinks the test plants ----

// rm -r without following links (libstdc++ 12's remove_all spun forever on links into /proc).
void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    ::unlink(path.c_str());
    return;
  }
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  for (const std::string& n : names) remove_tree(path + "/" + n);
  ::rmdir(path.c_str());
}

class TempTree {
 public:
  TempTree() {
    char tmpl[] = "/tmp/ocih-bypass.XXXXXX";
    char* made = ::mkdtemp(tmpl);
    REQUIRE(made != nullptr);
    char real[PATH_MAX];
    REQUIRE(::realpath(made, real) != nullptr);
    dir_ = real;
  }
  ~TempTree() { remove_tree(dir_); }
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& rel) const { return dir_ + "/" + rel; }
  void link(const std::string& rel, const std::string& target) const {
    std::filesystem::create_directories(std::filesystem::path(path(rel)).parent_path());
    REQUIRE(::symlink(target.c_str(), path(rel).c_str()) == 0);
  }
  void mkdirs(const std::string& rel) const { std::filesystem::create_directories(path(rel)); }

 private:
  std::string dir_;
};

std::string bind_json(const std::string& source, const std::string& dest = "/x",
                      const std::string& rest = R"("type":"bind","options":["rbind"])") {
  Json s = Json::string(source), d = Json::string(dest);
  return "{\"destination\":" + to_json(d) + ",\"source\":" + to_json(s) + "," + rest + "}";
}

// The base spec with linux.resources.devices replaced by `rules` (a JSON array's contents), so
// the attempt is the last word, as it would be in a real spec.
std::string with_device_rules(const std::string& rules, Json spec = base_spec()) {
  field_at(spec, "linux.resources")->erase("devices");
  return insert_after(to_json(spec), "\"resources\":{", "\"devices\":[" + rules + "],");
}

std::string with_mount(const std::string& mount_json) {
  return insert_after(base_text(), "\"mounts\":[", mount_json + ",");
}

}  // namespace

// =====================================================================================
TEST_CASE("bypass: the base spec hardens without any refusal", "[bypass]") {
  Verdict v = judge(base_text());
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK_FALSE(v.d.refused());
  CHECK_FALSE(v.d.changes.empty());
}

// ===================================================================== privileged
TEST_CASE("bypass/privileged: every capability, in reverse order and with a duplicate", "[bypass]") {
  Json spec = base_spec();
  auto parsed = parse_json(all_caps_json(40));
  REQUIRE(parsed.ok());
  field_at(spec, "process.capabilities")->set("bounding", *parsed);
  REQUIRE_REFUSED_BY(judge(spec), "privileged");
}

TEST_CASE("bypass/privileged: Docker's 0..37 list on a kernel that knows 40", "[bypass]") {
  Json spec = base_spec();
  auto parsed = parse_json(all_caps_json(37));
  REQUIRE(parsed.ok());
  field_at(spec, "process.capabilities")->set("bounding", *parsed);
  REQUIRE_REFUSED_BY(judge(spec), "privileged");
}

TEST_CASE("bypass/privileged: the bounding key spelled BOUNDING", "[bypass]") {
  Json spec = base_spec();
  field_at(spec, "process.capabilities")->erase("bounding");
  std::string text = insert_after(to_json(spec), "\"capabilities\":{", "\"BOUNDING\":" + all_caps_json(40) + ",");
  REQUIRE_REFUSED_BY(judge(text), "privileged");
}

TEST_CASE("bypass/privileged: the capabilities key spelled with LONG S (capabilitie\u017f)", "[bypass]") {
  Json spec = base_spec();
  field(&spec, "process")->erase("capabilities");
  std::string text = insert_after(to_json(spec), "\"process\":{",
                                  "\"capabilitie\xC5\xBF\":{\"bounding\":" + all_caps_json(40) + "},");
  REQUIRE_REFUSED_BY(judge(text), "privileged");
}

TEST_CASE("bypass/privileged: every capability in lower case (runc ignores them): neutralised", "[bypass]") {
  Json spec = base_spec();
  auto parsed = parse_json(all_caps_json(40, true));
  REQUIRE(parsed.ok());
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
    field_at(spec, "process.capabilities")->set(set, *parsed);
  }
  check_caps_neutralised(judge(spec));
}

TEST_CASE("bypass/privileged: every capability without the CAP_ prefix: neutralised", "[bypass]") {
  Json spec = base_spec();
  auto parsed = parse_json(all_caps_json(40, false, true));
  REQUIRE(parsed.ok());
  for (const char* set : {"bounding", "effective", "permitted"}) {
    field_at(spec, "process.capabilities")->set(set, *parsed);
  }
  check_caps_neutralised(judge(spec));
}

TEST_CASE("bypass/privileged: every capability in effective/permitted/ambient but not bounding", "[bypass]") {
  Json spec = base_spec();
  auto parsed = parse_json(all_caps_json(40));
  REQUIRE(parsed.ok());
  for (const char* set : {"effective", "permitted", "inheritable", "ambient"}) {
    field_at(spec, "process.capabilities")->set(set, *parsed);
  }
  check_caps_neutralised(judge(spec));
}

TEST_CASE("bypass/privileged: all devices and no masked paths, spelled several ways", "[bypass]") {
  struct Case {
    const char* what;
    const char* rule;
    const char* masked;
  };
  const Case cases[] = {
      {"a rule with no type (the spec's default is a)", R"({"allow":true,"access":"rwm"})", "[]"},
      {"type a, no access", R"({"allow":true,"type":"a"})", "[]"},
      {"type A in upper case", R"({"allow":true,"type":"A","access":"rwm"})", "[]"},
      {"the Allow key capitalised", R"({"Allow":true,"type":"a","access":"rwm"})", "[]"},
      {"maskedPaths null instead of []", R"({"allow":true,"access":"rwm"})", "null"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Json spec = base_spec();
      field(&spec, "linux")->erase("maskedPaths");
      std::string text = with_device_rules(R"({"allow":false,"access":"rwm"},)" + std::string(c.rule), spec);
      text = insert_after(text, "\"linux\":{", std::string("\"maskedPaths\":") + c.masked + ",");
      Verdict v = judge(text);
      REQUIRE_REFUSED_BY(v, "privileged");
      CHECK(v.refused_by("devices"));
    }
  }
}

// ===================================================================== no-new-privileges
TEST_CASE("bypass/no-new-privileges: spellings of the key and the value", "[bypass]") {
  auto without_nnp = [] {
    Json spec = base_spec();
    field(&spec, "process")->erase("noNewPrivileges");
    return to_json(spec);
  };
  struct Case {
    const char* what;
    std::string member;
  };
  const Case neutralised[] = {
      {"false", R"("noNewPrivileges":false)"},
      {"null (Go leaves it false)", R"("noNewPrivileges":null)"},
      {"key NoNewPrivileges", R"("NoNewPrivileges":false)"},
      {"key NONEWPRIVILEGES", R"("NONEWPRIVILEGES":false)"},
      {"key with LONG S noNewPrivilege\u017f", "\"noNewPrivilege\xC5\xBF\":false"},
      {"key written with \\u escapes", R"("\u006eoNewPrivileges":false)"},
  };
  for (const Case& c : neutralised) {
    DYNAMIC_SECTION("neutralised: " << c.what) {
      Verdict v = judge(insert_after(without_nnp(), "\"process\":{", c.member + ","));
      INFO(v.describe());
      REQUIRE(v.loaded);
      Json out = written(v);
      const Json* process = field(&out, "process");
      CHECK(bool_field(process, "noNewPrivileges") == std::optional<bool>(true));
      // One member only, under the canonical key.
      size_t n = std::count_if(process->members().begin(), process->members().end(),
                               [](const Json::Member& m) { return go_key_equal(m.first, "noNewPrivileges"); });
      CHECK(n == 1);
      CHECK(process->get_exact("noNewPrivileges") != nullptr);
    }
  }
  const Case refused[] = {
      {"the string \"false\"", R"("noNewPrivileges":"false")"},
      {"the number 0", R"("noNewPrivileges":0)"},
      {"true then false (runc takes the last)", R"("noNewPrivileges":true,"noNewPrivileges":false)"},
      {"true then NoNewPrivileges false", R"("noNewPrivileges":true,"NoNewPrivileges":false)"},
  };
  for (const Case& c : refused) {
    DYNAMIC_SECTION("refused at load: " << c.what) {
      Verdict v = judge(insert_after(without_nnp(), "\"process\":{", c.member + ","));
      REQUIRE_LOAD_ERROR(v, "process.");
    }
  }
}

// ===================================================================== duplicate keys
TEST_CASE("bypass/duplicates: keys runc would read twice are refused at load", "[bypass]") {
  struct Case {
    const char* what;
    const char* anchor;  // the member goes right after this (compact JSON)
    std::string member;
    const char* error;
  };
  const Case cases[] = {
      {"Process before process (runc merges both into one struct)", "{",
       R"("Process":{"noNewPrivileges":false})", "process: duplicate key"},
      {"proce\u017f\u017f (LONG S) before process", "{", "\"proce\xC5\xBF\xC5\xBF\":{}", "process: duplicate key"},
      {"process spelled \\u0070rocess", "{", R"("\u0070rocess":{})", "process: duplicate key"},
      {"Linux before linux", "{", R"("Linux":{"namespaces":[]})", "linux: duplicate key"},
      {"a second mounts list", "{", R"("Mounts":[])", "mounts: duplicate key"},
      {"root twice (the first naming /)", "{", R"("root":{"path":"/"})", "root: duplicate key"},
      {"an annotations map twice", "{",
       R"("annotations":{"org.oci-harden.opt-out":"capabilities"},"Annotations":{})",
       "Annotations: duplicate key"},
      {"the opt-out annotation twice", "{",
       R"("annotations":{"org.oci-harden.opt-out":"pids-limit","org.oci-harden.opt-out":"capabilities"})",
       "annotations.org.oci-harden.opt-out: duplicate key"},
      {"a sysctl twice", "\"linux\":{",
       R"("sysctl":{"kernel.shm_rmid_forced":"1","kernel.shm_rmid_forced":"0"})",
       "linux.sysctl.kernel.shm_rmid_forced: duplicate key"},
      {"capabilities Bounding and bounding", "\"capabilities\":{", R"("Bounding":["CAP_SYS_ADMIN"])",
       "process.capabilities.bounding: duplicate key"},
      {"a namespace's Type and type", "\"namespaces\":[{", R"("Type":"network")",
       "linux.namespaces[0].type: duplicate key"},
      {"a mount's source twice", "\"mounts\":[{", R"("source":"/etc")", "mounts[0].source: duplicate key"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      REQUIRE_LOAD_ERROR(judge(insert_after(base_text(), c.anchor, c.member + ",")), c.error);
    }
  }
}

// ===================================================================== host-namespaces
TEST_CASE("bypass/host-namespaces: lists that leave a host namespace", "[bypass]") {
  struct Case {
    const char* what;
    const char* namespaces;  // JSON for linux.namespaces
  };
  const Case cases[] = {
      {"network omitted (runc shares the host's)", R"([{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"namespaces null", "null"},
      {"namespaces empty", "[]"},
      {"pid listed twice, the second joining the host's",
       R"([{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"pid","path":"/proc/1/ns/pid"}])"},
      {"network listed twice, both new", R"([{"type":"pid"},{"type":"network"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"PID in upper case (no pid namespace to runc either)",
       R"([{"type":"PID"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"net, the kernel's spelling, for network",
       R"([{"type":"pid"},{"type":"net"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"network joined by /proc/1/ns/net",
       R"([{"type":"pid"},{"type":"network","path":"/proc/1/ns/net"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"network joined by the engine's bind of it",
       R"([{"type":"pid"},{"type":"network","path":"/var/run/docker/netns/default"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"network joined by a relative path",
       R"([{"type":"pid"},{"type":"network","path":"../../proc/1/ns/net"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"keys spelled Type and PATH",
       R"([{"type":"pid"},{"Type":"network","PATH":"/proc/1/ns/net"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}])"},
      {"user joined from the host", R"([{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"user","path":"/proc/1/ns/user"}])"},
  };
  FakeHost host = fake_host();
  NamespaceId host_net{3, 4026531840}, host_pid{3, 4026531836}, host_user{3, 4026531837};
  host.own_ns = {{"network", host_net}, {"pid", host_pid}, {"user", host_user},
                 {"ipc", {3, 4026531839}}, {"uts", {3, 4026531838}}, {"mount", {3, 4026531841}}};
  host.init_ns = host.own_ns;
  host.ns_paths = {{"/proc/1/ns/net", host_net}, {"/proc/1/ns/pid", host_pid},
                   {"/proc/1/ns/user", host_user}, {"/var/run/docker/netns/default", host_net}};
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Json spec = base_spec();
      field(&spec, "linux")->erase("namespaces");
      std::string text = insert_after(to_json(spec), "\"linux\":{",
                                      std::string("\"namespaces\":") + c.namespaces + ",");
      REQUIRE_REFUSED_BY(judge(text, host, test_policy()), "host-namespaces");
    }
  }
}

// ===================================================================== sensitive-mounts
TEST_CASE("bypass/sensitive-mounts: spellings of a sensitive source", "[bypass]") {
  struct Case {
    const char* what;
    std::string mount;
  };
  const std::string bind = R"("type":"bind","options":["rbind"])";
  const Case cases[] = {
      {"/etc itself", bind_json("/etc")},
      {"//etc", bind_json("//etc")},
      {"///etc//", bind_json("///etc//")},
      {"/./etc", bind_json("/./etc")},
      {"/tmp/../etc", bind_json("/tmp/../etc")},
      {"/../../etc (.. above the root)", bind_json("/../../etc")},
      {"trailing slash /etc/", bind_json("/etc/")},
      {"/etc/.", bind_json("/etc/.")},
      {"a file under it: /etc//shadow", bind_json("/etc//shadow")},
      {"/root/.ssh", bind_json("/root/.ssh")},
      {"the socket through the /var/run symlink", bind_json("/var/run/docker.sock")},
      {"/var/run/../run/docker.sock", bind_json("/var/run/../run/docker.sock")},
      {"/run/containerd/containerd.sock", bind_json("/run/containerd/containerd.sock")},
      {"a parent of the socket: /run", bind_json("/run")},
      {"a parent of the socket: /var/run/", bind_json("/var/run/")},
      {"a parent of /var/lib/docker: /var", bind_json("/var")},
      {"a parent: /var/lib", bind_json("/var/lib")},
      {"the host root /", bind_json("/")},
      {"the host root as /.", bind_json("/.")},
      {"relative ../../etc from the bundle", bind_json("../../etc")},
      {"relative with more .. than the bundle is deep", bind_json("../../../../../../../etc")},
      {"relative ./../../etc/", bind_json("./../../etc/")},
      {"relative ../../var/run/docker.sock", bind_json("../../var/run/docker.sock")},
      {"a host symlink to /etc (fake host)", bind_json("/srv/innocent")},
      {"a chain of host symlinks to /run (fake host)", bind_json("/srv/a/docker.sock")},
      {"a host symlink to a parent (/srv/p -> /var), then lib/docker", bind_json("/srv/p/lib/docker")},
      {"an allowed pattern walked out of: /var/lib/docker/containers/../../../../etc",
       bind_json("/var/lib/docker/containers/../../../../etc")},
      {"a volume whose _data is a symlink to /etc", bind_json("/var/lib/docker/volumes/v/_data")},
      {"a kubelet volume dir walked out to the socket",
       bind_json("/var/lib/kubelet/pods/p/volumes/../../../../../run/docker.sock")},
      {"the parent of an allowed pattern: /var/lib/docker/containers", bind_json("/var/lib/docker/containers")},
      {"type none with bind in options", bind_json("/etc", "/x", R"("type":"none","options":["bind"])")},
      {"type missing, rbind in options", bind_json("/etc", "/x", R"("options":["rbind"])")},
      {"type tmpfs with bind in options (runc ignores the type)",
       bind_json("/etc", "/x", R"("type":"tmpfs","options":["bind","nosuid"])")},
      {"type bind with no options", bind_json("/etc", "/x", R"("type":"bind")")},
      {"type bind, read-only (ro does not make /etc safe)", bind_json("/etc", "/x", R"("type":"bind","options":["rbind","ro"])")},
      {"an allowed read-only path with ro then rw (rw wins)",
       bind_json("/etc/localtime", "/etc/localtime", R"("type":"bind","options":["rbind","ro","rw"])")},
      {"keys spelled Source, TYPE and Options",
       R"({"destination":"/x","Source":"/etc","TYPE":"bind","Options":["rbind"]})"},
      {"a mount key spelled mount\u017f (LONG S)", ""},  // the whole list under another key
  };
  FakeHost host = fake_host();
  host.symlinks["/srv/innocent"] = "/etc";
  host.symlinks["/srv/a"] = "/srv/b";
  host.symlinks["/srv/b"] = "/run";
  host.symlinks["/srv/p"] = "/var";
  host.symlinks["/var/lib/docker/volumes/v/_data"] = "/etc";
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::string text;
      if (c.mount.empty()) {
        Json spec = base_spec();
        spec.erase("mounts");
        text = insert_after(to_json(spec), "{", "\"mount\xC5\xBF\":[" + bind_json("/etc") + "],");
      } else {
        text = with_mount(c.mount);
      }
      REQUIRE_REFUSED_BY(judge(text, host, test_policy()), "sensitive-mounts");
    }
  }
}

TEST_CASE("bypass/sensitive-mounts: binds at an engine socket's path, whatever the source", "[bypass]") {
  const char* dests[] = {"/var/run/docker.sock", "//run//docker.sock", "/run/./docker.sock",
                         "run/docker.sock", "/tmp/../var/run/docker.sock",
                         "/run/containerd/containerd.sock"};
  for (const char* dest : dests) {
    DYNAMIC_SECTION("destination " << dest) {
      REQUIRE_REFUSED_BY(judge(with_mount(bind_json("/srv/proxy.sock", dest))), "sensitive-mounts");
    }
  }
}

TEST_CASE("bypass/sensitive-mounts: mounts that are not binds to runc", "[bypass]") {
  struct Case {
    const char* what;
    const char* mount;
  };
  const Case cases[] = {
      {"type BIND in upper case (runc: no such device)", R"({"destination":"/x","type":"BIND","source":"/etc"})"},
      {"type none with RBIND in upper case", R"({"destination":"/x","type":"none","source":"/etc","options":["RBIND"]})"},
      {"no type and no bind option", R"({"destination":"/x","source":"/etc"})"},
      {"overlay with lowerdir=/etc",
       R"({"destination":"/x","type":"overlay","source":"overlay","options":["lowerdir=/etc"]})"},
      {"ext4 of the host's disk", R"({"destination":"/x","type":"ext4","source":"/dev/vda"})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) { REQUIRE_REFUSED_BY(judge(with_mount(c.mount)), "sensitive-mounts"); }
  }
}

TEST_CASE("bypass/sensitive-mounts: a root filesystem that is the host's", "[bypass]") {
  const char* roots[] = {"/", "//", "/var/..", "/./", "../../..", "../../../../..", "/etc",
                         "/srv/rootlink", "/proc/1/root/.."};
  FakeHost host = fake_host();
  host.symlinks["/srv/rootlink"] = "/";
  for (const char* root : roots) {
    DYNAMIC_SECTION("root.path " << root) {
      Json spec = base_spec();
      field(&spec, "root")->set("path", Json::string(root));
      REQUIRE_REFUSED_BY(judge(to_json(spec), host, test_policy()), "sensitive-mounts");
    }
  }
}

TEST_CASE("bypass/sensitive-mounts: a source spelled /ETC names another file on a case-sensitive "
          "filesystem",
          "[bypass]") {
  // runc: stat /ETC: no such file or directory. Judged as the file it names, which is nothing
  // sensitive; when it does lead to /etc (a symlink), it is refused (see the real-host cases).
  Verdict v = judge(with_mount(bind_json("/ETC")));
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK_FALSE(v.refused_by("sensitive-mounts"));
  CHECK(fake_host().canonical_path("/ETC") == "/ETC");
}

// ===================================================================== sensitive-mounts, real host
TEST_CASE("bypass/sensitive-mounts: symlinks and magic links on the real host", "[bypass]") {
  TempTree t;
  t.link("innocent", "/etc");
  t.link("ETC", "/etc");
  t.link("rel", "../../etc");  // t.dir() is /tmp/<x>: ../../etc from there is /etc
  t.link("up", "../../../../../../../../../etc");
  t.link("a", t.path("b"));
  t.link("b", "/var/run");
  t.link("rootlink", "/");
  t.link("sub/dirlink", "..");  // t/sub/dirlink -> t
  struct Case {
    const char* what;
    std::string source;
  };
  const Case cases[] = {
      {"a planted symlink to /etc", t.path("innocent")},
      {"a planted symlink named ETC", t.path("ETC")},
      {"a relative symlink target ../../etc", t.path("rel")},
      {"a symlink target with many ..", t.path("up")},
      {"a chain of two symlinks to /var/run, then docker.sock", t.path("a/docker.sock")},
      {"a symlink to / then etc", t.path("rootlink/etc")},
      {"a symlink to .. walked up to /etc", t.path("sub/dirlink/../../etc")},
      {"/proc/self/root/etc", "/proc/self/root/etc"},
      {"/proc/1/root/etc", "/proc/1/root/etc"},
      {"/proc/thread-self/root/etc", "/proc/thread-self/root/etc"},
      {"/proc/self/cwd then .. up to / and etc", "/proc/self/cwd/../../../../../../../../etc"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Verdict v = judge(with_mount(bind_json(c.source)), real_host(), test_policy(), t.dir());
      REQUIRE_REFUSED_BY(v, "sensitive-mounts");
    }
  }
}

TEST_CASE("bypass/sensitive-mounts: a relative source from a bundle reached through a symlink", "[bypass]") {
  TempTree t;
  // Given path deep, physical path shallow: only the physical one reaches /etc.
  t.mkdirs("p");
  t.mkdirs("g1/g2/g3");
  t.link("g1/g2/g3/bl", t.path("p"));
  // Given path shallow, physical path deep: only the given one reaches /etc.
  t.mkdirs("d1/d2/d3/q");
  t.link("bl2", t.path("d1/d2/d3/q"));
  // /tmp/<x>/p is three levels deep: ../../../etc from there is /etc.
  SECTION("runc's working directory is the physical path") {
    Verdict v = judge(with_mount(bind_json("../../../etc")), real_host(), test_policy(),
                      t.path("g1/g2/g3/bl"));
    REQUIRE_REFUSED_BY(v, "sensitive-mounts");
  }
  SECTION("runc's working directory is the path as given") {
    Verdict v = judge(with_mount(bind_json("../../../etc")), real_host(), test_policy(), t.path("bl2"));
    REQUIRE_REFUSED_BY(v, "sensitive-mounts");
  }
}

TEST_CASE("bypass/sensitive-mounts: a symlink loop ends (the kernel says ELOOP)", "[bypass]") {
  TempTree t;
  t.link("l1", t.path("l2"));
  t.link("l2", t.path("l1"));
  std::string source = t.path("l1") + "/../../../etc";
  struct stat st;
  int rc = ::stat(source.c_str(), &st);
  int err = errno;
  CHECK(rc != 0);
  CHECK(err == ELOOP);  // runc cannot open it either
  Verdict v = judge(with_mount(bind_json(source)), real_host(), test_policy(), t.dir());
  INFO(v.describe());
  REQUIRE(v.loaded);  // and the judgement terminated
}

TEST_CASE("bypass/host-namespaces: paths to the host's namespace on the real host", "[bypass]") {
  TempTree t;
  t.link("ns", "/proc/self/ns/net");
  t.link("nsdir", "/proc/self/ns");
  // Section names must not change between runs (Catch2 re-enters by name): no temp paths in them.
  const std::pair<const char*, std::string> paths[] = {
      {"/proc/self/ns/net", "/proc/self/ns/net"},
      {"/proc/thread-self/ns/net", "/proc/thread-self/ns/net"},
      {"a planted symlink to /proc/self/ns/net", t.path("ns")},
      {"a planted symlink to /proc/self/ns, then net", t.path("nsdir/net")},
      {"/proc/self/../self/ns/net", "/proc/self/../self/ns/net"},
  };
  for (const auto& [label, path] : paths) {
    DYNAMIC_SECTION("network joined by " << label) {
      Json spec = base_spec();
      for (Json& ns : field_at(spec, "linux.namespaces")->items()) {
        if (string_field(&ns, "type") == std::optional<std::string>("network")) {
          ns.set("path", Json::string(path));
        }
      }
      Verdict v = judge(to_json(spec), real_host(), test_policy(), t.dir());
      REQUIRE_REFUSED_BY(v, "host-namespaces");
    }
  }
}

// ===================================================================== devices
TEST_CASE("bypass/devices: cgroup rules that open every device", "[bypass]") {
  struct Case {
    const char* what;
    const char* rule;
  };
  const Case cases[] = {
      {"no type, no access", R"({"allow":true})"},
      {"type empty string", R"({"allow":true,"type":"","access":"rw"})"},
      {"type u (not b or c)", R"({"allow":true,"type":"u","access":"rw"})"},
      {"c with no major", R"({"allow":true,"type":"c","access":"rw"})"},
      {"c with major -1", R"({"allow":true,"type":"c","major":-1,"minor":-1,"access":"r"})"},
      {"b with major -1, minor 0", R"({"allow":true,"type":"b","major":-1,"minor":0,"access":"w"})"},
      {"c, no major, access mr", R"({"allow":true,"type":"c","access":"mr"})"},
      {"keys spelled Allow, Type, Access", R"({"Allow":true,"Type":"c","Access":"rw"})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::string text = with_device_rules(R"({"allow":false,"access":"rwm"},)" + std::string(c.rule));
      REQUIRE_REFUSED_BY(judge(text), "devices");
    }
  }
  const Case load_errors[] = {
      {"allow as the string \"true\"", R"({"allow":"true","type":"a"})"},
      {"major as the string \"-1\"", R"({"allow":true,"type":"c","major":"-1","access":"rw"})"},
      {"major as -1.0", R"({"allow":true,"type":"c","major":-1.0,"access":"rw"})"},
  };
  for (const Case& c : load_errors) {
    DYNAMIC_SECTION("refused at load: " << c.what) {
      std::string text = with_device_rules(c.rule);
      REQUIRE_LOAD_ERROR(judge(text), "linux.resources.devices[0]");
    }
  }
}

TEST_CASE("bypass/devices: device nodes under other names", "[bypass]") {
  Policy policy = test_policy();
  policy.allowed_devices = {"/dev/fuse"};
  struct Case {
    const char* what;
    const char* node;
  };
  const Case cases[] = {
      {"/dev/../dev/vda", R"({"path":"/dev/../dev/vda","type":"b","major":254,"minor":0})"},
      {"the host disk's numbers under an allowed name", R"({"path":"/dev/fuse","type":"b","major":254,"minor":0})"},
      {"the allowed name spelled //dev/./fuse with other numbers",
       R"({"path":"//dev/./fuse","type":"c","major":1,"minor":1})"},
      {"the key spelled PATH", R"({"PATH":"/dev/mem","type":"c","major":1,"minor":1})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::string text = insert_after(base_text(), "\"linux\":{", std::string("\"devices\":[") + c.node + "],");
      REQUIRE_REFUSED_BY(judge(text, fake_host(), policy), "devices");
    }
  }
}

// ===================================================================== sysctls
TEST_CASE("bypass/sysctls: spellings of a sysctl outside the safe list", "[bypass]") {
  const char* names[] = {
      "kernel.core_pattern",
      "kernel/core_pattern",
      "Kernel.shm_rmid_forced",
      "kernel.shm_rmid_forced/../core_pattern",
      "net.ipv4.ip_local_port_range/../../../kernel/core_pattern",
      "net/ipv4/../../kernel/core_pattern",
      "net.ipv4.tcp_keepalive_/../../kernel/core_pattern",
      ".kernel.shm_rmid_forced",
      "kernel.shm_rmid_forced.",
      "kernel..shm_rmid_forced",
      "/kernel/shm_rmid_forced",
      "kernel.shm_rmid_forced ",
  };
  for (const char* name : names) {
    DYNAMIC_SECTION("sysctl \"" << name << "\"") {
      Json sysctl = Json::object();
      sysctl.set_exact(name, Json::string("1"));
      std::string text = insert_after(base_text(), "\"linux\":{", "\"sysctl\":" + to_json(sysctl) + ",");
      REQUIRE_REFUSED_BY(judge(text), "sysctls");
    }
  }
  SECTION("the sysctl key spelled Sysctl") {
    std::string text = insert_after(base_text(), "\"linux\":{", R"("Sysctl":{"kernel.core_pattern":"|/x"},)");
    REQUIRE_REFUSED_BY(judge(text), "sysctls");
  }
}

// ===================================================================== capabilities
TEST_CASE("bypass/capabilities: names runc ignores or does not know are dropped", "[bypass]") {
  const std::string names[] = {"cap_sys_admin", "SYS_ADMIN", "CAP_SYS_ADMIN ", " CAP_SYS_ADMIN",
                               "CAP_sys_admin", "CAP_FOO", "21", "CAP_21",
                               std::string("CAP_SYS_ADMIN\0", 14), "CAP_SYS_\xE2\x84\xAA" "DMIN"};
  for (const std::string& name : names) {
    DYNAMIC_SECTION("capability \"" << name << "\" in every set") {
      Json spec = base_spec();
      Json* caps = field_at(spec, "process.capabilities");
      for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
        Json list = Json::array();
        list.push_back(Json::string(name));
        list.push_back(Json::string("CAP_SYS_ADMIN"));
        caps->set(set, list);
      }
      check_caps_neutralised(judge(spec));
    }
  }
  SECTION("the sets spelled Bounding, EFFECTIVE, permitteD") {
    Json spec = base_spec();
    field(&spec, "process")->erase("capabilities");
    std::string text = insert_after(to_json(spec), "\"process\":{",
                                    R"("Capabilities":{"Bounding":["CAP_SYS_ADMIN"],"EFFECTIVE":["CAP_SYS_ADMIN"],)"
                                    R"("permitteD":["CAP_SYS_ADMIN"],"Ambient":["CAP_SYS_ADMIN"]},)");
    check_caps_neutralised(judge(text));
  }
  SECTION("a capability given as a number is refused at load") {
    std::string text = insert_after(base_text(), "\"bounding\":[", "21,");
    REQUIRE_LOAD_ERROR(judge(text), "process.capabilities.bounding");
  }
}

// ===================================================================== limits: numbers
TEST_CASE("bypass/limits: numbers as strings, floats, out of range", "[bypass]") {
  struct Case {
    const char* what;
    const char* object;  // compact anchor inside linux
    const char* member;
    const char* error;
  };
  const Case cases[] = {
      {"pids.limit as a string", "\"linux\":{", R"("resources":{"pids":{"limit":"100000000"}})",
       "linux.resources.pids.limit"},
      {"pids.limit as 1e9", "\"linux\":{", R"("resources":{"pids":{"limit":1e9}})", "linux.resources.pids.limit"},
      {"pids.limit as 100.0", "\"linux\":{", R"("resources":{"pids":{"limit":100.0}})", "linux.resources.pids.limit"},
      {"pids.limit beyond int64", "\"linux\":{", R"("resources":{"pids":{"limit":9223372036854775808}})",
       "linux.resources.pids.limit"},
      {"memory.limit as \"1g\"", "\"linux\":{", R"("resources":{"memory":{"limit":"1g"}})",
       "linux.resources.memory.limit"},
      {"cpu.quota as 1.5e5", "\"linux\":{", R"("resources":{"cpu":{"quota":1.5e5}})", "linux.resources.cpu.quota"},
      {"uid as the string \"0\"", "\"user\":{", R"("UID":"0")", "process.user.uid"},
      {"uid as 0.0", "\"user\":{", R"("Uid":0.0)", "process.user.uid"},
      {"uid -1", "\"user\":{", R"("UID":-1)", "process.user.uid"},
      {"uid 2^32", "\"user\":{", R"("UID":4294967296)", "process.user.uid"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Json spec = base_spec();
      field(&spec, "linux")->erase("resources");
      field_at(spec, "process.user")->erase("uid");
      std::string text = insert_after(to_json(spec), c.object, std::string(c.member) + ",");
      REQUIRE_LOAD_ERROR(judge(text), c.error);
    }
  }
  struct Clamp {
    const char* what;
    const char* resources;
    const char* path;
  };
  const Clamp clamps[] = {
      {"pids.limit -1 (runc: max)", R"({"pids":{"limit":-1}})", "linux.resources.pids.limit"},
      {"pids.limit 0 (runc 1.1: left unset)", R"({"pids":{"limit":0}})", "linux.resources.pids.limit"},
      {"pids.limit far above the maximum", R"({"pids":{"limit":9223372036854775807}})", "linux.resources.pids.limit"},
      {"memory.limit -1", R"({"memory":{"limit":-1}})", "linux.resources.memory.limit"},
      {"cpu.quota -1", R"({"cpu":{"quota":-1}})", "linux.resources.cpu.quota"},
      {"Pids key capitalised, LIMIT -1", R"({"Pids":{"LIMIT":-1}})", "linux.resources.pids.limit"},
  };
  for (const Clamp& c : clamps) {
    DYNAMIC_SECTION("neutralised: " << c.what) {
      Json spec = base_spec();
      field(&spec, "linux")->erase("resources");
      std::string text = insert_after(to_json(spec), "\"linux\":{", std::string("\"resources\":") + c.resources + ",");
      Verdict v = judge(text);
      INFO(v.describe());
      REQUIRE(v.loaded);
      CHECK_FALSE(v.d.refused());
      Json out = written(v);
      const Json* value = field_at(out, c.path);
      REQUIRE(value != nullptr);
      int64_t n = 0;
      REQUIRE(value->to_int64(&n));
      CHECK(n > 0);
      Policy p = test_policy();
      if (std::string(c.path) == "linux.resources.pids.limit") CHECK(n <= *p.pids.max);
      if (std::string(c.path) == "linux.resources.memory.limit") CHECK(n <= fake_host().memory_bytes());
      if (std::string(c.path) == "linux.resources.cpu.quota") CHECK(n <= fake_host().cpu_count() * 100000);
    }
  }
}

// ===================================================================== opt-out
TEST_CASE("bypass/opt-out: annotations that try to switch off a rule the policy keeps", "[bypass]") {
  struct Case {
    const char* what;
    std::string member;  // a top-level member holding the annotation
  };
  const Case cases[] = {
      {"capabilities with whitespace around it", R"("annotations":{"org.oci-harden.opt-out":" \tcapabilities \n"})"},
      {"CAPABILITIES in upper case", R"("annotations":{"org.oci-harden.opt-out":"CAPABILITIES"})"},
      {"Capabilities capitalised", R"("annotations":{"org.oci-harden.opt-out":"Capabilities"})"},
      {"capabilities after an allowed id", R"("annotations":{"org.oci-harden.opt-out":"pids-limit,capabilities"})"},
      {"capabilities after a no-break space", "\"annotations\":{\"org.oci-harden.opt-out\":\"\xC2\xA0" "capabilities\"}"},
      {"capabilities with a NUL after it", R"("annotations":{"org.oci-harden.opt-out":"capabilities\u0000"})"},
      {"semicolon-separated", R"("annotations":{"org.oci-harden.opt-out":"pids-limit;capabilities"})"},
      {"opt-out itself", R"("annotations":{"org.oci-harden.opt-out":"opt-out"})"},
      {"the exec operation rule", R"("annotations":{"org.oci-harden.opt-out":"exec"})"},
      {"the annotations key capitalised (the same field to runc)",
       R"("Annotations":{"org.oci-harden.opt-out":"capabilities"})"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Verdict v = judge(insert_after(base_text(), "{", c.member + ","));
      REQUIRE_REFUSED_BY(v, "opt-out");
      // Whatever was asked, the capabilities rule still ran.
      bool ran = std::any_of(v.d.changes.begin(), v.d.changes.end(),
                             [](const Change& ch) { return ch.rule == "capabilities"; });
      CHECK(ran);
      CHECK(v.d.opt_outs.granted.size() <= 1);
      CHECK(std::find(v.d.opt_outs.granted.begin(), v.d.opt_outs.granted.end(), "capabilities") ==
            v.d.opt_outs.granted.end());
    }
  }
}

TEST_CASE("bypass/opt-out: the annotation under another key is not read", "[bypass]") {
  const std::string keys[] = {"ORG.OCI-HARDEN.OPT-OUT", "org.oci-harden.opt-out ", "org.oci-harden.opt_out",
                              std::string("org.oci-harden.opt-out\0", 23)};
  for (const std::string& key : keys) {
    DYNAMIC_SECTION("key \"" << key << "\"") {
      Json ann = Json::object();
      ann.set_exact(key, Json::string("readonly-rootfs"));
      std::string text = insert_after(base_text(), "{", "\"annotations\":" + to_json(ann) + ",");
      Verdict v = judge(text);
      INFO(v.describe());
      REQUIRE(v.loaded);
      CHECK(v.d.opt_outs.requested.empty());
      CHECK(bool_field(field(&v.d.spec, "root"), "readonly") == std::optional<bool>(true));
    }
  }
}

TEST_CASE("bypass/opt-out: opting out of the refusing rules themselves", "[bypass]") {
  Json spec = base_spec();
  auto parsed = parse_json(all_caps_json(40));
  REQUIRE(parsed.ok());
  field_at(spec, "process.capabilities")->set("bounding", *parsed);
  ensure_object(spec, "annotations")
      .set_exact(kOptOut, Json::string("privileged,host-namespaces,sensitive-mounts,devices,sysctls"));
  SECTION("opt_out_denied: refuse") {
    Verdict v = judge(spec);
    REQUIRE_REFUSED_BY(v, "privileged");
    CHECK(v.refused_by("opt-out"));
    CHECK(v.d.opt_outs.granted.empty());
  }
  SECTION("opt_out_denied: ignore still runs every rule") {
    Policy p = test_policy();
    p.opt_out_denied = OptOutDenied::kIgnore;
    Verdict v = judge(to_json(spec), fake_host(), p);
    REQUIRE_REFUSED_BY(v, "privileged");
    CHECK_FALSE(v.refused_by("opt-out"));
    CHECK(v.d.opt_outs.granted.empty());
  }
}

// ===================================================================== size and depth
TEST_CASE("bypass/size: 100k environment entries (about 10 MB) load and harden", "[bypass]") {
  Json spec = base_spec();
  Json env = Json::array();
  env.items().reserve(100000);
  const std::string pad(100, 'x');
  for (int i = 0; i < 100000; ++i) env.push_back(Json::string("V" + std::to_string(i) + "=" + pad));
  field(&spec, "process")->set("env", std::move(env));
  field(&spec, "process")->set("noNewPrivileges", Json::boolean(false));
  std::string text = to_json(spec);
  CHECK(text.size() > 10u * 1000 * 1000);
  auto start = std::chrono::steady_clock::now();
  Verdict v = judge(text);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(v.describe());
  REQUIRE(v.loaded);
  CHECK_FALSE(v.d.refused());
  CHECK(secs < 10.0);
  Json out = written(v);
  CHECK(field_at(out, "process.env")->items().size() == 100000);
  CHECK(bool_field(field(&out, "process"), "noNewPrivileges") == std::optional<bool>(true));
}

TEST_CASE("bypass/size: a 10 MB annotation reaches the audit record cut to 1 KB", "[bypass]") {
  Json spec = base_spec();
  ensure_object(spec, "annotations").set_exact("io.kubernetes.pod.name", Json::string(std::string(10 << 20, 'a')));
  Verdict v = judge(spec);
  REQUIRE(v.loaded);
  Json kept = interesting_annotations(v.d.spec, kOptOut);
  const Json* name = map_entry(&kept, "io.kubernetes.pod.name");
  REQUIRE(name != nullptr);
  CHECK(name->text().size() == 1024);
}

TEST_CASE("bypass/size: 10000 binds of /etc are each refused", "[bypass]") {
  std::string mounts;
  for (int i = 0; i < 10000; ++i) mounts += bind_json("/etc", "/x" + std::to_string(i)) + ",";
  Verdict v = judge(insert_after(base_text(), "\"mounts\":[", mounts));
  INFO((v.loaded ? "" : v.load_error));
  REQUIRE(v.loaded);
  size_t n = std::count_if(v.d.refusals.begin(), v.d.refusals.end(),
                           [](const Refusal& r) { return r.rule == "sensitive-mounts"; });
  CHECK(n == 10000);
}

TEST_CASE("bypass/depth: nesting beyond 64 levels is refused at load, however deep", "[bypass]") {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  SECTION("63 levels in an unknown field (64 with the top object) load") {
    Verdict v = judge(insert_after(base_text(), "{", "\"x\":" + nested(63) + ","));
    INFO(v.describe());
    CHECK(v.loaded);
  }
  SECTION("64 levels in an unknown field (65 in all) are refused; runc would accept them") {
    REQUIRE_LOAD_ERROR(judge(insert_after(base_text(), "{", "\"x\":" + nested(64) + ",")),
                       "nesting deeper than 64 levels");
  }
  SECTION("a million levels: refused, no stack exhaustion") {
    REQUIRE_LOAD_ERROR(judge(insert_after(base_text(), "{", "\"x\":" + nested(1000000) + ",")),
                       "nesting deeper than 64 levels");
  }
  SECTION("deep objects hiding a mount") {
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "{\"mounts\":";
    deep += "[" + bind_json("/etc") + "]" + std::string(100, '}');
    REQUIRE_LOAD_ERROR(judge(insert_after(base_text(), "{", "\"x\":" + deep + ",")),
                       "nesting deeper than 64 levels");
  }
}

}  // namespace oci_harden
