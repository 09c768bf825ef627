// oci-harden: the drop-in OCI runtime. The table below is the whole command surface: which
// runc subcommands are hardened and which are handed to the runtime untouched. The library does
// the work; only this file prints, writes runc's --log record, and picks the exit status.

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "shim/cli/bundle_command.hh"
#include "shim/cli/delete_command.hh"
#include "shim/cli/edge_record.hh"
#include "shim/cli/outcome.hh"
#include "shim/cli/exit_codes.hh"
#include "shim/cli/operation_command.hh"
#include "shim/core/policy.hh"
#include "shim/host/seccomp_verdicts.hh"
#include "shim/host/process_identity.hh"
#include "shim/host/real_host.hh"
#include "shim/core/rule.hh"
#include "shim/core/runc_args.hh"
#include "shim/host/runc_log.hh"
#include "shim/host/runtime_exec.hh"

using namespace oci_harden;

namespace {

using Handler = Outcome (*)(const RuncArgs&, const Policy&);

Outcome pass_through(const RuncArgs& args, const Policy&) { return proceed(args.argv); }

Outcome harden(const RuncArgs& args, const Policy& policy) {
  return harden_bundle(args, policy, real_host());
}

Outcome exec_process(const RuncArgs& args, const Policy& policy) {
  return harden_exec_command(args, policy, real_host());
}

Outcome update_limits(const RuncArgs& args, const Policy& policy) {
  return harden_update_command(args, policy, real_host());
}

// delete: the runtime deletes the container, then oci-harden does the poststop work (the
// idmapped root's removal, the stop record); see delete_command.hh.
Outcome delete_container(const RuncArgs& args, const Policy& policy) { return delete_command(args, policy); }

struct Subcommand {
  const char* name;
  Handler handler;
  const char* what;
};

const Subcommand kSubcommands[] = {
    {"create", harden, "harden the bundle's config.json, then create"},
    {"run", harden, "harden the bundle's config.json, then run"},
    {"restore", harden, "harden the bundle's config.json, then restore"},
    {"exec", exec_process, "judge the exec'd process against the container, then exec"},
    {"update", update_limits, "hold new limits to the policy's maxima, then update"},
    {"delete", delete_container, "delete, then remove oci-harden's per-container state"},
};

const Subcommand* find_subcommand(const std::string& name) {
  for (const Subcommand& s : kSubcommands) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

void print_help() {
  std::printf(
      "usage: oci-harden [runc global flags] COMMAND [flags] [CONTAINER] ...\n"
      "\n"
      "A drop-in OCI runtime: engines call it exactly as they call runc. It hardens the\n"
      "container's config.json by the policy, records every decision, then executes the real\n"
      "runtime (runc or crun) with the same arguments.\n"
      "\n"
      "Commands it acts on:\n");
  for (const Subcommand& s : kSubcommands) std::printf("  %-10s %s\n", s.name, s.what);
  std::printf(
      "  (others)   passed to the runtime unchanged: start, state, kill, ps, features, ...\n"
      "\n"
      "Rules (ids used in refusals, audit records, opt-outs and the policy):\n");
  for (const RuleInfo& r : all_rules()) std::printf("  %-22s %s\n", r.id, r.summary);
  std::printf(
      "\n"
      "Policy: $OCI_HARDEN_POLICY, else /etc/oci-harden/policy.json, else the built-in default.\n"
      "  -h, --help      this text\n"
      "  -v, --version   the runtime's version, then oci-harden's\n"
      "See oci-harden(8), oci-harden.json(5), oci-hardenctl(8).\n");
}

// `runc create --help`: a bare --help/-h makes the runtime print the command's help and do
// nothing else. Only the bare form: `--help=false` would run the command, so it is judged.
bool asks_for_help(const RuncArgs& args) {
  for (const auto& [name, value] : args.flags) {
    if ((name == "help" || name == "h") && value.empty()) return true;
  }
  return false;
}

// Reports a failure the way runc would, so `docker run` and `ctr run` print it.
int fail(const RuncArgs& /*args: their --log was given to set_runc_log*/, int code, const std::string& message) {
  log_error("oci-harden: " + message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> argv_s(argv, argv + argc);
  auto parsed = parse_runc_args(argv_s);
  if (!parsed) {
    RuncArgs none;
    return fail(none, kExitUsage, parsed.error().message);
  }
  const RuncArgs& args = *parsed;
  set_runc_log(args.log, args.log_format, args.debug);
  if (args.command.empty() && args.help) {
    print_help();
    return 0;
  }

  set_policy_reader_identity(own_identity());  // rootless engines: root is host root
  set_policy_verdict_store({seccomp_verdict_remembered, remember_seccomp_verdict});  // seccomp_learned
  auto policy = load_policy();
  if (!policy) return fail(args, exit_code_for(policy.error().code), policy.error().message);
  auto runtime_ok = check_runtime(policy->runtime);
  if (!runtime_ok) return fail(args, kExitRuntime, runtime_ok.error().message);

  if (args.command.empty() && args.version) {
    // dockerd and go-runc parse the first line: the runtime's own output comes first, unchanged.
    std::fflush(stdout);
    int rc = run_runtime_version(policy->runtime);
    std::printf("oci-harden version %s\n", OCI_HARDEN_VERSION);
    return rc;
  }

  const Subcommand* sub = find_subcommand(args.command);
  if (sub != nullptr && asks_for_help(args)) sub = nullptr;  // the runtime prints its help, and does nothing
  Outcome outcome = sub != nullptr ? sub->handler(args, *policy) : pass_through(args, *policy);
  if (!outcome.exec_runtime) return outcome.quiet ? outcome.exit_code : fail(args, outcome.exit_code, outcome.message);

  log_debug("oci-harden: " + args.command + ": exec " + policy->runtime);
  std::fflush(nullptr);
  Error err = exec_runtime(policy->runtime, outcome.argv);
  record_exec_failure(*policy, outcome, err.message);
  return fail(args, kExitRuntime, err.message);
}
