// The stop's work, once per container (see stop_record.hh).

#include "shim/host/stop_record.hh"

#include "shim/core/rule.hh"  // Refusal, complete for AuditEvent
#include "shim/host/audit.hh"
#include "shim/core/state_dir.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/runtime_state.hh"
#include "shim/host/stop_token.hh"

namespace oci_harden {

StopOutcome record_stop_once(const Policy& policy, const std::string& container_id, const std::string& bundle,
                             StopRecorder by, int64_t start_us) {
  StopOutcome out;
  auto token = take_stop_token(policy.state_dir, container_id);
  if (token && !token->mine()) return out;  // recorded already (or being recorded, waited for)

  AuditEvent e;
  e.event = "stop";
  e.container = container_id;
  e.bundle = bundle;
  e.decision = decision_word(Mode::kEnforce, false, false);
  e.extra = Json::object();
  if (by == StopRecorder::kDelete) e.extra.set("recorded_by", Json::string("delete"));
  if (by == StopRecorder::kCreate) e.extra.set("recorded_by", Json::string("create"));
  if (!token) e.extra.set("stop_token_error", Json::string(token.error().message));
  out.taken_over = token && token->taken_over();
  if (out.taken_over) e.extra.set("taken_over", Json::boolean(true));
  auto cleaned = cleanup_container_state(policy.state_dir, container_id);
  if (!cleaned) e.extra.set("cleanup_error", Json::string(cleaned.error().message));

  out.status = record_event(policy, e, start_us, &out.let_pass);
  out.recorded = out.status.ok() && out.let_pass.empty();
  if (out.recorded && token) {
    auto marked = token->mark_recorded();
    if (!marked) out.let_pass = marked.error().message;
  }
  return out;
}

Status prepare_stop_at_delete(const Policy& policy, const std::string& runtime_root, const std::string& container_id,
                              const std::string& bundle, int64_t start_us) {
  constexpr int kWaitForDeleteMs = 2000;
  auto hold = CreateHold::enter(policy.state_dir, container_id, kWaitForDeleteMs);
  if (!hold) return hold.error();
  if (auto earlier = stop_at_delete_of(policy.state_dir, container_id)) {
    if (!runtime_lacks_container(policy.runtime, earlier->runtime_root, container_id)) {
      if (earlier->runtime_root == runtime_root) return Ok{};  // the runtime refuses the id
      return make_error(ErrorCode::kUsage,
                        "container id \"" + container_id + "\" is in use under another runtime root (" +
                            earlier->runtime_root + ", bundle " + earlier->bundle +
                            "): oci-harden keeps one state per id (" +
                            container_state_dir(policy.state_dir, container_id) + "); give this container another id");
    }
    StopOutcome out = record_stop_once(policy, container_id, earlier->bundle, StopRecorder::kCreate, start_us);
    if (!out.status) return out.status;
  }
  return expect_stop_at_delete(policy.state_dir, container_id, StopAtDelete{runtime_root, bundle});
}

}  // namespace oci_harden
