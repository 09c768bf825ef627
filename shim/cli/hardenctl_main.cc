// oci-hardenctl: the administrator's tool. The table below is its command surface; `help`
// prints from the same table. Only this file prints and picks exit statuses.

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <ctime>
#include <string>
#include <vector>

#include "shim/host/audit.hh"
#include "shim/core/bounded_read.hh"
#include "shim/core/harden.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/policy.hh"
#include "shim/core/refusal_fix.hh"
#include "shim/core/rootless.hh"
#include "shim/host/process_identity.hh"
#include "shim/core/rfc3339.hh"
#include "shim/host/real_host.hh"
#include "shim/cli/report.hh"
#include "shim/core/rule.hh"
#include "shim/cli/profile_check.hh"
#include "shim/cli/profile_learn.hh"
#include "shim/core/learned_profile.hh"
#include "shim/core/seccomp_check.hh"
#include "shim/core/seccomp_effect.hh"
#include "shim/cli/configure.hh"
#include "shim/core/engine_config.hh"
#include "shim/core/spec.hh"

using namespace oci_harden;

namespace {

// harden/explain: 0 hardened, 1 refused, 2 unreadable input or policy, 64 usage.
constexpr int kOk = 0, kRefused = 1, kBadInput = 2, kUsage = 64;

struct Options {
  std::string policy_file;
  std::vector<std::pair<std::string, std::string>> annotations;
  std::string id = "dry-run";
  std::string engine;  // --engine: the engine a dry run assumes made the bundle
  std::vector<std::string> operands;
  std::string since;
  std::string format = "table";
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "oci-hardenctl: %s (see oci-hardenctl --help)\n", msg.c_str());
  return kUsage;
}

// Reads the flags shared by the commands; `allowed` lists the ones this command takes.
bool parse_options(const std::vector<std::string>& args, const std::vector<std::string>& allowed,
                   Options* o, std::string* err) {
  auto takes = [&](const std::string& f) {
    for (const auto& a : allowed) if (a == f) return true;
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    bool inline_value = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      inline_value = true;
    }
    if (a == "-" || a.empty() || a[0] != '-') {
      o->operands.push_back(args[i]);
      continue;
    }
    if (!takes(a)) {
      *err = "unknown option " + a;
      return false;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        *err = a + " needs a value";
        return false;
      }
      value = args[++i];
    }
    if (a == "--policy") o->policy_file = value;
    else if (a == "--id") o->id = value;
    else if (a == "--since") o->since = value;
    else if (a == "--format") o->format = value;
    else if (a == "--engine") o->engine = value;
    else if (a == "--annotation") {
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        *err = "--annotation takes KEY=VALUE";
        return false;
      }
      o->annotations.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    }
  }
  return true;
}

// A dry run reads --policy without the ownership checks the runtime applies: it changes no
// container, and administrators try policies out before installing them.
Result<Policy> policy_for(const Options& o) {
  set_policy_reader_identity(own_identity());  // rootless engines: root is host root
  if (o.policy_file.empty()) return load_policy();
  auto bytes = read_file_bounded(o.policy_file, kMaxPolicyBytes);
  if (!bytes) return bytes.error();
  std::string origin = o.policy_file;
  if (origin[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) != nullptr) origin = std::string(cwd) + "/" + origin;
  }
  return parse_policy(*bytes, origin);
}

