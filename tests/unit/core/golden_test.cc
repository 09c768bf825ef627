// The captured engine configs (tests/golden/*-captured) under the built-in policy: each one's
// decision and refusing rules as tests/golden/expected.tsv says (reviewed by hand, never
// regenerated); the whole hardened config.json of each, byte for byte, as
// tests/golden/<engine>-hardened/<name>.json holds it (or <name>.refused, the refusal message);
// and hardening a hardened config changes nothing (idempotence).
//
// `make golden-update` (OCI_HARDEN_GOLDEN_UPDATE=1) writes the -hardened files from this same
// code path, for review before they are committed: read each diff.

#include <catch2/catch.hpp>

#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Expected {
  std::string file, decision, rules;
};

std::vector<Expected> expected_outcomes() {
  std::vector<Expected> out;
  std::ifstream in("tests/golden/expected.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expected e;
    std::getline(fields, e.file, '\t');
    std::getline(fields, e.decision, '\t');
    std::getline(fields, e.rules, '\t');
    out.push_back(e);
  }
  return out;
}

// The engine's host as the captures saw it: /var/run is a link to /run, and Docker's
// --network host joins the host's own network namespace through a bind of it.
FakeHost capture_host() {
  FakeHost h;
  h.symlinks["/var/run"] = "/run";
  for (const char* t : {"pid", "ipc", "uts", "mount", "network", "user", "cgroup"}) {
    h.own_ns[t] = NamespaceId{1, static_cast<uint64_t>(4026531830 + std::string(t).size())};
  }
  h.ns_paths["/var/tmp/ocih-golden/docker/exec/netns/default"] = h.own_ns["network"];
  // CRI captures (tests/e2e/cri_test.sh): the pods' CNI netns under containerd's state, and the
  // pause processes' namespaces that the pods' containers join; none of them the host's.
  uint64_t next = 4026532900;
  const std::string netns = "/var/tmp/ocih-golden/cri/containerd/state/io.containerd.grpc.v1.cri/netns/";
  for (const char* id : {"cni-1e5cf3d1-db69-e94d-8e32-04aeafcf0db2", "cni-873e73f6-1b00-4a39-ac64-c6b03163996f"}) {
    h.ns_paths[netns + id] = NamespaceId{1, next++};
  }
  for (const char* pause : {"/proc/28884/ns/", "/proc/29325/ns/"}) {
    for (const char* t : {"ipc", "uts", "net"}) h.ns_paths[std::string(pause) + t] = NamespaceId{1, next++};
  }
  return h;
}

std::string refusing_rules(const Decision& d) {
  std::vector<std::string> ids;
  for (const auto& r : d.refusals) {
    if (std::find(ids.begin(), ids.end(), r.rule) == ids.end()) ids.push_back(r.rule);
  }
  std::sort(ids.begin(), ids.end());
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : ",") + id;
  return s.empty() ? "-" : s;
}

// Compact JSON text (to_json) laid out one member per line, two spaces a level, for files a
// reviewer reads and diffs. Only whitespace is added: the text is otherwise to_json's.
std::string pretty(const std::string& compact) {
  std::string out;
  int depth = 0;
  bool in_string = false, escaped = false;
  auto newline = [&] { out += '\n' + std::string(static_cast<size_t>(depth) * 2, ' '); };
  for (size_t i = 0; i < compact.size(); ++i) {
    char c = compact[i];
    if (in_string) {
      out += c;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
          out += compact[++i];
        } else {
          ++depth;
          newline();
        }
        break;
      case '}':
      case ']':
        --depth;
        newline();
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += c;
    }
  }
  return out + "\n";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The first difference, with three lines either side: "-" expected, "+" actual.
