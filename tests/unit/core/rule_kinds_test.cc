// exec and update are rules of the one rule table (kind exec / update): disabled_rules and the
// container's granted opt-outs turn them off exactly as they turn off a create rule, and their
// changes and refusals carry the rule id through RuleContext; on FakeHost.

#include <catch2/catch.hpp>

#include <algorithm>

#include "shim/core/harden.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/policy.hh"
#include "shim/core/runc_args.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

// A container without CAP_SYS_ADMIN, running as 1000:1000; `annotations` its opt-out, if any.
Json container(const std::string& opt_out = "") {
  std::string ann = opt_out.empty() ? "" : R"(,"annotations":{"org.oci-harden.opt-out":")" + opt_out + "\"}";
  auto spec = parse_spec(R"({"process":{"user":{"uid":1000,"gid":1000},"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"]}})" +
                         ann + "}");
  REQUIRE(spec.ok());
  return std::move(*spec);
}

Policy policy_with(const std::vector<std::string>& disabled, const std::vector<std::string>& opt_out_allowed = {}) {
  auto p = builtin_policy();
  REQUIRE(p.ok());
  p->disabled_rules = disabled;
  p->opt_out_allowed = opt_out_allowed;
  p->exec_escalation = ExecEscalation::kClamp;
  return std::move(*p);
}

// An exec --process asking for CAP_SYS_ADMIN (outside the allow-list) without no_new_privs.
Json sys_admin_process() {
  auto p = parse_process(
      R"({"args":["sh"],"cwd":"/","user":{"uid":1000,"gid":1000},"noNewPrivileges":false,)"
      R"("capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"]}})");
  REQUIRE(p.ok());
  return std::move(*p);
}

RuncArgs parse(std::vector<std::string> argv) {
  auto a = parse_runc_args(argv);
  REQUIRE(a.ok());
  return std::move(*a);
}

const RuleInfo* rule(const std::string& id) { return find_rule(id); }

}  // namespace

TEST_CASE("rule table: exec and update are rules of their own kind", "[rule-kinds]") {
  REQUIRE(rule("exec") != nullptr);
  REQUIRE(rule("update") != nullptr);
  CHECK(rule("exec")->kind == RuleKind::kExec);
  CHECK(rule("update")->kind == RuleKind::kUpdate);
  CHECK(rule("capabilities")->kind == RuleKind::kCreate);
  // Every create rule has a function; harden_spec runs create rules only.
  for (const RuleInfo& r : all_rules()) {
    if (r.kind == RuleKind::kCreate) CHECK(r.apply != nullptr);
  }
}

TEST_CASE("exec: enabled, it drops CAP_SYS_ADMIN and forces no_new_privs", "[rule-kinds]") {
  FakeHost host;
  OperationDecision d = harden_exec_process(sys_admin_process(), container(), policy_with({}), host, {"runc", "exec"});
  CHECK_FALSE(d.changes.empty());
  for (const Change& c : d.changes) CHECK(c.rule == "exec");
  CHECK(d.process.get("noNewPrivileges")->as_bool());
  CHECK(to_json(d.process).find("CAP_SYS_ADMIN") == std::string::npos);
}

TEST_CASE("exec: disabled_rules [\"exec\"] leaves the --process request as it came", "[rule-kinds]") {
  FakeHost host;
  Json asked = sys_admin_process();
  OperationDecision d = harden_exec_process(asked, container(), policy_with({"exec"}), host, {"runc", "exec"});
  CHECK(d.changes.empty());
  CHECK(d.refusals.empty());
  CHECK(d.process == asked);
}

TEST_CASE("exec: disabled_rules [\"exec\"] leaves the flags as they came", "[rule-kinds]") {
  FakeHost host;
  RuncArgs args = parse({"runc", "exec", "--cap", "CAP_SYS_ADMIN", "--user", "0:0", "c1", "sh"});
  OperationDecision off = harden_exec_flags(args, container(), policy_with({"exec"}), host);
  CHECK(off.changes.empty());
  CHECK(off.refusals.empty());
  CHECK(off.argv == args.argv);
  OperationDecision on = harden_exec_flags(args, container(), policy_with({}), host);
  CHECK_FALSE(on.changes.empty());
  CHECK(on.argv != args.argv);
}

TEST_CASE("exec: a granted opt-out of the container turns exec off, a denied one does not", "[rule-kinds]") {
  FakeHost host;
  Json asked = sys_admin_process();
  OperationDecision granted =
      harden_exec_process(asked, container("exec"), policy_with({}, {"exec"}), host, {"runc", "exec"});
  CHECK(granted.changes.empty());
  CHECK(granted.process == asked);
  OperationDecision denied =
      harden_exec_process(asked, container("exec"), policy_with({}, {}), host, {"runc", "exec"});
  CHECK_FALSE(denied.changes.empty());
}

