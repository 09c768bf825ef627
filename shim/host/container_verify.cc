// The verification of a started container (see container_verify.hh).

#include "shim/host/container_verify.hh"

#include <unistd.h>

#include <vector>

#include "shim/core/bounded_read.hh"
#include "shim/core/rule.hh"  // Refusal, complete for AuditEvent
#include "shim/core/selectors.hh"
#include "shim/core/spec.hh"
#include "shim/host/atomic_file.hh"
#include "shim/host/audit.hh"
#include "shim/host/detached_worker.hh"
#include "shim/host/process_verify.hh"
#include "shim/host/runc_log.hh"

namespace oci_harden {

namespace {

Json checks_json(const std::vector<Check>& checks) {
  Json list = Json::array();
  for (const Check& c : checks) {
    Json j = Json::object();
    j.set("check", Json::string(c.name));
    j.set("expected", Json::string(c.expected));
    j.set("actual", Json::string(c.actual));
    j.set("ok", Json::boolean(c.ok));
    list.push_back(std::move(j));
  }
  return list;
}

// The worker's part: judge, kill under verify=enforce, record.
int judge_and_record(const Policy& policy, const std::string& container_id, const std::string& bundle, int64_t pid,
                     const PinnedProcess& target, const PinnedView& view, int64_t start_us, const std::string& who) {
  AuditEvent e;
  e.event = "verify";
  e.container = container_id;
  e.bundle = bundle;
  Json spec;
  auto file = AtomicFile::open(bundle, "config.json", kMaxSpecBytes);
  if (file) {
    auto parsed = parse_spec(file->text());
    if (parsed) spec = std::move(*parsed);
  }
  std::vector<Check> checks;
  if (!spec.is_object()) {
    checks.push_back(Check{"spec", "readable", "unreadable", false});
  } else if (pid <= 0) {
    checks.push_back(Check{"pid", "a process", "none", false});
  } else {
    checks = verify_pinned(spec, view);
  }
  int failed = 0;
  for (const Check& c : checks) failed += c.ok ? 0 : 1;
  e.extra = Json::object();
  e.extra.set("checks", checks_json(checks));
  // What the kernel shows is judged whatever the policy's mode: a failed check is "refused".
  e.decision = decision_word(Mode::kEnforce, failed > 0, false);
  // One policy per workload: verify=enforce or record is the container's own policy's.
  const Policy& chosen = spec.is_object()
                             ? select_policy(policy, workload_of(spec, bundle, container_id, policy.selector_labels))
                             : policy;
  bool kill_it = failed > 0 && chosen.verify == Verify::kEnforce && pid > 0;
  if (kill_it) {
    // Why: the spec's promise does not hold in the kernel; under verify=enforce the container
    // must not keep running as if it were hardened.
    target.kill();
    for (const Check& c : checks) {
      if (!c.ok) {
        e.refused.push_back(Refusal{"verify", c.name + ": expected " + c.expected + ", kernel shows " + c.actual,
                                    c.name, "not-as-promised"});
      }
    }
  }
  e.extra.set("killed", Json::boolean(kill_it));
  std::string let_pass;
  auto st = record_event(chosen, e, start_us, &let_pass);
  if (!let_pass.empty()) log_error(who + ": " + let_pass);
  if (!st) log_error(who + ": " + st.error().message);
  if (failed > 0) {
    log_error(who + ": " + std::to_string(failed) + " verification check(s) failed for " + container_id +
              (kill_it ? "; container killed" : ""));
  }
  return (!st || kill_it) ? 1 : 0;
}

}  // namespace

VerifyRun verify_container(const Policy& policy, const std::string& container_id, const std::string& bundle,
                           int64_t pid, int64_t start_us, const std::string& who) {
  PinnedProcess target = pin_process(static_cast<pid_t>(pid));
  PinnedView view = read_pinned_view(target);
  const pid_t caller = ::getpid();
  if (detach_worker(kHookTimeoutSeconds, target.pinned() ? target.fd() : -1) == HookRole::kReturnNow) return VerifyRun{};
  VerifyRun run;
  run.in_worker = ::getpid() != caller;
  run.status = judge_and_record(policy, container_id, bundle, pid, target, view, start_us, who);
  return run;
}

}  // namespace oci_harden
