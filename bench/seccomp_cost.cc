// What a runtime pays to compile a seccomp profile at every start, measured apart from the
// runtime: each profile compiled the way runc does (libseccomp: init, the architectures, one rule
// per name and argument condition, the BPF program generated), as many times as asked, in one
// process, profiles taken in rotating order so that a load on the machine falls on all alike.
// Usage:
//   seccomp-cost [--iterations N] [--host-arches] PROFILE...
// PROFILE is an OCI linux.seccomp object or a config.json (its linux.seccomp is taken).
// --host-arches keeps only the architectures this host's kernel runs (as the seccomp rule
// installs the policy's profile: x32 only where the kernel runs it). Prints, per profile: names, rules with argument
// conditions, architectures, BPF instructions, median and p90 microseconds.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "shim/core/bounded_read.hh"
#include "shim/core/json.hh"
#include "shim/core/seccomp_check.hh"
#include "shim/core/seccomp_effect.hh"
#include "shim/core/spec.hh"
#include "shim/host/real_host.hh"

using namespace oci_harden;

namespace {

struct Profile {
  std::string file;
  Json seccomp;
  std::vector<double> us;
  size_t instructions = 0;
};

size_t count_names(const Json& seccomp, bool with_args) {
  size_t n = 0;
  const Json* syscalls = field(&seccomp, "syscalls");
  if (syscalls == nullptr || !syscalls->is_array()) return 0;
  for (const Json& e : syscalls->items()) {
    const Json* args = field(&e, "args");
    bool has_args = args != nullptr && args->is_array() && !args->items().empty();
    if (with_args && !has_args) continue;
    if (const Json* names = field(&e, "names"); names != nullptr && names->is_array()) n += names->items().size();
  }
  return n;
}

std::string arch_list(const Json& seccomp) {
  std::string out;
  if (const Json* a = field(&seccomp, "architectures"); a != nullptr && a->is_array())
    for (const Json& x : a->items()) out += (out.empty() ? "" : ",") + (x.is_string() ? x.text() : "?");
  return out.empty() ? "(native)" : out;
}

void keep_host_arches(Json& seccomp) {
  Json* arches = field(&seccomp, "architectures");
  if (arches == nullptr || !arches->is_array()) return;
  const std::vector<std::string> host = kernel_seccomp_architectures(kernel_runs_x32_syscalls());
  Json kept = Json::array();
  for (const Json& a : arches->items())
    if (a.is_string() && std::find(host.begin(), host.end(), a.text()) != host.end()) kept.push_back(a);
  *arches = std::move(kept);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 50;
  bool host_arches = false;
  std::vector<Profile> profiles;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::atoi(argv[++i]);
    } else if (a == "--host-arches") {
      host_arches = true;
    } else {
      auto text = read_file_bounded(a, kMaxProfileBytes * 16);
      if (!text) return std::fprintf(stderr, "seccomp-cost: %s: %s\n", a.c_str(), text.error().message.c_str()), 2;
      auto doc = parse_json(*text);
      if (!doc) return std::fprintf(stderr, "seccomp-cost: %s: %s\n", a.c_str(), doc.error().message.c_str()), 2;
      const Json* linux_ = field(&*doc, "linux");
      const Json* sec = linux_ != nullptr ? field(linux_, "seccomp") : &*doc;
      if (sec == nullptr) return std::fprintf(stderr, "seccomp-cost: %s: no linux.seccomp\n", a.c_str()), 2;
      Profile p{a, *sec, {}, 0};
      if (host_arches) keep_host_arches(p.seccomp);
      profiles.push_back(std::move(p));
    }
  }
  if (profiles.empty() || iterations < 1) {
    std::fprintf(stderr, "usage: seccomp-cost [--iterations N] [--host-arches] PROFILE...\n");
    return 2;
  }
  for (int i = -3; i < iterations; ++i) {  // three rounds of warm-up
    for (Profile& p : profiles) {
      auto t0 = std::chrono::steady_clock::now();
      auto bpf = compile_runc_filter(p.seccomp);
      auto t1 = std::chrono::steady_clock::now();
      if (!bpf) return std::fprintf(stderr, "seccomp-cost: %s: %s\n", p.file.c_str(), bpf.error().message.c_str()), 1;
      p.instructions = bpf->size();
      if (i >= 0) p.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
  }
  std::printf("| profile | names | names with argument rules | architectures | BPF instructions | median µs | p90 µs |\n");
  std::printf("|---|---:|---:|---|---:|---:|---:|\n");
  for (const Profile& p : profiles)
    std::printf("| %s | %zu | %zu | %s | %zu | %.0f | %.0f |\n", p.file.c_str(), count_names(p.seccomp, false),
                count_names(p.seccomp, true), arch_list(p.seccomp).c_str(), p.instructions, percentile(p.us, 0.5),
                percentile(p.us, 0.9));
  return 0;
}