TEST_CASE("create: an opt-out of exec is granted by a policy that allows it (a known rule id)", "[rule-kinds]") {
  FakeHost host;
  Policy p = policy_with({}, {"exec"});
  Decision d = harden_spec(container("exec"), p, host, Invocation{"create", "c1", "/b"});
  CHECK(d.opt_outs.granted == std::vector<std::string>{"exec"});
  CHECK(d.opt_outs.denied.empty());
}

TEST_CASE("update: disabled_rules [\"update\"] lets limits above the maxima through", "[rule-kinds]") {
  FakeHost host;
  RuncArgs args = parse({"runc", "update", "--pids-limit", "-1", "c1"});
  Policy on = policy_with({});
  on.pids.max = 100;
  OperationDecision judged = harden_update(args, Json(), on, host);
  REQUIRE(judged.changes.size() == 1);
  CHECK(judged.changes[0].rule == "update");
  CHECK(judged.argv != args.argv);
  Policy off = policy_with({"update"});
  off.pids.max = 100;
  OperationDecision skipped = harden_update(args, Json(), off, host);
  CHECK(skipped.changes.empty());
  CHECK(skipped.refusals.empty());
  CHECK(skipped.argv == args.argv);
}

TEST_CASE("update: a granted opt-out of the container turns update off", "[rule-kinds]") {
  FakeHost host;
  RuncArgs args = parse({"runc", "update", "--pids-limit", "-1", "c1"});
  Policy p = policy_with({}, {"update"});
  p.pids.max = 100;
  Json spec = container("update");
  OperationDecision d = harden_update(args, Json(), p, host, std::nullopt, &spec);
  CHECK(d.changes.empty());
  CHECK(d.argv == args.argv);
  CHECK(update_needs_container_spec(p));
  CHECK_FALSE(update_needs_container_spec(policy_with({})));
}

// Breaker (issue 13), live with runc and Podman: an opt-out of exec/update with an end date
// kept working after the end (exec --cap CAP_SYS_ADMIN kept it, update --pids-limit 100000 went
// through); and opt_out_requires added to the policy later was ignored. Now judged as at create.
static Json container_with(const std::string& annotations) {
  auto spec = parse_spec(R"({"process":{"user":{"uid":1000,"gid":1000},"capabilities":{"bounding":["CAP_CHOWN"]}},)"
                         R"("annotations":)" + annotations + "}");
  REQUIRE(spec.ok());
  return std::move(*spec);
}

TEST_CASE("bypass: an exec or update exception ends on its date, and meets opt_out_requires", "[rule-kinds][bypass]") {
  const int64_t jan31_end = 1801439999;  // 2027-01-31T23:59:59Z
  Json spec = container_with(R"({"org.oci-harden.opt-out":"exec,update",
                                 "org.oci-harden.opt-out-until":"2027-01-31"})");
  Json asked = sys_admin_process();
  RuncArgs update = parse({"runc", "update", "--pids-limit", "100000", "c1"});
  Policy p = policy_with({}, {"exec", "update"});
  p.pids.max = 100;
  FakeHost host;
  host.clock = jan31_end;  // its last second: still granted
  CHECK(harden_exec_process(asked, spec, p, host, {"runc", "exec"}).changes.empty());
  CHECK(harden_update(update, Json(), p, host, std::nullopt, &spec).argv == update.argv);
  host.clock = jan31_end + 1;  // the second after: exec and update are judged again
  CHECK_FALSE(harden_exec_process(asked, spec, p, host, {"runc", "exec"}).changes.empty());
  CHECK(harden_update(update, Json(), p, host, std::nullopt, &spec).argv != update.argv);
  host.clock.reset();  // no clock: an end date cannot be judged, so it grants nothing
  CHECK_FALSE(harden_exec_process(asked, spec, p, host, {"runc", "exec"}).changes.empty());
  // A policy that now requires a reason: the exception without one grants nothing.
  host.clock = jan31_end;
  p.opt_out_requires = {"reason"};
  CHECK_FALSE(harden_exec_process(asked, spec, p, host, {"runc", "exec"}).changes.empty());
  // ...and a blank reason is no reason.
  Json blank = container_with(R"({"org.oci-harden.opt-out":"exec","org.oci-harden.opt-out-reason":" ",
                                  "org.oci-harden.opt-out-until":"2027-01-31"})");
  CHECK_FALSE(harden_exec_process(asked, blank, p, host, {"runc", "exec"}).changes.empty());
}

}  // namespace oci_harden
