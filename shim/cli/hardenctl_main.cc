// oci-hardenctl: the administrator's tool. The table below is its command surface; `help`
// prints from the same table. Only this file prints and picks exit statuses.

#include <unistd.h>

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
#include "shim/host/process_identity.hh"
#include "shim/core/rfc3339.hh"
#include "shim/host/real_host.hh"
#include "shim/cli/report.hh"
#include "shim/core/rule.hh"
#include "shim/cli/profile_check.hh"
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
    for (const Change& c : d.changes) {
      std::printf("%-22s %s: %s -> %s\n", c.rule.c_str(), c.path.c_str(),
                  c.before.is_null() ? "(absent)" : to_json(c.before).c_str(),
                  c.after.is_null() ? "(removed)" : to_json(c.after).c_str());
    }
    for (const Refusal& r : d.refusals) std::printf("REFUSED by %s: %s\n", r.rule.c_str(), r.reason.c_str());
    for (const Note& n : d.notes) std::printf("note from %s: %s\n", n.rule.c_str(), n.text.c_str());
    Json user = user_summary(d.spec);
    const Json* root = user.get("root_on_host");
    std::printf("runs as host root: %s\n", root != nullptr && root->as_bool() ? "yes" : "no");
    return d.refused() ? kRefused : kOk;
  }
  if (!policy->selectors.empty()) std::fprintf(stderr, "oci-hardenctl: %s\n", chosen_text.c_str());
  if (d.refused()) {
    std::fprintf(stderr, "oci-hardenctl: %s\n", refusal_message(d.refusals).c_str());
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

int cmd_report(const std::vector<std::string>& args) {
  Options o;
  std::string err;
  if (!parse_options(args, {"--since", "--format", "--policy"}, &o, &err)) return usage_error(err);
  ReportOptions ro;
  ro.logs = o.operands;
  if (ro.logs.empty()) {
    auto policy = policy_for(o);
    if (!policy) {
      std::fprintf(stderr, "oci-hardenctl: %s\n", policy.error().message.c_str());
      return kBadInput;
    }
    ro.logs.push_back(policy->audit_log);
  }
  if (!o.since.empty()) {
    auto since = parse_rfc3339(o.since);
    if (!since) return usage_error("--since: " + since.error().message);
    ro.since_us = *since;
  }
  if (o.format == "json") ro.format = ReportFormat::kJson;
  else if (o.format == "table") ro.format = ReportFormat::kTable;
  else return usage_error("--format takes table or json");
  ro.now_us = now_us();  // exceptions: days left, and which have ended
  std::vector<std::string> warnings;
  auto out = run_report(ro, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "oci-hardenctl: %s\n", w.c_str());
  if (!out) {
    std::fprintf(stderr, "oci-hardenctl: %s\n", out.error().message.c_str());
    return kBadInput;
  }
  std::fwrite(out->data(), 1, out->size(), stdout);
  return kOk;
}

// profile check FILE...: 0 every profile clean, 1 a profile has errors, 2 a file unreadable or
// not a profile (the other files are still checked), 64 usage.
int cmd_profile(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "check") return usage_error("profile takes the subcommand check");
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
    {"report", cmd_report, "[--since TIME] [--format table|json] [LOG...]",
     "answer the operator's questions from audit logs (plain or .gz)"},
    {"profile", cmd_profile, "check FILE...",
     "check seccomp profiles with libseccomp (exit 1: a profile has errors, 2: bad input)"},
    {"rules", cmd_rules, "", "list the rules with their CIS check and cheat-sheet practice"},
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
