// What the rule tests share: a spec that must load, the built-in policy, and one rule run alone
// through a RuleContext, as harden_spec runs it.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {
namespace rule_test {

inline Json parse(const std::string& text) {
  auto spec = parse_spec(text);
  INFO(text);
  REQUIRE(spec.ok());
  return std::move(*spec);
}

inline Policy builtin() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  return std::move(*p);
}

// A policy from its text (must load).
inline Policy policy_from(const std::string& text) {
  auto p = parse_policy(text, "/etc/oci-harden/policy.json");
  INFO(text);
  if (!p) FAIL("parse_policy refused: " << p.error().message);
  return std::move(*p);
}

// One rule's run: the spec as it left it, its changes, and its refusals' reasons (each checked
// to be its own).
struct RuleRun {
  Json spec;
  std::vector<Change> changes;
  std::vector<std::string> refusals;
};

inline RuleRun run_rule(RuleFn fn, const char* id, Json spec, const Policy& policy, const Host& host,
                        const Invocation& inv = Invocation{"create", "c1", "/bundles/c1"}) {
  RuleContext ctx(spec, policy, host, inv);
  ctx.begin_rule(id);
  fn(ctx);
  RuleRun run{Json(), ctx.changes(), {}};
  for (const Refusal& r : ctx.refusals()) {
    CHECK(r.rule == id);
    run.refusals.push_back(r.reason);
  }
  run.spec = std::move(spec);
  return run;
}

// A judging rule: it must leave the spec as it was; its refusals' reasons.
inline std::vector<std::string> judge(RuleFn fn, const char* id, const std::string& text,
                                      const Policy& policy, const Host& host,
                                      const Invocation& inv = Invocation{"create", "c1", "/bundles/c1"}) {
  Json spec = parse(text);
  RuleRun run = run_rule(fn, id, spec, policy, host, inv);
  REQUIRE(run.changes.empty());  // a judging rule never rewrites
  REQUIRE(run.spec == spec);
  return run.refusals;
}

}  // namespace rule_test
}  // namespace oci_harden
