// One edge event's audit record, and the failures after its decision.

#include "shim/cli/edge_record.hh"

#include "shim/cli/exit_codes.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"

namespace oci_harden {

EdgeRecord::EdgeRecord(const RuncArgs& args, const Policy& policy, std::string bundle)
    : policy_(&policy), start_us_(now_us()) {
  e_.event = args.command;
  e_.container = args.container_id();
  e_.bundle = std::move(bundle);
}

Status EdgeRecord::write() { return record_event(*policy_, e_, start_us_); }

bool EdgeRecord::write_or(Outcome* stopped) {
  auto st = write();
  if (st) return true;
  *stopped = stop(kExitAudit, "cannot write the audit record: " + st.error().message);
  return false;
}

Outcome EdgeRecord::fail_after_decision(int code, const std::string& message) {
  e_.decision = "refused";
  e_.refused = {Refusal{"host-action", message, "", "after-decision"}};
  (void)write();  // the stop below is reported whatever the log says
  return stop(code, message);
}

Outcome EdgeRecord::proceed_with(std::vector<std::string> argv) const {
  Outcome o = proceed(std::move(argv));
  AuditEvent e;
  e.event = e_.event;
  e.container = e_.container;
  e.bundle = e_.bundle;
  e.engine = e_.engine;
  e.annotations = e_.annotations;
  e.user = e_.user;
  o.if_exec_fails = std::move(e);
  o.start_us = start_us_;
  return o;
}

void record_exec_failure(const Policy& policy, Outcome& o, const std::string& message) {
  if (!o.if_exec_fails) return;
  AuditEvent& e = *o.if_exec_fails;
  e.decision = "refused";
  e.refused = {Refusal{"host-action", message, "", "after-decision"}};
  (void)record_event(policy, e, o.start_us);  // main reports the failure whatever the log says
}

}  // namespace oci_harden
