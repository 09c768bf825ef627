// The audit record of one edge event (create, run, restore, exec, update): filled as the command
// goes, written once its decision is made (record_event, the one writer the hook uses too), and
// written again, as refused, when a step after the decision fails: the log never says
// "applied" for something that did not run, and is never silent about it.
#pragma once

#include <string>

#include "shim/cli/outcome.hh"
#include "shim/core/policy.hh"
#include "shim/core/result.hh"
#include "shim/core/runc_args.hh"
#include "shim/host/audit.hh"

namespace oci_harden {

// main(): the runtime could not be executed after `o`'s decision was recorded: record it as
// refused (rule "host-action", kind "after-decision"). Nothing to do for an unrecorded outcome.
void record_exec_failure(const Policy& policy, Outcome& o, const std::string& message);

class EdgeRecord {
 public:
  // The event is the subcommand; `bundle` the bundle directory when known.
  EdgeRecord(const RuncArgs& args, const Policy& policy, std::string bundle);

  AuditEvent& event() { return e_; }
  // One policy per workload: once the spec is read, the policy the selectors chose records.
  void use_policy(const Policy& chosen) { policy_ = &chosen; }

  // Writes the record. Ok, or the error that stops the event (the policy's audit_failure).
  Status write();
  // write(); false, with *stopped the stop, when the audit log failed the event.
  bool write_or(Outcome* stopped);
  // A step after the decision failed: recorded as refused (rule "host-action", kind
  // "after-decision", `message` the reason), then the stop with `code`.
  Outcome fail_after_decision(int code, const std::string& message);
  // Go on with `argv`; should the runtime fail to execute, main records that (record_exec_failure).
  Outcome proceed_with(std::vector<std::string> argv) const;

 private:
  const Policy* policy_;  // the loaded policy, then the one the selectors chose
  int64_t start_us_;
  AuditEvent e_;
};

}  // namespace oci_harden
