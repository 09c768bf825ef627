// create / run / restore: the data flow of design.md, steps 3 to 7.

#include "shim/cli/bundle_command.hh"

#include <unistd.h>

#include <climits>

#include "shim/host/atomic_file.hh"
#include "shim/host/audit.hh"
#include "shim/cli/exit_codes.hh"
#include "shim/core/harden.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/stdio_chown.hh"
#include "shim/core/bounded_read.hh"
#include "shim/core/container_id.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

Outcome stop(int code, std::string message) {
  Outcome o;
  o.exit_code = code;
  o.message = std::move(message);
  return o;
}

struct Recorder {
  const RuncArgs& args;
  const Policy& policy;
  int64_t start_us;
  std::string bundle;

  // Writes the record; on failure decides by audit_failure whether the run may go on.
  Status write(AuditEvent& e) const {
    e.event = args.command;
    e.container = args.container_id();
    e.bundle = bundle;
    e.runtime = policy.runtime;
    e.policy = &policy;
    e.duration_us = now_us() - start_us;
    std::string line = audit_record(e, now_us());
    auto st = append_audit_line(policy.audit_log, line);
    if (policy.audit_syslog) audit_to_syslog(line);
    if (!st && policy.audit_failure == AuditFailure::kAllow) return Ok{};
    return st;
  }
};

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

Outcome harden_bundle(const RuncArgs& args, const Policy& policy, const Host& host) {
  int64_t start = now_us();
  if (!valid_container_id(args.container_id())) {
    return stop(kExitUsage, args.command + ": missing or invalid container id \"" +
                                args.container_id() + "\"");
  }
  auto dir = bundle_dir(args);
  if (!dir) return stop(exit_code_for(dir.error().code), dir.error().message);
  Recorder recorder{args, policy, start, *dir};

  // crun's --config/-f FILE runs FILE instead of the bundle's config.json (only the exact word
  // "config.json" means the bundle's; any other value is taken from the caller's directory).
  // Why refuse rather than harden FILE: no engine passes it, and one file per container is what
  // the audit record, the hook and exec's lookup of the container's spec all assume.
  if (const std::string* config = args.flag("config"); config != nullptr && *config != "config.json") {
    AuditEvent e;
    e.decision = "refused";
    e.refused.push_back(Refusal{"runtime-flags", "--config \"" + *config +
                                                     "\" would make the runtime read another spec than "
                                                     "the bundle's config.json, the one oci-harden hardens"});
    auto st = recorder.write(e);
    if (!st) return stop(kExitAudit, "cannot write the audit record: " + st.error().message);
    return stop(kExitRefused, refusal_message(e.refused));
  }
  auto file = AtomicFile::open(*dir, "config.json", kMaxSpecBytes);
  auto spec = file ? parse_spec(file->text())
                   : Result<Json>(file.error());
  if (!spec) {
    // An unreadable spec is recorded as refused too: every start attempt leaves a trace.
    std::string msg = file ? file->path() + ": " + spec.error().message : spec.error().message;
    AuditEvent e;
    e.decision = "refused";
    e.refused.push_back(Refusal{"spec", msg});
    (void)recorder.write(e);
    return stop(exit_code_for(spec.error().code), msg);
  }

  // runc makes --root absolute from its working directory, which is ours until the exec.
  std::string runtime_root = args.root;
  if (!runtime_root.empty() && runtime_root[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) != nullptr) runtime_root = std::string(cwd) + "/" + runtime_root;
  }
  Invocation inv{args.command, args.container_id(), *dir, runtime_root};
  Decision d = harden_spec(std::move(*spec), policy, host, inv);
  // A standard stream crun would chown on the host (a file, not a device): refused, recorded.
  for (std::string& r : stdio_the_runtime_would_chown(d.actions, policy.runtime)) {
    d.refusals.push_back(Refusal{"user-namespace", std::move(r)});
  }
  bool audit_only = policy.mode == Mode::kAudit;

  AuditEvent e;
  e.changes = &d.changes;
  e.opt_outs = &d.opt_outs;
  e.refused = d.refusals;
  e.notes = &d.notes;
  e.annotations = interesting_annotations(d.spec, policy.opt_out_annotation);
  e.engine = guess_engine(d.spec, *dir);
  e.user = user_summary(with_real_user_maps(d.spec, host, *dir));  // a joined namespace's real maps
  if (audit_only) {
    e.decision = "audited";
  } else if (d.refused()) {
    e.decision = "refused";
  } else {
    e.decision = d.changes.empty() ? "unchanged" : "applied";
  }

  if (audit_only || d.refused()) {
    auto st = recorder.write(e);
    if (!st) return stop(kExitAudit, "cannot write the audit record: " + st.error().message);
    if (d.refused()) {
      if (audit_only) return proceed();
      return stop(kExitRefused, refusal_message(d.refusals));
    }
    return proceed();
  }

  // Prepared (written and fsynced) before the record, renamed after it: a failed record leaves
  // the original config.json in place, and a recorded "applied" is what runc will read.
  bool rewrite = !d.changes.empty();
  // Whatever stops the container after the decision is recorded too: the log must not be
  // silent (or say "applied") about a container that never started.
  auto record_failure = [&](const std::string& msg) {
    e.decision = "refused";
    e.refused = {Refusal{"host-action", msg}};
    (void)recorder.write(e);
    return stop(kExitIo, msg);
  };
  if (rewrite) {
    auto st = file->prepare(to_json(d.spec));
    if (!st) return record_failure("cannot write the hardened config: " + st.error().message);
  }
  auto st = recorder.write(e);
  if (!st) return stop(kExitAudit, "cannot write the audit record: " + st.error().message);
  st = perform_host_actions(d.actions);
  if (!st) return record_failure("cannot prepare the host for the container: " + st.error().message);
  if (rewrite) {
    st = file->commit();
    if (!st) return record_failure("cannot replace config.json: " + st.error().message);
  }
  return proceed();
}

}  // namespace oci_harden
