// The whole decision for one spec: opt-outs, then every enabled rule, then the verdict.

#include "shim/core/harden.hh"

#include <algorithm>

#include "shim/core/rfc3339.hh"
#include "shim/core/spec.hh"
#include "shim/core/split.hh"

namespace oci_harden {

namespace {

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

OptOuts decide_opt_outs(const Json& spec, const Policy& policy) {
  OptOuts out;
  const Json* value = map_entry(field(&spec, "annotations"), policy.opt_out_annotation);
  if (value == nullptr || !value->is_string()) return out;
  out.requested = parse_opt_out_list(value->text());
  for (const std::string& id : out.requested) {
    // Why this is safe: an opt-out is granted only for a known rule that the administrator
    // listed; the annotation's author cannot widen that list.
    if (find_rule(id) != nullptr && contains(policy.opt_out_allowed, id)) {
      out.granted.push_back(id);
    } else {
      out.denied.push_back(id);
    }
  }
  return out;
}

std::string annotation_text(const Json& spec, const std::string& key) {
  const Json* value = map_entry(field(&spec, "annotations"), key);
  return value != nullptr && value->is_string() ? value->text() : "";
}

// Exceptions: an opt-out's owner, reason and end, read from their annotations and judged against
// the policy's opt_out_requires and the invocation's clock. Returns why the exception does not
// hold (nothing when it does). Only judged when an opt-out is asked for: details without an
// opt-out except nothing.
std::vector<std::string> judge_exception(const Json& spec, const Policy& policy, const Invocation& inv,
                                         OptOuts* out) {
  std::vector<std::string> why;
  if (out->requested.empty()) return why;
  const std::string owner_key = opt_out_detail_key(policy, "owner");
  const std::string reason_key = opt_out_detail_key(policy, "reason");
  const std::string until_key = opt_out_detail_key(policy, "until");
  out->owner = annotation_text(spec, owner_key);
  out->reason = annotation_text(spec, reason_key);
  out->until = annotation_text(spec, until_key);
  for (const std::string& required : policy.opt_out_requires) {
    const std::string& key = required == "owner" ? owner_key : required == "reason" ? reason_key : until_key;
    if (trim(annotation_text(spec, key)).empty()) {  // blank is empty: " " names no one
      why.push_back("annotations[" + to_json(Json::string(key)) + "] is missing, empty or blank: the policy "
                    "requires every opt-out to carry its " + required + " (opt_out_requires)");
    }
  }
  if (out->until.empty()) return why;
  const std::string field_name = "annotations[" + to_json(Json::string(until_key)) + "] = " +
                                 to_json(Json::string(out->until));
  auto end = parse_until(out->until);
  if (!end) {
    why.push_back(field_name + ": " + end.error().message);
    return why;
  }
  out->until_end = *end;
  // Why fail closed: without a clock nobody can tell the exception is still live.
  if (!inv.now) {
    why.push_back(field_name + ": no clock to judge the end of the exception against");
  } else if (*inv.now > *end) {
    std::string who = out->owner.empty() ? "" : ", owner " + to_json(Json::string(out->owner));
    why.push_back(field_name + ": the exception expired at " + format_utc(*end) + who);
  }
  return why;
}

}  // namespace

std::string opt_out_detail_key(const Policy& policy, const char* detail) {
  return policy.opt_out_annotation + "-" + detail;
}

std::vector<std::string> parse_opt_out_list(const std::string& value) {
  std::vector<std::string> out;
  for (const std::string& piece : split_at(value, ',')) {
    std::string id = trim(piece);
    if (!id.empty() && !contains(out, id)) out.push_back(id);
  }
  return out;
}

namespace {

// Whoever made the user namespace (the engine, with user-namespace opted out or disabled), crun
// 1.8.1 chowns the standard streams to its root as host root: the private stdio nodes (and the
// stdio-file check) are wanted whenever the final spec has a mapped user namespace, not only
// when the user-namespace rule ran.
void want_private_stdio(const Json& spec, std::vector<HostAction>& actions) {
  for (const HostAction& a : actions) {
    if (a.kind == HostAction::Kind::kPrivateStdio) return;
  }
  const Json* maps = field_at(spec, "linux.uidMappings");
  if (maps == nullptr || !maps->is_array() || maps->items().empty()) return;
  const Json* namespaces = field_at(spec, "linux.namespaces");
  if (namespaces == nullptr || !namespaces->is_array()) return;
  for (const Json& ns : namespaces->items()) {
    if (string_field(&ns, "type").value_or("") == "user") {
      actions.push_back(HostAction{HostAction::Kind::kPrivateStdio, "", "", 0, 0, 0});
      return;
    }
  }
}

}  // namespace

bool rule_runs(const std::string& id, const Policy& policy, const Json& container_spec,
               std::optional<int64_t> now) {
  if (!policy.rule_enabled(id)) return false;
  // Only a rule the policy lets be opted out of can be: skip the annotation otherwise.
  if (!contains(policy.opt_out_allowed, id)) return true;
  OptOuts opt_outs = decide_opt_outs(container_spec, policy);
  if (!contains(opt_outs.granted, id)) return true;
  // The exception is judged as at create, now: expired, malformed or lacking what
  // opt_out_requires asks for (the policy may have changed since), it grants nothing.
  Invocation inv{"", "", ""};
  inv.now = now;
  return !judge_exception(container_spec, policy, inv, &opt_outs).empty();
}

Decision harden_spec(Json spec, const Policy& policy, const Host& host, const Invocation& inv) {
  Decision d;
  d.opt_outs = decide_opt_outs(spec, policy);
  const std::vector<std::string> denied_by_policy = d.opt_outs.denied;
  // An exception that is expired, malformed or lacks what the policy requires grants nothing:
  // every rule runs (in audit mode the record shows what they would do), and it is refused.
  const std::vector<std::string> void_exception = judge_exception(spec, policy, inv, &d.opt_outs);
  if (!void_exception.empty()) {
    for (std::string& id : d.opt_outs.granted) d.opt_outs.denied.push_back(std::move(id));
    d.opt_outs.granted.clear();
  }
  RuleContext ctx(spec, policy, host, inv);
  for (const RuleInfo& rule : all_rules()) {
    if (rule.kind != RuleKind::kCreate) continue;
    if (!policy.rule_enabled(rule.id) || contains(d.opt_outs.granted, rule.id)) continue;
    ctx.begin_rule(rule.id);
    rule.apply(ctx);
  }
  if (policy.opt_out_denied == OptOutDenied::kRefuse) {
    ctx.begin_rule("opt-out");
    for (const std::string& id : denied_by_policy) {
      ctx.refuse(find_rule(id) == nullptr
                     ? "annotation " + policy.opt_out_annotation + " names unknown rule \"" + id + "\""
                     : "annotation " + policy.opt_out_annotation + " asks to skip " + id +
                           ", which the policy does not allow (opt_out_allowed)");
    }
  }
  ctx.begin_rule("opt-out");
  for (const std::string& why : void_exception) ctx.refuse(why);
  d.changes = std::move(ctx.changes());
  d.refusals = std::move(ctx.refusals());
  d.notes = std::move(ctx.notes());
  d.actions = std::move(ctx.actions());
  want_private_stdio(spec, d.actions);
  d.spec = std::move(spec);
  return d;
}

std::string refusal_message(const std::vector<Refusal>& refusals) {
  std::vector<std::string> rules;
  for (const Refusal& r : refusals) {
    if (!contains(rules, r.rule)) rules.push_back(r.rule);
  }
  std::string msg = "refused by ";
  for (size_t i = 0; i < rules.size(); ++i) msg += (i ? ", " : "") + rules[i];
  msg += ": ";
  for (size_t i = 0; i < refusals.size(); ++i) {
    msg += (i ? "; " : "") + refusals[i].reason;
  }
  return msg;
}

}  // namespace oci_harden
