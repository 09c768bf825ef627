// What every file of the bypass corpus shares: the policy the attempts meet (the built-in one,
// without the verify hook, whose binary is not on a test machine), and one attempt run exactly as
// `oci-harden create` runs it: parse_spec, then harden_spec.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/test_support.hh"

namespace oci_harden {
namespace bypass {

inline Policy policy() {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  Policy out = std::move(*p);
  out.hook_path.clear();
  return out;
}

// An attempt's outcome: refused at load (load_error), or the decision.
struct Verdict {
  bool loaded = false;
  std::string load_error;
  Decision d;

  bool refused_by(const std::string& rule) const {
    return std::any_of(d.refusals.begin(), d.refusals.end(),
                       [&](const Refusal& r) { return r.rule == rule; });
  }
  std::string describe() const {
    if (!loaded) return "load error: " + load_error;
    std::string s;
    for (const Refusal& r : d.refusals) s += "refusal " + r.rule + ": " + r.reason + "\n";
    for (const Change& c : d.changes) s += "change " + c.rule + " " + c.path + "\n";
    return s.empty() ? "unchanged, not refused" : s;
  }
};

inline Verdict attempt(const std::string& text, const Host& host, const Policy& policy,
                       const std::string& bundle = "/bundles/c1") {
  Verdict v;
  auto spec = parse_spec(text);
  if (!spec) {
    v.load_error = spec.error().message;
    return v;
  }
  v.loaded = true;
  v.d = harden_spec(std::move(*spec), policy, host, Invocation{"create", "c1", bundle});
  return v;
}

// An attempt that must load: its decision.
inline Decision decide(const std::string& text, const Host& host, const Policy& policy,
                       const std::string& bundle = "/bundles/c1") {
  Verdict v = attempt(text, host, policy, bundle);
  INFO(v.load_error);
  REQUIRE(v.loaded);
  return std::move(v.d);
}

}  // namespace bypass
}  // namespace oci_harden
