// The whole decision for one spec: opt-outs, then every enabled rule, then the verdict.

#include "shim/core/harden.hh"

#include <algorithm>

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

}  // namespace

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

Decision harden_spec(Json spec, const Policy& policy, const Host& host, const Invocation& inv) {
  Decision d;
  d.opt_outs = decide_opt_outs(spec, policy);
  RuleContext ctx(spec, policy, host, inv);
  for (const RuleInfo& rule : all_rules()) {
    if (!policy.rule_enabled(rule.id) || contains(d.opt_outs.granted, rule.id)) continue;
    ctx.begin_rule(rule.id);
    rule.apply(ctx);
  }
  if (policy.opt_out_denied == OptOutDenied::kRefuse) {
    ctx.begin_rule("opt-out");
    for (const std::string& id : d.opt_outs.denied) {
      ctx.refuse(find_rule(id) == nullptr
                     ? "annotation " + policy.opt_out_annotation + " names unknown rule \"" + id + "\""
                     : "annotation " + policy.opt_out_annotation + " asks to skip " + id +
                           ", which the policy does not allow (opt_out_allowed)");
    }
  }
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