Result<std::string> read_input(const std::string& operand) {
  if (operand != "-") return read_file_bounded(operand, kMaxSpecBytes);
  std::string out((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return out;
}

std::string bundle_of(const std::string& operand) {
  char cwd[PATH_MAX];
  std::string base = ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : "/";
  if (operand == "-") return base;
  std::string path = operand[0] == '/' ? operand : base + "/" + operand;
  return dir_name(path);
}

// explain, harden: a process file (what `runc exec --process` reads, what an engine writes for
// `docker exec`) has the process's fields at its top level and no "process" of its own. Judged
// as a spec, it would look like a container with nothing in it: say what it is instead.
bool is_process_file(const std::string& text) {
  auto doc = parse_json(text);
  if (!doc || !doc->is_object()) return false;
  if (doc->get_exact("process") != nullptr || doc->get_exact("root") != nullptr ||
      doc->get_exact("ociVersion") != nullptr || doc->get_exact("linux") != nullptr) {
    return false;
  }
  return doc->get_exact("args") != nullptr || doc->get_exact("cwd") != nullptr;
}

// explain: the capability changes as what was dropped and added ("-CAP_NET_RAW +CAP_X"), one
// line for all the sets with the same difference ("(bounding, effective, permitted)"), instead of
// every set in full before and after.
std::vector<std::string> capability_lines(const std::vector<Change>& changes) {
  const std::string prefix = "process.capabilities.";
  std::vector<std::pair<std::string, std::vector<std::string>>> by_diff;  // difference -> sets
  std::string rule;
  for (const Change& c : changes) {
    if (c.path.compare(0, prefix.size(), prefix) != 0) continue;
    rule = c.rule;
    std::vector<std::string> before = c.before.is_array() ? string_items(&c.before) : std::vector<std::string>{};
    std::vector<std::string> after = c.after.is_array() ? string_items(&c.after) : std::vector<std::string>{};
    std::string diff;
    for (const auto& cap : before) {
      if (std::find(after.begin(), after.end(), cap) == after.end()) diff += (diff.empty() ? "-" : " -") + cap;
    }
    for (const auto& cap : after) {
      if (std::find(before.begin(), before.end(), cap) == before.end()) diff += (diff.empty() ? "+" : " +") + cap;
    }
    if (diff.empty()) diff = "(same capabilities)";
    std::string set = c.path.substr(prefix.size());
    auto it = std::find_if(by_diff.begin(), by_diff.end(), [&](const auto& p) { return p.first == diff; });
    if (it == by_diff.end()) by_diff.push_back({diff, {set}});
    else it->second.push_back(set);
  }
  std::vector<std::string> out;
  for (const auto& [diff, sets] : by_diff) {
    std::string names;
    for (const auto& set : sets) names += (names.empty() ? "" : ", ") + set;
    char head[64];
    std::snprintf(head, sizeof head, "%-22s ", rule.c_str());
    out.push_back(head + std::string("process.capabilities: ") + diff + " (" + names + ")");
  }
  return out;
}

// Runs the decision for harden and explain; prints errors; returns nullopt-like via code.
int decide(const std::vector<std::string>& args, bool explain) {
  Options o;
  std::string err;
  if (!parse_options(args, {"--policy", "--annotation", "--id", "--engine"}, &o, &err)) return usage_error(err);
  if (o.operands.size() != 1) return usage_error("expected one CONFIG file, or - for stdin");
  auto policy = policy_for(o);
  if (!policy) {
    std::fprintf(stderr, "oci-hardenctl: %s\n", policy.error().message.c_str());
    return kBadInput;
  }
  auto text = read_input(o.operands[0]);
  if (!text) {
    std::fprintf(stderr, "oci-hardenctl: %s\n", text.error().message.c_str());
    return kBadInput;
  }
  if (is_process_file(*text)) {
    std::fprintf(stderr,
                 "oci-hardenctl: %s is a process file (runc exec --process: the process's fields at "
                 "the top level, no \"process\"), not a bundle's config.json; give %s the "
                 "container's config.json: an exec is judged when runc exec runs through oci-harden\n",
                 o.operands[0].c_str(), explain ? "explain" : "harden");
    return kBadInput;
  }
  auto spec = parse_spec(*text);
  if (!spec) {
    std::fprintf(stderr, "oci-hardenctl: %s: %s\n", o.operands[0].c_str(), spec.error().message.c_str());
    return kBadInput;
  }
  for (const auto& [k, v] : o.annotations) ensure_object(*spec, "annotations").set_exact(k, Json::string(v));
  Invocation inv{"create", o.id, bundle_of(o.operands[0])};
  inv.now = static_cast<int64_t>(::time(nullptr));  // the clock exceptions end by (opt-out-until)
  // One policy per workload: the engine is the bundle's, or the one --engine names.
  Workload workload = o.engine.empty() ? workload_of(*spec, inv.bundle, o.id, policy->selector_labels)
                                       : workload_for_engine(*spec, o.engine, policy->selector_labels);
  std::string selected_by;
  const Policy& chosen = select_policy(*policy, workload, &selected_by);
  std::string chosen_text = "policy \"" + chosen.name + "\" (" +
                            (selected_by.empty() ? std::string("no selector matched") : "by " + selected_by) +
                            "; engine " + (workload.engine.empty() ? "unknown" : workload.engine) + ")";
  Decision d = harden_spec(std::move(*spec), chosen, real_host(), inv);
  if (explain) {
    std::printf("policy: %s (%s)\n", policy->path.empty() ? "(built-in)" : policy->path.c_str(),
                policy->digest.c_str());
    std::printf("applies: %s%s\n", chosen_text.c_str(), chosen.mode == Mode::kAudit ? ", mode audit" : "");
    for (const auto& id : d.opt_outs.granted) std::printf("opt-out granted: %s\n", id.c_str());
    for (const auto& id : d.opt_outs.denied) std::printf("opt-out denied:  %s\n", id.c_str());
    if (!d.opt_outs.requested.empty() &&
        !(d.opt_outs.owner.empty() && d.opt_outs.reason.empty() && d.opt_outs.until.empty())) {
      // The author's text, JSON-quoted: no control character reaches the terminal as it is.
      std::printf("exception: owner %s, reason %s, until %s%s\n", to_json(Json::string(d.opt_outs.owner)).c_str(),
                  to_json(Json::string(d.opt_outs.reason)).c_str(), to_json(Json::string(d.opt_outs.until)).c_str(),
                  d.opt_outs.until_end ? (" (ends " + format_utc(*d.opt_outs.until_end) + ")").c_str() : "");
    }
    if (d.changes.empty()) std::printf("no changes\n");
    for (const std::string& line : capability_lines(d.changes)) std::printf("%s\n", line.c_str());
    for (const Change& c : d.changes) {
      if (c.path.rfind("process.capabilities.", 0) == 0) continue;  // above, as differences
      std::printf("%-22s %s: %s -> %s\n", c.rule.c_str(), c.path.c_str(),
                  c.before.is_null() ? "(absent)" : to_json(c.before).c_str(),
                  c.after.is_null() ? "(removed)" : to_json(c.after).c_str());
    }
    for (const Refusal& r : d.refusals) {
      std::printf("REFUSED by %s: %s\n", r.rule.c_str(), r.reason.c_str());
      // --engine names the engine the bundle's path cannot: its flags, not every engine's.
      const bool own = r.fix.empty() || !o.engine.empty();
      std::printf("  fix: %s\n", (own ? refusal_fix(r, &chosen, workload.engine, &d.spec) : r.fix).c_str());
    }
    for (const Note& n : d.notes) std::printf("note from %s: %s\n", n.rule.c_str(), n.text.c_str());
    Json user = user_summary(d.spec);
    const Json* root = user.get("root_on_host");
    const bool host_root = root != nullptr && root->as_bool();
    std::printf("runs as host root: %s\n", host_root ? "yes" : "no");
    if (host_root) {
      // Why, and what would give it a user namespace, for the engine that asked.
      std::string why = root_on_host_reason(d.notes, &d.opt_outs, &chosen);
      std::printf("  why: %s\n", why.empty() ? "its user namespace maps container root to host root, or it has none"
                                              : why.c_str());
      std::printf("  fix: %s\n", root_on_host_fix(workload.engine).c_str());
    }
    return d.refused() ? kRefused : kOk;
  }
  if (!policy->selectors.empty()) std::fprintf(stderr, "oci-hardenctl: %s\n", chosen_text.c_str());
  if (d.refused()) {
    // --engine names the engine the bundle's path cannot: its flags in the fixes.
    if (!o.engine.empty()) {
      for (Refusal& r : d.refusals) r.fix = refusal_fix(r, &chosen, workload.engine, &d.spec);
    }
    std::fprintf(stderr, "oci-hardenctl: %s\n", refusal_message_with_fixes(d.refusals).c_str());
    return kRefused;
  }
  std::string out = to_json(d.spec);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return kOk;
}

int cmd_harden(const std::vector<std::string>& args) { return decide(args, false); }
int cmd_explain(const std::vector<std::string>& args) { return decide(args, true); }

int cmd_rules(const std::vector<std::string>&) {
  std::printf("%-22s %-22s %-9s %s\n", "RULE", "CIS DOCKER", "PRACTICE", "WHAT IT DOES");
  for (const RuleInfo& r : all_rules()) {
    std::printf("%-22s %-22s %-9s %s\n", r.id, r.cis, *r.practice ? r.practice : "-", r.summary);
  }
  return kOk;
}

// report: 0 reported, 2 a log unreadable, 3 nothing to report (no log written yet), 64 usage.
constexpr int kNothingToReport = 3;

int cmd_report(const std::vector<std::string>& all_args) {
  Options o;
  std::string err;
  ReportOptions ro;
  std::vector<std::string> args;
  std::string output;  // --output FILE: written by rename, for node_exporter's textfile collector
  for (size_t i = 0; i < all_args.size(); ++i) {
    if (all_args[i] == "--wide") {
      ro.wide = true;
    } else if (all_args[i] == "--output") {
      if (i + 1 >= all_args.size()) return usage_error("--output needs a value");
      output = all_args[++i];
    } else if (all_args[i].rfind("--output=", 0) == 0) {
      output = all_args[i].substr(9);
      if (output.empty()) return usage_error("--output needs a FILE");
    } else {
      args.push_back(all_args[i]);
    }
  }
  if (!parse_options(args, {"--since", "--format", "--policy"}, &o, &err)) return usage_error(err);
  ro.logs = o.operands;
  if (ro.logs.empty()) {
    auto policy = policy_for(o);
    if (!policy) {
      std::fprintf(stderr, "oci-hardenctl: %s\n", policy.error().message.c_str());
      return kBadInput;
    }
    // A user who is not host root reads the log their own runs wrote (rootless.audit_log), as
    // the runtime chose it for them; nothing is created here.
    if (is_rootless(own_identity())) {
      auto own = expand_user_path(policy->rootless_audit_log, own_user_dirs());
      if (!own) {
        std::fprintf(stderr, "oci-hardenctl: rootless.audit_log: %s\n", own.error().message.c_str());
        return kBadInput;
      }
      ro.logs.push_back(*own);
    } else {
      ro.logs.push_back(policy->audit_log);
    }
  }
  ro.now_us = now_us();  // exceptions: days left, and which have ended; --since 24h
  if (!o.since.empty()) {
    auto since = parse_since(o.since, *ro.now_us);
    if (!since) return usage_error("--since: " + since.error().message);
    ro.since_us = *since;
  }
  if (o.format == "json") ro.format = ReportFormat::kJson;
  else if (o.format == "table") ro.format = ReportFormat::kTable;
  else if (o.format == "prometheus") ro.format = ReportFormat::kPrometheus;
  else return usage_error("--format takes table, json or prometheus");
  if (!output.empty() && output[0] == '-') return usage_error("--output needs a FILE");
  if (std::string none = no_audit_log_message(ro); !none.empty()) {
    std::fprintf(stderr, "oci-hardenctl: %s\n", none.c_str());
    return kNothingToReport;
  }
  std::vector<std::string> warnings;
  auto out = run_report(ro, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "oci-hardenctl: %s\n", w.c_str());
  if (!out) {
    std::fprintf(stderr, "oci-hardenctl: %s\n", out.error().message.c_str());
    return kBadInput;
  }
  if (!output.empty()) {
    auto st = write_report_file(output, *out);
    if (!st) {
      std::fprintf(stderr, "oci-hardenctl: %s\n", st.error().message.c_str());
      return kBadInput;
    }
    return kOk;
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  return kOk;
}

// profile check FILE...: 0 every profile clean, 1 a profile has errors, 2 a file unreadable or
// not a profile (the other files are still checked), 64 usage.
int cmd_profile_learn(const std::vector<std::string>& args);
int cmd_profile_diff(const std::vector<std::string>& args);

int cmd_profile(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "learn") return cmd_profile_learn({args.begin() + 1, args.end()});
  if (!args.empty() && args[0] == "diff") return cmd_profile_diff({args.begin() + 1, args.end()});
  if (args.empty() || args[0] != "check") return usage_error("profile takes the subcommand check, learn or diff");
  if (args.size() < 2) return usage_error("profile check needs a FILE");
  int status = kOk;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& file = args[i];
    auto text = read_file_bounded(file, kMaxCheckedProfileBytes);  // its errors name the file
    auto doc = text ? parse_json(*text).context(file) : Result<Json>(text.error());
    auto checks = doc ? check_seccomp_json(*doc).context(file) : Result<std::vector<ProfileCheck>>(doc.error());
    if (!checks) {
      std::fprintf(stderr, "oci-hardenctl: %s\n", checks.error().message.c_str());
      status = kBadInput;
      continue;
    }
    std::string out = format_profile_checks(file, *checks);
    std::fwrite(out.data(), 1, out.size(), stdout);
    for (const ProfileCheck& pc : *checks)
      if (!pc.errors.empty() && status == kOk) status = kRefused;
  }
  return status;
}

// --- profile learn and diff (issue 15) ---

Result<Json> read_profile(const std::string& file) {
  auto text = read_file_bounded(file, kMaxCheckedProfileBytes);
  if (!text) return text.error();
  return parse_json(*text).context(file);
}

// profile learn [--policy P] [--policy-name NAME] [--base PROFILE] [-o OUT] RECORDING|DIR...: 0
// written, 1 the result is wider than the policy's profile or fails profile check (nothing
// written), 2 bad input, 64 usage. The policy's profile is the top level's, or that of the named
// policy NAME (the one the workload's selector chooses); the base is that profile unless --base
// names the one the recordings were made under; either way the result is judged against the
// policy's profile by effect.
int cmd_profile_learn(const std::vector<std::string>& all_args) {
  std::string base_file, output, policy_name;
  std::vector<std::string> args;
  for (size_t i = 0; i < all_args.size(); ++i) {
    const std::string& a = all_args[i];
    const bool base = a == "--base", out = a == "-o" || a == "--output", named = a == "--policy-name";
    if (base || out || named) {
      if (i + 1 >= all_args.size()) return usage_error(a + " needs a value");
      (base ? base_file : out ? output : policy_name) = all_args[++i];
    } else if (a.rfind("--policy-name=", 0) == 0) {
      policy_name = a.substr(14);
    } else if (a.rfind("--base=", 0) == 0) {
      base_file = a.substr(7);
    } else if (a.rfind("--output=", 0) == 0) {
      output = a.substr(9);
    } else {
      args.push_back(a);
    }
  }
  Options o;
  std::string err;
  if (!parse_options(args, {"--policy"}, &o, &err)) return usage_error(err);
  if (o.operands.empty()) return usage_error("profile learn needs a RECORDING or DIR");
  if (!output.empty() && output[0] == '-') return usage_error("-o needs a FILE");
  auto fail = [](const std::string& msg, int rc) {
    std::fprintf(stderr, "oci-hardenctl: %s\n", msg.c_str());
    return rc;
  };
  auto loaded = policy_for(o);
  if (!loaded) return fail(loaded.error().message, kBadInput);
  const Policy* policy = &*loaded;
  if (!policy_name.empty() && policy_name != "default") {
    auto it = std::find_if(loaded->named_policies.begin(), loaded->named_policies.end(),
                           [&](const auto& p) { return p->name == policy_name; });
    if (it == loaded->named_policies.end()) return fail("--policy-name: the policy has no named policy \"" + policy_name + "\"", kBadInput);
    policy = it->get();
  }
  Json base = policy->seccomp_profile_json();
  if (!base_file.empty()) {
    auto doc = read_profile(base_file);
    if (!doc) return fail(doc.error().message, kBadInput);
    base = std::move(*doc);
  }
  auto recordings = read_recordings(o.operands);
  if (!recordings) return fail(recordings.error().message, kBadInput);
  auto merged = merge_recordings(*recordings);
  if (!merged) return fail(merged.error().message, kBadInput);
  auto learned = learn_profile(base, *merged);
  if (!learned) return fail((base_file.empty() ? "the policy's seccomp profile" : base_file) + ": " + learned.error().message, kBadInput);
  for (const std::string& n : learned->notes) std::fprintf(stderr, "oci-hardenctl: note: %s\n", n.c_str());
  if (auto st = check_never_wider(learned->profile, policy->seccomp_profile_json(), host_seccomp_architectures()); !st)
    return fail("the learned profile " + st.error().message + "; nothing written", kRefused);
  auto checks = check_seccomp_json(learned->profile);
  if (!checks) return fail("the learned profile: " + checks.error().message, kRefused);
  for (const ProfileCheck& pc : *checks) {
    if (pc.errors.empty()) continue;
    std::string out = format_profile_checks("the learned profile", *checks);
    std::fwrite(out.data(), 1, out.size(), stderr);
    return fail("the learned profile fails profile check; nothing written", kRefused);
  }
  const std::string text = format_profile_text(learned->profile);
  std::fprintf(stderr, "oci-hardenctl: workload %s: %zu recording%s, %zu syscalls allowed (the base allows %zu)%s%s\n",
               merged->learn.c_str(), merged->files.size(), merged->files.size() == 1 ? "" : "s", learned->learned_allowed,
               learned->base_allowed, output.empty() ? "" : "; written to ", output.c_str());
  if (output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kOk;
  }
  if (auto st = write_report_file(output, text); !st) return fail(st.error().message, kBadInput);
  return kOk;
}

// profile diff A B: 0 the same, 1 they differ, 2 a file unreadable or not a profile, 64 usage.
int cmd_profile_diff(const std::vector<std::string>& args) {
  if (args.size() != 2) return usage_error("profile diff takes two profiles: A B");
  auto a = read_profile(args[0]);
  auto b = a ? read_profile(args[1]) : Result<Json>(a.error());
  auto diff = b ? diff_profiles(*a, *b) : Result<ProfileDiff>(b.error());
  if (!diff) {
    std::fprintf(stderr, "oci-hardenctl: profile diff %s %s: %s\n", args[0].c_str(), args[1].c_str(), diff.error().message.c_str());
    return kBadInput;
  }
  std::string out = format_profile_diff(args[0], args[1], *diff);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return diff->same() ? kOk : kRefused;
}

// --- end of profile learn and diff ---

// --- configure and policy check (issue 17, item 5) ---

// configure docker|containerd|podman: 0 configured (or already so), 2 a file it cannot read,
// parse or write (nothing changed), 64 usage.
int cmd_configure(const std::vector<std::string>& args) {
  ConfigureOptions co;
  co.request.runtime_path = default_runtime_path();
  std::vector<std::string> operands;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    bool has_value = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      has_value = true;
    }
    if (a == "--default" || a == "--dry-run") {
      if (has_value) return usage_error(a + " takes no value");
      (a == "--default" ? co.request.make_default : co.dry_run) = true;
      continue;
    }
    if (a == "--config" || a == "--runtime-path" || a == "--name") {
      if (!has_value) {
        if (i + 1 >= args.size()) return usage_error(a + " needs a value");
        value = args[++i];
      }
      (a == "--config" ? co.config_path : a == "--runtime-path" ? co.request.runtime_path : co.request.runtime_name) = value;
      continue;
    }
    if (!a.empty() && a[0] == '-') return usage_error("unknown option " + a);
    operands.push_back(a);
  }
  if (operands.size() != 1) return usage_error("configure takes one engine: docker, containerd or podman");
  auto engine = engine_named(operands[0]);
  if (!engine) return usage_error("unknown engine \"" + operands[0] + "\": docker, containerd or podman");
  co.request.engine = *engine;
  if (!valid_runtime_name(co.request.runtime_name))
    return usage_error("--name: use letters, digits, '-', '_' and '.'");
  if (co.request.runtime_path.empty() || co.request.runtime_path[0] != '/')
    return usage_error("--runtime-path must be absolute (engines do not search $PATH alike)");
  if (::access(co.request.runtime_path.c_str(), X_OK) != 0)
    std::fprintf(stderr, "oci-hardenctl: warning: %s is not an executable file (yet)\n", co.request.runtime_path.c_str());
  auto out = configure_engine(co);
  if (!out) {
    std::fprintf(stderr, "oci-hardenctl: %s; nothing changed\n", out.error().message.c_str());
    return out.error().code == ErrorCode::kUsage ? kUsage : kBadInput;
  }
  for (const auto& w : out->warnings) std::fprintf(stderr, "oci-hardenctl: warning: %s\n", w.c_str());
  if (co.dry_run) {
    std::fwrite(out->text.data(), 1, out->text.size(), stdout);
    std::fprintf(stderr, "oci-hardenctl: dry run: %s %s; nothing written\n", out->path.c_str(),
                 out->changed ? (out->existed ? "would change" : "would be created") : "is already configured");
    return kOk;
  }
  if (!out->changed) {
    std::printf("%s: already configured; nothing changed\n", out->path.c_str());
    return kOk;
  }
  std::printf("%s: %s\n", out->path.c_str(),
              out->existed ? "updated" : ("created from " + out->started_from).c_str());
  for (const auto& d : out->done) std::printf("  %s\n", d.c_str());
  if (!out->backup_path.empty()) std::printf("backup of the old file: %s\n", out->backup_path.c_str());
  std::printf("%s\n", engine_restart_hint(*engine));
  return kOk;
}

