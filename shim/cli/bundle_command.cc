// create / run / restore: the data flow of design.md, steps 3 to 7.

#include "shim/cli/bundle_command.hh"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <ctime>

#include "shim/cli/edge_record.hh"
#include "shim/cli/exit_codes.hh"
#include "shim/host/atomic_file.hh"
#include "shim/host/audit.hh"
#include "shim/core/harden.hh"
#include "shim/core/refusal_fix.hh"
#include "shim/host/clock.hh"
#include "shim/host/container_verify.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/process_identity.hh"
#include "shim/host/runc_log.hh"
#include "shim/host/runtime_child.hh"
#include "shim/host/runtime_state.hh"
#include "shim/host/stop_record.hh"
#include "shim/host/stop_token.hh"
#include "shim/host/stdio_chown.hh"
#include "shim/core/bounded_read.hh"
#include "shim/core/container_id.hh"
#include "shim/core/hook_plan.hh"
#include "shim/core/rootless.hh"
#include "shim/core/seccomp_learn.hh"
#include "shim/core/spec.hh"
#include "shim/host/seccomp_listener.hh"

namespace oci_harden {

namespace {

// Whether an entry of linux.namespaces joins a user namespace by path: only then are the real
// maps read and the spec copied to carry them (issue 14.1: with_real_user_maps copies the whole
// spec, ~35 µs a create, to return it unchanged when nothing is joined).
bool joins_user_namespace(const Json& spec) {
  const Json* namespaces = field_at(spec, "linux.namespaces");
  if (namespaces == nullptr || !namespaces->is_array()) return false;
  for (const Json& ns : namespaces->items()) {
    if (string_field(&ns, "type").value_or("") == "user" && !string_field(&ns, "path").value_or("").empty()) {
      return true;
    }
  }
  return false;
}

// The init's pid as the runtime wrote it to --pid-file (relative to the working directory,
// which the runtime shared); 0 when it cannot be read.
int64_t pid_from_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) return 0;
  char buf[32] = {};
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return 0;
  char* end = nullptr;
  long long pid = std::strtoll(buf, &end, 10);
  return end != buf && pid > 0 && pid <= INT_MAX ? pid : 0;
}

// runc, with --pid-file (hook_plan.hh): the runtime's create as a child, then the verification
// the poststart hook would have done at the same moment (runc runs poststart at create's end),
// with no hook process. The runtime's status is this command's.
Outcome create_then_verify(EdgeRecord& record, const RuncArgs& args, const Policy& policy, const std::string& bundle) {
  Outcome go = record.proceed_with(args.argv);
  int status = run_runtime_child(policy.runtime, go.argv, kExitRuntime, [&](const std::string& message) {
    record_exec_failure(policy, go, message);
    log_error("oci-harden: " + message);
  });
  if (status < 0) return record.fail_after_decision(kExitRuntime, "cannot start the runtime: fork failed");
  if (runtime_succeeded(status)) {
    const std::string* pid_file = args.flag("pid-file");
    VerifyRun run = verify_container(policy, args.container_id(), bundle, pid_file != nullptr ? pid_from_file(*pid_file) : 0,
                                     now_us(), "oci-harden");
    if (run.in_worker) ::_exit(run.status);
  }
  Outcome o = stop(pass_on(status, kExitRuntime), "");
  o.quiet = true;
  return o;
}

}  // namespace

Result<std::string> bundle_dir(const RuncArgs& args) {
  const std::string* flag = args.flag("bundle");
  std::string dir = flag != nullptr ? *flag : "";
  // runc: an empty --bundle means the current directory, as does no flag at all.
  if (!dir.empty() && dir[0] == '/') return dir;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    return make_error(ErrorCode::kIo, "cannot read the current directory");
  }
  if (dir.empty()) return std::string(cwd);
  return std::string(cwd) + "/" + dir;
}

