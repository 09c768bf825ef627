// In-process cost of hardening one config: parse_spec + harden_spec + to_json, the work
// oci-harden does per create apart from I/O (reading config.json, the audit record, fsyncs,
// host actions, exec). Usage:
//   harden-bench [--iterations N] [--warmup N] [--policy FILE] [--id ID] [--raw PREFIX] CONFIG...
// Prints one line per config: bytes, median and p99 in microseconds, configs per second.
// --policy reads FILE as `oci-hardenctl harden --policy` does (no ownership checks); without it
// the built-in policy. --raw appends each timed iteration (ns, one a line) to PREFIX<name>.ns,
// so that bench/run.sh can interleave short runs of this with runs of oci-hardenctl and pool
// the samples. Configs above 1 MiB get a twentieth of the iterations (at least 5).
// The host probes (idmapped mount support) are cached per device inside a process, as in
// oci-harden itself; the warm-up iterations fill that cache.
//
//   harden-bench --phases --policy FILE --bundle DIR --id ID [--iterations N] [--phase-warmup N]
//                [--per-rule]
// times, step by step, what `oci-harden create` does between its start and its exec of the
// runtime (bundle_command.cc), on DIR/config.json: the policy load (ownership checks, built-in
// defaults, the file, the seccomp profile), reading config.json, parsing it, the rules, the
// idmap probe that a fresh process makes once (RealHost caches it, so it is timed apart here
// with the same system calls as real_host.cc's probe), serializing, writing + fsync of the new file,
// the audit record (append + fdatasync), the host actions (idmapped root), the rename + fsync.
// After each iteration, untimed: the original config.json is put back and the container's
// state (the idmapped mount) removed. Prints the median and p90 of each step in microseconds.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "shim/host/atomic_file.hh"
#include "shim/host/audit.hh"
#include "shim/core/bounded_read.hh"
#include "shim/core/harden.hh"
#include "shim/core/rule.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/user_namespace.hh"
#include "shim/core/policy.hh"
#include "shim/host/real_host.hh"
#include "shim/core/spec.hh"

using namespace oci_harden;