// policy check FILE...: the file through the loader the runtime uses (parse_policy: schema,
// profiles, named policies). 0 every policy valid, 1 a policy is invalid, 2 a file unreadable or
// not JSON (the other files are still checked), 64 usage. Where the file lies, the runtime would
// also refuse one not owned by root or writable by others: said as a warning, since a policy is
// usually checked before it is installed.
int cmd_policy(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "check") return usage_error("policy takes the subcommand check");
  if (args.size() < 2) return usage_error("policy check needs a FILE");
  int status = kOk;
  for (size_t i = 1; i < args.size(); ++i) {
    Options o;
    o.policy_file = args[i];
    auto bytes = read_file_bounded(args[i], kMaxPolicyBytes);
    auto doc = bytes ? parse_json(*bytes).context(args[i]) : Result<Json>(bytes.error());
    if (!doc) {
      std::fprintf(stderr, "oci-hardenctl: %s\n", doc.error().message.c_str());
      status = kBadInput;
      continue;
    }
    auto policy = policy_for(o);
    if (!policy) {
      std::printf("%s: INVALID: %s\n", args[i].c_str(), policy.error().message.c_str());
      if (status == kOk) status = kRefused;
      continue;
    }
    std::printf("%s: OK (mode %s, digest %s)\n", args[i].c_str(), policy->mode == Mode::kAudit ? "audit" : "enforce",
                policy->digest.c_str());
    auto in_place = load_policy_file(args[i]);
    if (!in_place)
      std::fprintf(stderr, "oci-hardenctl: warning: the runtime would refuse it where it is: %s\n",
                   in_place.error().message.c_str());
  }
  return status;
}