Outcome harden_bundle(const RuncArgs& args, const Policy& loaded, const Host& host) {
  if (!valid_container_id(args.container_id())) {
    return stop(kExitUsage, args.command + ": missing or invalid container id \"" +
                                args.container_id() + "\"");
  }
  auto dir = bundle_dir(args);
  if (!dir) return stop(exit_code_for(dir.error().code), dir.error().message);
  EdgeRecord record(args, loaded, *dir);
  AuditEvent& e = record.event();
  Outcome stopped;

  // crun's --config/-f FILE runs FILE instead of the bundle's config.json (only the exact word
  // "config.json" means the bundle's; any other value is taken from the caller's directory).
  // Why refuse rather than harden FILE: no engine passes it, and one file per container is what
  // the audit record, the hook and exec's lookup of the container's spec all assume.
  if (const std::string* config = args.flag("config"); config != nullptr && *config != "config.json") {
    e.decision = "refused";
    e.refused.push_back(Refusal{"runtime-flags",
                                "--config \"" + *config +
                                    "\" would make the runtime read another spec than "
                                    "the bundle's config.json, the one oci-harden hardens",
                                "--config", "another-spec"});
    if (!record.write_or(&stopped)) return stopped;
    return stop(kExitRefused, refusal_message_with_fixes(e.refused));
  }
  auto file = AtomicFile::open(*dir, "config.json", kMaxSpecBytes);
  auto spec = file ? parse_spec(file->text())
                   : Result<Json>(file.error());
  if (!spec) {
    // An unreadable spec is recorded as refused too: every start attempt leaves a trace.
    std::string msg = file ? file->path() + ": " + spec.error().message : spec.error().message;
    e.decision = "refused";
    e.refused.push_back(Refusal{"spec", msg, "config.json", "unreadable"});
    (void)record.write();
    return stop(exit_code_for(spec.error().code), msg);
  }

  // One policy per workload: a few string compares, on facts the engine set (selectors.hh).
  const Policy& policy =
      select_policy(loaded, workload_of(*spec, *dir, args.container_id(), loaded.selector_labels));
  record.use_policy(policy);

  // runc makes --root absolute from its working directory, which is ours until the exec.
  const std::string runtime_root = absolute_runtime_root(args.root);
  Invocation inv{args.command, args.container_id(), *dir, runtime_root};
  inv.pid_file = args.flag("pid-file") != nullptr;
  inv.rootless = is_rootless(own_identity());
  inv.now = static_cast<int64_t>(::time(nullptr));  // the clock exceptions end by (opt-out-until)
  const std::string own_rewrite = drop_own_rewrite(*spec, policy, args.container_id());  // issue 15
  Decision d = harden_spec(std::move(*spec), policy, host, inv);
  if (!own_rewrite.empty()) d.notes.push_back(Note{"seccomp", own_rewrite});
  // A standard stream crun would chown on the host (a file, not a device): refused, recorded.
  for (std::string& r : stdio_the_runtime_would_chown(d.actions, policy.runtime)) {
    d.refusals.push_back(Refusal{"user-namespace", std::move(r), "process", "stdio-file"});
  }
  bool audit_only = policy.mode == Mode::kAudit;
  // Learn mode (issue 15): after the rules have judged the spec (its own listener included), the
  // profile it will run with is rewritten to notify oci-harden's recorder; not in audit mode,
  // where the runtime reads the spec as the engine wrote it.
  LearnPlan learn;
  if (!audit_only && !d.refused()) {
    learn = plan_learn(d.spec, loaded, policy, args.container_id());
    if (!learn.why_not.empty()) d.notes.push_back(Note{"seccomp", learn.why_not});
  } else if (audit_only && (!policy.learn.workload.empty() || !policy.learn.learned_path.empty())) {
    d.notes.push_back(Note{"seccomp", "learn mode and seccomp_learned do nothing in mode audit: the runtime reads "
                                      "the spec as the engine wrote it"});
  }

  e.changes = &d.changes;
  e.opt_outs = &d.opt_outs;
  e.refused = d.refusals;
  e.notes = &d.notes;
  e.annotations = interesting_annotations(d.spec, policy.opt_out_annotation);
  e.engine = guess_engine(d.spec, *dir);
  // A joined namespace's real maps; the ids carried to the host's (rootless engines).
  e.user = joins_user_namespace(d.spec) ? user_summary(with_real_user_maps(d.spec, host, *dir), host.own_uid_map())
                                        : user_summary(d.spec, host.own_uid_map());
  e.decision = decision_word(policy.mode, d.refused(), !d.changes.empty());
  if (!audit_only && !d.refused() && !learn.rewritten) {
    const bool by_rule = std::any_of(d.changes.begin(), d.changes.end(),
                                     [](const Change& c) { return c.rule == "seccomp" && c.path == "linux.seccomp"; });
    learn.seccomp_record = plain_seccomp_record(d.spec, policy, by_rule);
  }
  if (learn.seccomp_record.is_object()) {  // the profile in force (issue 15)
    e.extra = Json::object();
    e.extra.set("seccomp", learn.seccomp_record);
  }

  if (audit_only || d.refused()) {
    if (!record.write_or(&stopped)) return stopped;
    if (d.refused() && !audit_only) return stop(kExitRefused, refusal_message_with_fixes(d.refusals));
    return record.proceed_with(args.argv);
  }

  // Prepared (written and fsynced) before the record, renamed after it: a failed record leaves
  // the original config.json in place, and a recorded "applied" is what runc will read.
  bool rewrite = !d.changes.empty() || learn.rewritten;
  // Whatever stops the container after the decision is recorded too: the log must not be
  // silent (or say "applied") about a container that never started.
  if (rewrite) {
    auto st = file->prepare(to_json(d.spec));
    if (!st) return record.fail_after_decision(kExitIo, "cannot write the hardened config: " + st.error().message);
  }
  if (!record.write_or(&stopped)) return stopped;
  // issue 14: who records the stop (hook_plan.hh); before the host actions, which make this
  // container's idmapped root where an earlier container's may still be.
  const HookPlan plan = hook_plan(policy, inv);
  if (plan.stop_at_delete) {
    auto prepared = prepare_stop_at_delete(policy, runtime_state_root(policy.runtime, runtime_root),
                                           args.container_id(), *dir, now_us());
    if (!prepared) return record.fail_after_decision(kExitIo, "cannot prepare the stop record: " + prepared.error().message);
  } else if (!policy.hook_path.empty()) {
    // A stop token left by a killed process of an earlier container of this id must not silence
    // this one's stop record (one unlink, ENOENT as a rule).
    forget_stop_token(policy.state_dir, args.container_id());
  }
  auto st = perform_host_actions(d.actions);
  if (!st) return record.fail_after_decision(kExitIo, "cannot prepare the host for the container: " + st.error().message);
  // The recorder listens before the runtime runs: runc and crun connect during create.
  if (learn.active) {
    st = start_seccomp_recorder(policy.hook_path, learn.socket_path, learn.recorder_args);
    if (!st) return record.fail_after_decision(kExitIo, "cannot start the seccomp recorder: " + st.error().message);
  }
  if (rewrite) {
    st = file->commit();
    if (!st) return record.fail_after_decision(kExitIo, "cannot replace config.json: " + st.error().message);
  }
  if (plan.verify_after_create) return create_then_verify(record, args, policy, *dir);
  return record.proceed_with(args.argv);
}

}  // namespace oci_harden
