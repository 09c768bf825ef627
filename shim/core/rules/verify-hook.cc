// Rule "verify-hook" (cheat-sheet practice 3, the audit trail): add oci-harden-hook to the
// spec's hooks — poststart, to check from the kernel that the hardening holds, and poststop,
// to record the stop and remove oci-harden's per-container state — where oci-harden's own
// create and delete do not do that work (hook_plan.hh). Hooks the spec already has (Docker's
// libnetwork-setkey, for one) are kept, and ours go last. Nothing is added when the policy has
// no hook (not installed, or "hook": "none").

#include "shim/core/hook_plan.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

// crun (1.8) waits for a hook with a timeout through sigtimedwait on SIGCHLD and skips a
// SIGCHLD from another pid; when the container's process exits while the hook runs, the two
// signals merge into one and the hook's exit is never seen: crun waits out the timeout, kills
// the hook and fails the start (seen in 3 of 300 starts of a container running /bin/true).
// Without a timeout crun simply waits for the hook, which ends itself after
// kHookTimeoutSeconds anyway (hooks/hook_main.cc).
bool runtime_loses_hook_timeouts(const std::string& runtime) {
  return base_name(runtime) == "crun";
}

Json hook_entry(const Policy& policy, const char* stage) {
  Json h = Json::object();
  h.set("path", Json::string(policy.hook_path));
  h.set("args", string_array({"oci-harden-hook", stage}));
  // runc gives a hook only the environment listed here: name the policy it must use.
  if (!policy.path.empty()) h.set("env", string_array({"OCI_HARDEN_POLICY=" + policy.path}));
  if (!runtime_loses_hook_timeouts(policy.runtime)) {
    h.set("timeout", Json::integer(kHookTimeoutSeconds));
  }
  return h;
}

bool has_entry(const Json* list, const Json& entry) {
  if (list == nullptr || !list->is_array()) return false;
  for (const Json& h : list->items()) {
    if (h == entry) return true;
  }
  return false;
}

}  // namespace

void rule_verify_hook(RuleContext& ctx) {
  const Policy& policy = ctx.policy();
  if (policy.hook_path.empty()) return;
  const HookPlan plan = hook_plan(policy, ctx.invocation());
  const Json* had = field(&ctx.spec(), "hooks");
  if (!plan.poststart_hook && !plan.poststop_hook && (had == nullptr || !had->is_object())) return;
  Json& hooks = ensure_object(ctx.spec(), "hooks");
  for (const char* stage : {"poststart", "poststop"}) {
    const bool wanted = std::string(stage) == "poststart" ? plan.poststart_hook : plan.poststop_hook;
    Json* list = field(&hooks, stage);
    Json ours = hook_entry(policy, stage);
    // Why this is safe: an entry at our hook's path that is not exactly ours (other arguments:
    // a "poststop" cleanup at poststart, or nothing to verify) is the spec author's, not ours;
    // it is dropped and ours added, so a spec cannot stand in for the verification it skips.
    // Where oci-harden does the stage's work itself, every entry at our path goes: the work is
    // done once, by oci-harden.
    if (list != nullptr && list->is_array()) {
      std::vector<Json>& items = list->items();
      for (size_t i = items.size(); i-- > 0;) {
        if (string_field(&items[i], "path").value_or("") != policy.hook_path || (wanted && items[i] == ours)) continue;
        ctx.record(json_path_index(std::string("hooks.") + stage, i), items[i], Json());
        items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    if (!wanted || has_entry(list, ours)) continue;
    if (list == nullptr || !list->is_array()) list = &hooks.set(stage, Json::array());
    list->push_back(std::move(ours));
    ctx.record(json_path_index(std::string("hooks.") + stage, list->items().size() - 1), Json(),
               list->items().back());
  }
}

}  // namespace oci_harden