// --- end of configure and policy check ---

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* usage;
  const char* what;
};

const Command kCommands[] = {
    {"harden", cmd_harden, "[--policy FILE] [--annotation K=V]... [--engine ENGINE] [--id ID] CONFIG|-",
     "print the hardened config (exit 1: refused, 2: bad input or policy)"},
    {"explain", cmd_explain, "[--policy FILE] [--annotation K=V]... [--engine ENGINE] [--id ID] CONFIG|-",
     "list each decision: rule, JSON path, before -> after"},
    {"report", cmd_report, "[--since TIME|AGE] [--format table|json|prometheus] [--wide] [--output FILE] [LOG...]",
     "answer the operator's questions from audit logs (plain or .gz); exit 3: no log yet"},
    {"profile", cmd_profile,
     "check FILE... | learn [--policy FILE] [--policy-name NAME] [--base PROFILE] [-o OUT] RECORDING|DIR... | diff A B",
     "check seccomp profiles with libseccomp (exit 1: a profile has errors, 2: bad input); learn one "
     "from recordings (exit 1: wider than the policy's); diff two (exit 1: they differ)"},
    {"rules", cmd_rules, "", "list the rules with their CIS check and cheat-sheet practice"},
    {"configure", cmd_configure,
     "docker|containerd|podman [--default] [--dry-run] [--config FILE] [--runtime-path PATH] [--name NAME]",
     "add oci-harden to the engine's config as runtime NAME (hardened), with a backup; print the restart"},
    {"policy", cmd_policy, "check FILE...",
     "validate policy files as the runtime loads them (exit 1: a policy is invalid, 2: bad input)"},
};

