// Rule "exec" (CIS 5.22 exec --privileged, 5.23 exec --user=root; cheat-sheet practice 24):
// a process started in a running container by `runc exec` gets no more than the container
// itself was given. Capabilities outside the policy's allow-list are dropped, as at create.
// Asking for a capability the container does not have, for every capability (what
// `docker exec --privileged` sends), for uid or gid 0 when the container does not run as root,
// or for another LSM label, is an escalation: refused, or clamped when the policy's
// exec.escalation says "clamp". no_new_privs is always forced on.

#include <algorithm>
#include <cstdint>
#include <optional>

#include "shim/core/harden.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

const char* const kCapSets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// An id as runc reads it from a flag and then stores it: `--user` through strconv.Atoi and
// `--additional-gids` through strconv.ParseInt(text, 0, 64), each then cast to uint32, so
// 4294967296 is uid 0 to runc. Only plain decimal digits are judged: no sign, and where runc
// reads base 0 (octal_prefix_read) no leading zero ("010" is 8 to it, "0x0" is 0). A value
// beyond int64, which runc refuses, is not judged either. nullopt: not judged (refuse it).
std::optional<uint32_t> runc_id(const std::string& text, bool octal_prefix_read) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  if (octal_prefix_read && text.size() > 1 && text[0] == '0') return std::nullopt;
  uint64_t v = 0;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  for (char ch : text) {
    uint64_t digit = static_cast<uint64_t>(ch - '0');
    if (v > (kMax - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return static_cast<uint32_t>(v);
}

struct Container {
  std::vector<std::string> bounding;  // the container's own bounding set, ∩ allow-list
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> gids;
  std::string apparmor, selinux;
};

Container container_of(const Json& spec, const Policy& policy) {
  Container c;
  const Json* process = field(&spec, "process");
  for (const auto& cap : string_items(field_at(spec, "process.capabilities.bounding"))) {
    if (has(policy.capabilities, cap)) c.bounding.push_back(cap);
  }
  const Json* user = field(process, "user");
  c.uid = static_cast<uint32_t>(int_field(user, "uid").value_or(0));
  c.gid = static_cast<uint32_t>(int_field(user, "gid").value_or(0));
  if (const Json* g = field(user, "additionalGids")) {
    for (const Json& id : g->items()) {
      uint64_t n;
      if (id.to_uint64(&n)) c.gids.push_back(static_cast<uint32_t>(n));
    }
  }
  c.apparmor = string_field(process, "apparmorProfile").value_or("");
  c.selinux = string_field(process, "selinuxLabel").value_or("");
  return c;
}

// The exec rule's verdicts, recorded through its RuleContext (rule id "exec").
class ExecJudge {
 public:
  explicit ExecJudge(RuleContext& ctx) : ctx_(ctx) {}
  bool clamp() const { return ctx_.policy().exec_escalation == ExecEscalation::kClamp; }
  // Returns true when the request may go on in clamped form.
  bool escalation(const std::string& field, const std::string& reason) {
    if (clamp()) return true;
    ctx_.refuse(field, "escalation", reason + " (exec.escalation is \"refuse\")");
    return false;
  }
  // A request that is not judged as runc would read it.
  void malformed(const std::string& field, const std::string& reason) { ctx_.refuse(field, "malformed", reason); }
  void change(const std::string& path, Json before, Json after) {
    ctx_.record(path, std::move(before), std::move(after));
  }

 private:
  RuleContext& ctx_;
};

// Moves what the rule recorded into the operation's decision.
void take_verdicts(RuleContext& ctx, OperationDecision* d) {
  d->changes = std::move(ctx.changes());
  d->refusals = std::move(ctx.refusals());
}

// As privileged.cc judges a container: `docker exec --privileged` asks for the capabilities the
// engine knows (last_capability_every_engine_knows), not 0..cap_last_cap; cap_last_cap
// unreadable: judged by what engines send.
bool requests_every_capability(const Json& process, const Host& host) {
  auto bounding = string_items(field_at(process, "capabilities.bounding"));
  int last = last_capability_every_engine_knows(host.cap_last_cap());
  for (int n = 0; n <= last; ++n) {
    if (!has(bounding, capability_name(n))) return false;
  }
  return true;
}

// Podman's exec --privileged asks for every capability in its own bounding set, which is
// oci-harden's (conmon runs it). Where root lacks one (this project's VMs lack CAP_SYS_RESOURCE)
// that is not every capability the kernel knows, and it must still count as --privileged.
// CAP_SYS_ADMIN is required to be in the set: an engine without it runs no containers, and a
// near-empty set would otherwise make an ordinary exec look like "every capability".
bool requests_every_own_capability(const Json& process, const Host& host) {
  constexpr int kCapSysAdmin = 21;
  if (!host.in_own_bounding_set(kCapSysAdmin)) return false;
  auto bounding = string_items(field_at(process, "capabilities.bounding"));
  // cap_last_cap unreadable: every number a bounding set can hold; the kernel's own answer
  // (PR_CAPBSET_READ) says which of them exist.
  int last = host.cap_last_cap();
  if (last < 0 || last > 63) last = 63;
  for (int n = 0; n <= last; ++n) {
    if (host.in_own_bounding_set(n) && !has(bounding, capability_name(n))) return false;
  }
  return true;
}

}  // namespace

OperationDecision harden_exec_process(const Json& process_in, const Json& container_spec,
                                      const Policy& policy, const Host& host,
                                      const std::vector<std::string>& argv) {
  OperationDecision d;
  d.argv = argv;
  d.process = process_in;
  if (!rule_runs("exec", policy, container_spec, host.now())) return d;
  const Invocation inv{"exec", "", ""};
  RuleContext ctx(d.process, policy, host, inv);
  ctx.begin_rule("exec");
  ExecJudge judge(ctx);
  Container c = container_of(container_spec, policy);
  Json& p = ctx.spec();

  if (requests_every_capability(p, host) || requests_every_own_capability(p, host)) {
    judge.escalation("process.capabilities", "the exec asks for every capability (exec --privileged)");
  }
  if (Json* caps = field(&p, "capabilities")) {
    for (const char* set : kCapSets) {
      Json* list = field(caps, set);
      if (list == nullptr) continue;
      std::vector<std::string> kept;
      std::vector<std::string> escalated;
      for (const auto& cap : string_items(list)) {
        // Outside the allow-list: dropped, as `capabilities` does at create.
        if (!has(policy.capabilities, cap) || std::string(set) == "ambient") continue;
        if (has(c.bounding, cap)) {
          if (!has(kept, cap)) kept.push_back(cap);
        } else if (!has(escalated, cap)) {
          escalated.push_back(cap);
        }
      }
      for (const auto& cap : escalated) {
        judge.escalation(std::string("process.capabilities.") + set,
                         "the exec asks for " + cap + " in capabilities." + set +
                         ", which the container does not have");
      }
      Json after = string_array(kept);
      if (after != *list) {
        judge.change(std::string("process.capabilities.") + set, *list, after);
        *list = std::move(after);
      }
    }
  }

  Json* user = field(&p, "user");
  uint32_t uid = static_cast<uint32_t>(int_field(user, "uid").value_or(0));
  uint32_t gid = static_cast<uint32_t>(int_field(user, "gid").value_or(0));
  if (uid == 0 && c.uid != 0) {
    if (judge.escalation("process.user.uid", "the exec asks for uid 0, but the container runs as uid " + std::to_string(c.uid))) {
      Json& u = ensure_object(p, "user");
      judge.change("process.user.uid", Json::integer(0), Json::integer(c.uid));
      u.set("uid", Json::integer(c.uid));
    }
  }
  bool container_has_gid0 = c.gid == 0 ||
                            std::find(c.gids.begin(), c.gids.end(), 0u) != c.gids.end();
  if (gid == 0 && !container_has_gid0) {
    if (judge.escalation("process.user.gid", "the exec asks for gid 0, which the container does not have")) {
      Json& u = ensure_object(p, "user");
      judge.change("process.user.gid", Json::integer(0), Json::integer(c.gid));
      u.set("gid", Json::integer(c.gid));
    }
  }
  if (Json* extra = field(field(&p, "user"), "additionalGids")) {
    bool asks_zero = false;
    for (const Json& g : extra->items()) asks_zero = asks_zero || g.text() == "0";
    if (asks_zero && !container_has_gid0 &&
        judge.escalation("process.user.additionalGids",
                         "the exec asks for supplementary gid 0, which the container does not have")) {
      Json kept = Json::array();
      for (const Json& g : extra->items()) {
        if (g.text() != "0") kept.push_back(g);
      }
      judge.change("process.user.additionalGids", *extra, kept);
      *extra = std::move(kept);
    }
  }

  for (const auto& [key, want] : {std::pair<const char*, const std::string*>{"apparmorProfile", &c.apparmor},
                                  {"selinuxLabel", &c.selinux}}) {
    std::string asked = string_field(&p, key).value_or("");
    if (asked == *want) continue;
    if (!asked.empty() &&
        !judge.escalation(std::string("process.") + key, std::string("the exec asks for ") + key + " \"" + asked +
                          "\", but the container has \"" + *want + "\"")) {
      continue;
    }
    // Why: an exec inherits the container's confinement; an empty label would run unconfined.
    judge.change(std::string("process.") + key, asked.empty() ? Json() : Json::string(asked),
                 want->empty() ? Json() : Json::string(*want));
    if (want->empty()) p.erase(key);
    else p.set(key, Json::string(*want));
  }

  const Json* nnp = field(&p, "noNewPrivileges");
  if (nnp == nullptr || !nnp->as_bool()) {
    judge.change("process.noNewPrivileges", nnp ? *nnp : Json(), Json::boolean(true));
    p.set("noNewPrivileges", Json::boolean(true));
  }
  take_verdicts(ctx, &d);
  return d;
}

OperationDecision harden_exec_flags(const RuncArgs& args, const Json& container_spec,
                                    const Policy& policy, const Host& host) {
  OperationDecision d;
  if (!rule_runs("exec", policy, container_spec, host.now())) {
    d.argv = args.argv;
    return d;
  }
  Json flags_judged;  // the flag form rewrites argv, not a JSON object
  const Invocation inv{"exec", args.container_id(), ""};
  RuleContext ctx(flags_judged, policy, host, inv);
  ctx.begin_rule("exec");
  ExecJudge judge(ctx);
  Container c = container_of(container_spec, policy);
  std::vector<bool> drop(args.argv.size(), false);
  std::vector<std::pair<size_t, std::string>> replace;  // argv index → new word

  auto drop_flag = [&](size_t k) {
    for (size_t j = 0; j < args.flag_spans[k].second; ++j) drop[args.flag_spans[k].first + j] = true;
  };
  for (size_t k = 0; k < args.flags.size(); ++k) {
    const auto& [name, value] = args.flags[k];
    if (name == "cap") {
      if (!has(policy.capabilities, value)) {
        judge.change("--cap", Json::string(value), Json());
        drop_flag(k);
      } else if (!has(c.bounding, value)) {
        if (judge.escalation("--cap", "the exec asks for " + value + " (--cap), which the container does not have")) {
          judge.change("--cap", Json::string(value), Json());
          drop_flag(k);
        }
      }
    } else if (name == "user") {
      size_t colon = value.find(':');
      std::optional<uint32_t> uid = runc_id(value.substr(0, colon), false);
      std::optional<uint32_t> gid;
      if (colon != std::string::npos) gid = runc_id(value.substr(colon + 1), false);
      if (!uid || (colon != std::string::npos && !gid)) {
        judge.malformed("--user", "--user \"" + value + "\" is not a numeric uid[:gid] within 0..2^63-1");
        continue;
      }
      bool uid0 = *uid == 0 && c.uid != 0;
      bool gid0 = gid && *gid == 0 && c.gid != 0;
      if ((uid0 || gid0) &&
          judge.escalation("--user", "the exec asks for --user " + value + ", but the container runs as " +
                           std::to_string(c.uid) + ":" + std::to_string(c.gid))) {
        std::string fixed = std::to_string(c.uid) + ":" + std::to_string(c.gid);
        judge.change("--user", Json::string(value), Json::string(fixed));
        size_t at = args.flag_spans[k].first;
        if (args.flag_spans[k].second == 2) {
          replace.emplace_back(at + 1, fixed);
        } else {
          replace.emplace_back(at, "--user=" + fixed);
        }
      }
    } else if (name == "additional-gids") {
      std::optional<uint32_t> extra = runc_id(value, true);
      if (!extra) {
        judge.malformed("--additional-gids",
                        "--additional-gids \"" + value + "\" is not a plain decimal gid within 0..2^63-1");
        continue;
      }
      if (*extra == 0 && c.gid != 0 &&
          judge.escalation("--additional-gids", "the exec asks for supplementary gid 0 (--additional-gids)")) {
        judge.change("--additional-gids", Json::string(value), Json());
        drop_flag(k);
      }
    } else if (name == "no-new-privs") {
      if (value == "false" || value == "0") {
        if (judge.escalation("--no-new-privs", "--no-new-privs=false would turn no_new_privs off")) {
          judge.change("--no-new-privs", Json::string(value), Json());
          drop_flag(k);
        }
      }
    } else if (name == "apparmor" || name == "process-label" || name == "cgroup") {
      const std::string& want = name == "apparmor" ? c.apparmor : c.selinux;
      if (name != "cgroup" && value == want) continue;
      if (judge.escalation("--" + name, "--" + name + " " + value + " would change the exec's confinement")) {
        judge.change("--" + name, Json::string(value), Json());
        drop_flag(k);
      }
    }
  }
  for (size_t i = 0; i < args.argv.size(); ++i) {
    if (drop[i]) continue;
    std::string word = args.argv[i];
    for (const auto& [at, w] : replace) {
      if (at == i) word = w;
    }
    d.argv.push_back(word);
  }
  take_verdicts(ctx, &d);
  return d;
}

}  // namespace oci_harden