namespace {

double us_since(std::chrono::steady_clock::time_point& t) {
  auto now = std::chrono::steady_clock::now();
  double us = std::chrono::duration<double, std::micro>(now - t).count();
  t = now;
  return us;
}

// --per-rule: the rules run one by one as harden_spec runs them (no opt-outs), each timed; the
// medians are printed after the steps. --phase-warmup N: iterations run before the timed ones
// (default 3); 0 with --iterations 1 times what a fresh process does, cold caches included.
int phases(const std::string& policy_file, const std::string& bundle, const std::string& id, int n,
           int warm, bool per_rule) {
  const char* names[] = {"policy load",     "read config.json", "parse",
                         "rules",           "idmap probe",      "serialize",
                         "write + fsync",   "audit record",     "host actions",
                         "rename + fsync",  "total"};
  constexpr int kSteps = 11;
  std::vector<std::vector<double>> t(kSteps);
  auto original = read_file_bounded(bundle + "/config.json", kMaxSpecBytes);
  if (!original) {
    std::fprintf(stderr, "harden-bench: %s\n", original.error().message.c_str());
    return 2;
  }
  std::vector<std::pair<std::string, std::vector<double>>> rule_t;
  for (const RuleInfo& r : all_rules()) {
    if (r.kind == RuleKind::kCreate) rule_t.emplace_back(r.id, std::vector<double>{});
  }
  for (int i = 0; i < n + warm; ++i) {
    double d[kSteps] = {};
    auto start = std::chrono::steady_clock::now();
    auto c = start;
    auto policy = load_policy_file(policy_file);
    d[0] = us_since(c);
    if (!policy) {
      std::fprintf(stderr, "harden-bench: %s\n", policy.error().message.c_str());
      return 2;
    }
    auto file = AtomicFile::open(bundle, "config.json", 64 << 20);
    d[1] = us_since(c);
    if (!file) {
      std::fprintf(stderr, "harden-bench: %s\n", file.error().message.c_str());
      return 2;
    }
    auto spec = parse_spec(file->text());
    d[2] = us_since(c);
    if (!spec) return 2;
    Invocation inv{"create", id, bundle};
    Decision dec;
    if (per_rule) {
      dec.spec = std::move(*spec);
      RuleContext ctx(dec.spec, *policy, real_host(), inv);
      size_t k = 0;
      for (const RuleInfo& r : all_rules()) {
        if (r.kind != RuleKind::kCreate) continue;
        auto r0 = std::chrono::steady_clock::now();
        if (policy->rule_enabled(r.id)) {
          ctx.begin_rule(r.id);
          r.apply(ctx);
        }
        if (i >= warm) rule_t[k].second.push_back(us_since(r0));
        ++k;
      }
      dec.changes = std::move(ctx.changes());
      dec.actions = std::move(ctx.actions());
    } else {
      dec = harden_spec(std::move(*spec), *policy, real_host(), inv);
    }
    d[3] = us_since(c);
    std::string root = string_field(field(&dec.spec, "annotations"), "org.oci-harden.rootfs").value_or(bundle);
    // What a fresh process does once per filesystem, with a user namespace of its own (made
    // here; the host actions below reuse it, as in oci-harden).
    drop_shared_user_namespaces();
    (void)probe_idmapped_mount(root, policy->userns_uid, policy->userns_gid, policy->userns_size);
    d[4] = us_since(c);
    std::string out = to_json(dec.spec);
    d[5] = us_since(c);
    if (!file->prepare(out)) return 2;
    d[6] = us_since(c);
    AuditEvent e;
    e.event = "create";
    e.decision = "applied";
    e.container = id;
    e.bundle = bundle;
    e.runtime = policy->runtime;
    e.policy = &*policy;
    e.changes = &dec.changes;
    e.opt_outs = &dec.opt_outs;
    e.user = user_summary(dec.spec);
    if (!append_audit_line(policy->audit_log, audit_record(e, now_us()))) return 2;
    d[7] = us_since(c);
    if (!perform_host_actions(dec.actions)) return 2;
    d[8] = us_since(c);
    if (!file->commit()) return 2;
    d[9] = us_since(c);
    d[10] = std::chrono::duration<double, std::micro>(c - start).count();
    (void)cleanup_container_state(policy->state_dir, id);
    auto restore = AtomicFile::open(bundle, "config.json", 64 << 20);
    if (!restore || !restore->prepare(*original) || !restore->commit()) return 2;
    if (i >= warm) for (int k = 0; k < kSteps; ++k) t[k].push_back(d[k]);
  }
  std::printf("%-18s %10s %10s\n", "step", "median_us", "p90_us");
  for (int k = 0; k < kSteps; ++k) {
    std::sort(t[k].begin(), t[k].end());
    std::printf("%-18s %10.1f %10.1f\n", names[k], t[k][t[k].size() / 2],
                t[k][std::min(t[k].size() - 1, static_cast<size_t>(t[k].size() * 0.9))]);
  }
  if (per_rule) {
    for (auto& [name, v] : rule_t) {
      std::sort(v.begin(), v.end());
      std::printf("rule:%-20s %10.1f %10.1f\n", name.c_str(), v[v.size() / 2],
                  v[std::min(v.size() - 1, static_cast<size_t>(v.size() * 0.9))]);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 200;
  int warmup = 3;
  std::string policy_file, raw_prefix, bundle_dir, id = "bench";
  bool phase_mode = false, per_rule = false;
  int phase_warmup = 3;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--iterations" && has_value) {
      iterations = std::atoi(argv[++i]);
    } else if (a == "--warmup" && has_value) {
      warmup = std::atoi(argv[++i]);
    } else if (a == "--policy" && has_value) {
      policy_file = argv[++i];
    } else if (a == "--raw" && has_value) {
      raw_prefix = argv[++i];
    } else if (a == "--per-rule") {
      per_rule = true;
    } else if (a == "--phase-warmup" && has_value) {
      phase_warmup = std::atoi(argv[++i]);
    } else if (a == "--phases") {
      phase_mode = true;
    } else if (a == "--bundle" && has_value) {
      bundle_dir = argv[++i];
    } else if (a == "--id" && has_value) {
      id = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "harden-bench: unknown option %s\n", a.c_str());
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (iterations < 1 || warmup < 0) {
    std::fprintf(stderr, "harden-bench: --iterations must be >= 1, --warmup >= 0\n");
    return 2;
  }
  if (phase_mode) {
    if (policy_file.empty() || bundle_dir.empty()) {
      std::fprintf(stderr, "harden-bench: --phases needs --policy and --bundle\n");
      return 2;
    }
    return phases(policy_file, bundle_dir, id, iterations, std::max(0, phase_warmup), per_rule);
  }
  Result<Policy> policy = builtin_policy();
  if (!policy_file.empty()) {
    auto bytes = read_file_bounded(policy_file, kMaxPolicyBytes);
    if (!bytes) {
      std::fprintf(stderr, "harden-bench: %s\n", bytes.error().message.c_str());
      return 2;
    }
    policy = parse_policy(*bytes, policy_file);
  }
  if (!policy) {
    std::fprintf(stderr, "harden-bench: %s\n", policy.error().message.c_str());
    return 2;
  }
  const Host& host = real_host();
  std::printf("%-28s %10s %10s %10s %12s\n", "config", "bytes", "median_us", "p99_us", "configs/s");
  for (const auto& path : files) {
    auto text = read_file_bounded(path, kMaxSpecBytes);
    if (!text) {
      std::fprintf(stderr, "harden-bench: %s\n", text.error().message.c_str());
      return 2;
    }
    std::string name = path.substr(path.rfind('/') + 1);
    std::string bundle = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    int n = text->size() > (1 << 20) ? std::max(5, iterations / 20) : iterations;
    std::vector<double> us;
    size_t out_bytes = 0;
    bool refused = false;
    for (int i = 0; i < n + warmup; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      auto spec = parse_spec(*text);
      if (!spec) {
        std::fprintf(stderr, "harden-bench: %s: %s\n", path.c_str(), spec.error().message.c_str());
        return 2;
      }
      Invocation inv{"create", id, bundle};
      Decision d = harden_spec(std::move(*spec), *policy, host, inv);
      std::string out = to_json(d.spec);
      auto t1 = std::chrono::steady_clock::now();
      out_bytes += out.size();
      refused = refused || d.refused();
      if (i >= warmup) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    if (refused) {
      // A refused config is decided but never written: not the cost being measured.
      std::fprintf(stderr, "harden-bench: %s: refused by the policy\n", path.c_str());
      return 3;
    }
    if (!raw_prefix.empty()) {
      std::string raw = raw_prefix + name + ".ns";
      FILE* f = std::fopen(raw.c_str(), "a");
      if (f == nullptr) {
        std::fprintf(stderr, "harden-bench: cannot open %s\n", raw.c_str());
        return 2;
      }
      for (double v : us) std::fprintf(f, "%.0f\n", v * 1000.0);
      std::fclose(f);
    }
    std::sort(us.begin(), us.end());
    double median = us[us.size() / 2];
    double p99 = us[std::min(us.size() - 1, static_cast<size_t>(us.size() * 0.99))];
    std::printf("%-28s %10zu %10.1f %10.1f %12.0f\n", name.c_str(), text->size(), median, p99,
                1e6 / median);
    if (out_bytes == 0) return 3;
  }
  return 0;
}
