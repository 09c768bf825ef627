// In-process cost of hardening one config: parse_spec + harden_spec + to_json, the work
// oci-harden does per create apart from I/O. Usage: harden-bench [--iterations N] CONFIG...
// Prints one line per config: bytes, median and p99 in microseconds, configs per second.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "shim/harden.hh"
#include "shim/policy.hh"
#include "shim/real_host.hh"
#include "shim/spec.hh"

using namespace oci_harden;

int main(int argc, char** argv) {
  int iterations = 200;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) {
      iterations = std::atoi(argv[++i]);
    } else {
      files.push_back(a);
    }
  }
  auto policy = builtin_policy();
  if (!policy) {
    std::fprintf(stderr, "harden-bench: %s\n", policy.error().message.c_str());
    return 2;
  }
  const Host& host = real_host();
  std::printf("%-28s %10s %10s %10s %12s\n", "config", "bytes", "median_us", "p99_us", "configs/s");
  for (const auto& path : files) {
    auto text = read_file(path, 64 << 20);
    if (!text) {
      std::fprintf(stderr, "harden-bench: %s\n", text.error().message.c_str());
      return 2;
    }
    int n = text->size() > (1 << 20) ? std::max(5, iterations / 20) : iterations;
    std::vector<double> us;
    size_t out_bytes = 0;
    for (int i = 0; i < n + 3; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      auto spec = parse_spec(*text);
      if (!spec) {
        std::fprintf(stderr, "harden-bench: %s: %s\n", path.c_str(), spec.error().message.c_str());
        return 2;
      }
      Invocation inv{"create", "bench", "/var/tmp"};
      Decision d = harden_spec(std::move(*spec), *policy, host, inv);
      std::string out = to_json(d.spec);
      auto t1 = std::chrono::steady_clock::now();
      out_bytes += out.size();
      if (i >= 3) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(us.begin(), us.end());
    double median = us[us.size() / 2];
    double p99 = us[std::min(us.size() - 1, static_cast<size_t>(us.size() * 0.99))];
    std::string name = path.substr(path.rfind('/') + 1);
    std::printf("%-28s %10zu %10.1f %10.1f %12.0f\n", name.c_str(), text->size(), median, p99,
                1e6 / median);
    if (out_bytes == 0) return 3;
  }
  return 0;
}