std::string short_diff(const std::string& expected, const std::string& actual) {
  auto e = lines_of(expected), a = lines_of(actual);
  size_t first = 0;
  while (first < e.size() && first < a.size() && e[first] == a[first]) ++first;
  size_t from = first > 3 ? first - 3 : 0;
  std::ostringstream out;
  out << "first difference at line " << first + 1 << " (expected " << e.size() << " lines, got " << a.size() << ")\n";
  for (size_t i = from; i < first; ++i) out << "  " << e[i] << "\n";
  for (size_t i = first; i < std::min(e.size(), first + 4); ++i) out << "- " << e[i] << "\n";
  for (size_t i = first; i < std::min(a.size(), first + 4); ++i) out << "+ " << a[i] << "\n";
  return out.str();
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

std::vector<std::string> sorted_entries(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(n);
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Every captured file: "<engine>-captured/<name>.json", each directory tests/golden/*-captured.
std::vector<std::string> captured_files() {
  std::vector<std::string> out;
  for (const std::string& dir : sorted_entries(test::repo_path("tests/golden"), "-captured")) {
    for (const std::string& f : sorted_entries(test::repo_path("tests/golden/" + dir), ".json")) {
      out.push_back(dir + "/" + f);
    }
  }
  return out;
}

// A capture's expected output, without extension: "<engine>-hardened/<name>".
std::string hardened_stem(const std::string& captured) {
  size_t slash = captured.find('/');
  std::string engine = captured.substr(0, slash - std::string("-captured").size());
  std::string name = captured.substr(slash + 1, captured.size() - slash - 1 - std::string(".json").size());
  return "tests/golden/" + engine + "-hardened/" + name;
}

bool golden_update() {
  const char* v = std::getenv("OCI_HARDEN_GOLDEN_UPDATE");
  return v != nullptr && std::string(v) == "1";
}

void write_file(const std::string& path, const std::string& text) {
  std::string dir = path.substr(0, path.rfind('/'));
  (void)!std::system(("mkdir -p '" + dir + "'").c_str());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

TEST_CASE("golden: the whole hardened output of each captured config is the reviewed one", "[golden]") {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  // The built-in policy's hook is oci-harden-hook beside the running binary, if there is one:
  // named here, so the output does not depend on where the test binary was built.
  policy->hook_path = "/usr/local/bin/oci-harden-hook";
  FakeHost host = capture_host();
  auto files = captured_files();
  REQUIRE(files.size() >= 13);
  const char* kRegenerate = "make golden-update, then review the diff of tests/golden/*-hardened before committing";
  size_t compared = 0;
  for (const std::string& file : files) {
    INFO(file);
    std::string text = test::repo_file("tests/golden/" + file);
    auto json = parse_json(text);
    REQUIRE(json.ok());
    // A runc exec --process file (Docker's exec), not a config.json: the exec rule's input.
    if (json->get("ociVersion") == nullptr && json->get("args") != nullptr) continue;
    auto spec = parse_spec(text);
    REQUIRE(spec.ok());
    Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/bundles/c1"});
    std::string stem = hardened_stem(file);
    std::string want_path = stem + (d.refused() ? ".refused" : ".json");
    std::string stale_path = stem + (d.refused() ? ".json" : ".refused");
    std::string actual = d.refused() ? refusal_message(d.refusals) + "\n" : pretty(to_json(d.spec));
    if (golden_update()) {
      write_file(test::repo_path(want_path), actual);
      std::remove(test::repo_path(stale_path).c_str());
      continue;
    }
    if (!file_exists(test::repo_path(want_path))) {
      if (file_exists(test::repo_path(stale_path))) {
        FAIL_CHECK(file << ": " << (d.refused() ? "refused" : "not refused") << " now, but " << stale_path
                        << " expects otherwise; regenerate: " << kRegenerate);
      } else {
        FAIL_CHECK(file << " has no expected output: " << want_path << " is missing; create it: " << kRegenerate);
      }
      continue;
    }
    std::string expected = test::repo_file(want_path);
    ++compared;
    if (expected != actual) {
      FAIL_CHECK(want_path << " differs from the hardened output of " << file << "\n"
                           << short_diff(expected, actual) << "regenerate: " << kRegenerate);
    }
  }
  if (!golden_update()) CHECK(compared >= 13);
}

TEST_CASE("golden: each captured engine config gets its reviewed outcome", "[golden]") {
  auto expected = expected_outcomes();
  REQUIRE(expected.size() >= 13);
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  FakeHost host = capture_host();
  for (const auto& e : expected) {
    INFO(e.file);
    auto spec = parse_spec(slurp("tests/golden/" + e.file));
    REQUIRE(spec.ok());
    Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/bundles/c1"});
    INFO(refusal_message(d.refusals));
    CHECK((d.refused() ? "refused" : (d.changes.empty() ? "unchanged" : "applied")) == e.decision);
    CHECK(refusing_rules(d) == e.rules);
  }
}

TEST_CASE("golden: hardening a hardened config changes nothing", "[golden]") {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  FakeHost host = capture_host();
  for (const auto& e : expected_outcomes()) {
    if (e.decision != "applied") continue;
    INFO(e.file);
    auto spec = parse_spec(slurp("tests/golden/" + e.file));
    REQUIRE(spec.ok());
    Invocation inv{"create", "c1", "/bundles/c1"};
    Decision first = harden_spec(std::move(*spec), *policy, host, inv);
    REQUIRE_FALSE(first.refused());
    // Through the text, as runc and a second oci-harden would read it.
    auto again = parse_spec(to_json(first.spec));
    REQUIRE(again.ok());
    Decision second = harden_spec(std::move(*again), *policy, host, inv);
    INFO(refusal_message(second.refusals));
    CHECK_FALSE(second.refused());
    for (const auto& c : second.changes) {
      UNSCOPED_INFO("changed again: " << c.rule << " " << c.path << ": " << to_json(c.before) << " -> "
                                      << to_json(c.after));
    }
    CHECK(second.changes.empty());
  }
}

TEST_CASE("golden: the restricted preset loads and is stricter than the default", "[golden]") {
  auto policy = parse_policy(slurp("profiles/policy-restricted.json"), "/etc/oci-harden/policy.json");
  REQUIRE(policy.ok());
  CHECK(policy->capabilities == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  FakeHost host = capture_host();
  // Docker's overlay2 root cannot take a user namespace: the preset refuses rather than records.
  host.unsearchable_dirs.insert("/var/tmp/ocih-golden/docker/data");
  auto spec = parse_spec(slurp("tests/golden/docker-captured/plain.json"));
  REQUIRE(spec.ok());
  Decision d = harden_spec(std::move(*spec), *policy, host, Invocation{"create", "c1", "/bundles/c1"});
  // binds: allowed-only, and the capture's data root (/var/tmp/ocih-golden/docker/data) is not on
  // the allowed lists: its per-container files are refused too.
  CHECK(refusing_rules(d) == "sensitive-mounts,user-namespace");
}

}  // namespace
}  // namespace oci_harden