void print_help() {
  std::printf("usage: oci-hardenctl COMMAND [options]\n\nCommands:\n");
  for (const Command& c : kCommands) {
    std::printf("  %s %s\n      %s\n", c.name, c.usage, c.what);
  }
  std::printf("\nOptions for every command: -h, --help; --version\nSee oci-hardenctl(8).\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    print_help();
    return args.empty() ? kUsage : kOk;
  }
  if (args[0] == "--version") {
    std::printf("oci-hardenctl version %s\n", OCI_HARDEN_VERSION);
    return kOk;
  }
  for (const Command& c : kCommands) {
    if (args[0] == c.name) {
      std::vector<std::string> rest(args.begin() + 1, args.end());
      for (const auto& a : rest) {
        if (a == "-h" || a == "--help") {
          std::printf("usage: oci-hardenctl %s %s\n  %s\n", c.name, c.usage, c.what);
          return kOk;
        }
      }
      int rc = c.run(rest);
      // What goes to stdout is the data (a hardened config, a report): a full disk must fail
      // the command, not leave a truncated file behind an exit status of 0.
      if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
        std::fprintf(stderr, "oci-hardenctl: cannot write the output: %s\n", std::strerror(errno));
        return rc == kOk ? kBadInput : rc;
      }
      return rc;
    }
  }
  return usage_error("unknown command \"" + args[0] + "\"");
}
