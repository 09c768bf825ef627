// Rule "update" (CIS 5.10, 5.11, 5.28; cheat-sheet practices 20, 22): `runc update` can raise
// a running container's limits; hold them to the policy's maxima, as at create. Clamped by
// default, refused when limits.above_max says "refuse". A value runc reads as "unlimited"
// (-1, or 0 for the cpu quota) counts as above every maximum. The CPU share is the quota over
// the period, judged together (judge_cpu). The -r object's "unified" map (runc 1.1.5 reads it at
// update too: on a cgroup v1 host it fails "cannot use unified on cgroup v1", observed; crun
// 1.8.1 writes it after the typed values) is judged as at create: a key that is
// not one file name is refused; a pids/memory/cpu limit entry beyond the maximum is clamped in
// the -r object (or refused, as limits.above_max says), and refused when it cannot be clamped.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "shim/core/harden.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/spec.hh"
#include "shim/core/unified_limits.hh"

namespace oci_harden {

namespace {

struct Maxima {
  int64_t pids, memory, cpu_milli;
};

Maxima maxima_of(const Policy& p, const Host& host) {
  return Maxima{p.pids.max.value_or(INT64_MAX), p.memory.max.value_or(host.memory_bytes()),
                p.cpu.max.value_or(static_cast<int64_t>(host.cpu_count()) * 1000)};
}

// The update rule's verdicts, recorded through its RuleContext (rule id "update").
class UpdateJudge {
 public:
  explicit UpdateJudge(RuleContext& ctx) : ctx_(ctx) {}
  // Returns the value to use, or nullopt when the update is refused. `what` starts with the
  // field or flag it names ("pids.limit", "--memory", "cpu.quota (…) at period N").
  std::optional<int64_t> judge(const std::string& what, int64_t asked, bool unlimited, int64_t max) {
    if (!unlimited && asked <= max) return asked;
    std::string shown = unlimited ? "unlimited" : std::to_string(asked);
    if (ctx_.policy().above_max == AboveMax::kRefuse) {
      ctx_.refuse(what.substr(0, what.find(' ')), "above-max",
                  what + " " + shown + " is above the policy maximum " + std::to_string(max));
      return std::nullopt;
    }
    ctx_.record(what, unlimited ? Json::integer(-1) : Json::integer(asked), Json::integer(max));
    return max;
  }
  // A value that is not judged as the runtime would read it, or that must not be written.
  void refuse(const std::string& field, const std::string& kind, const std::string& reason) {
    ctx_.refuse(field, kind, reason);
  }
  void change(const std::string& path, Json before, Json after) {
    ctx_.record(path, std::move(before), std::move(after));
  }

 private:
  RuleContext& ctx_;
};

// The largest cpu quota (microseconds per period) that cpu_milli thousandths of a CPU allow.
// Computed in 128 bits: a period up to 2^64-1 (runc reads it as uint64) neither wraps to a
// negative bound (a quota of -2, "no limit") nor overflows; the bound saturates at INT64_MAX.
int64_t quota_max(int64_t cpu_milli, uint64_t period) {
  __int128 q = static_cast<__int128>(cpu_milli) * static_cast<__int128>(period) / 1000;
  return q > INT64_MAX ? INT64_MAX : static_cast<int64_t>(q);
}

// runc reads --cpu-quota and --cpu-period base 10 (strconv.ParseInt/ParseUint) but --pids-limit
// through Go's flag package, base 0, to which "0x10" and "1_000" are numbers too. Only a plain
// decimal integer is judged; any other spelling is refused, so what is judged is what runc uses.
bool parse_decimal(const std::string& text, int64_t* out) {
  size_t i = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) return false;
  for (size_t k = i; k < text.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(text[k]))) return false;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end == nullptr || *end != '\0') return false;
  *out = v;
  return true;
}

// runc reads --cpu-period with strconv.ParseUint(v, 10, 64).
bool parse_unsigned(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno == ERANGE || end == nullptr || *end != '\0') return false;
  *out = v;
  return true;
}

// Where the update names a value: an entry of argv (flag_spans index) or the -r object.
struct Named {
  std::string what;
  int64_t value;
  long flag = -1;  // index into args.flags; -1 for the -r object
};

// Inserts "--name=value" among the subcommand's flags: before the first of them, else before the
// container id (crun reads no flag after it; runc's flag parsing stops at the first word that is
// not a flag, so a flag placed after an unknown word would be read as an argument).
void add_flag(const RuncArgs& args, std::vector<std::string>* argv, const std::string& name, int64_t value) {
  size_t at = argv->size();
  if (!args.flag_spans.empty()) {
    at = args.flag_spans.front().first;
  } else {
    for (size_t i = argv->size(); i-- > 1;) {
      if ((*argv)[i] == args.container_id()) {
        at = i;
        break;
      }
    }
  }
  argv->insert(argv->begin() + static_cast<std::ptrdiff_t>(at), "--" + name + "=" + std::to_string(value));
}

// The CPU share is quota/period, so the two are judged together whatever subset the update
// names: a missing one is the container's current value (its cgroup), and where that is
// unknown, the worst case: no quota at all, or a period the update pins to the policy's.
// Several named values (the -r object and the flags; runc reads only -r when it is given,
// another runtime may read both) are each held to the bound of the shortest named period.
void judge_cpu(const RuncArgs& args, const Policy& policy, int64_t cpu_milli,
               const std::optional<Host::CpuBandwidth>& current, UpdateJudge& judge, OperationDecision* d) {
  Json* rcpu = d->resources.is_object() ? field(&d->resources, "cpu") : nullptr;
  std::optional<uint64_t> period;
  auto take_period = [&](uint64_t p) {
    if (p > 0) period = period ? std::min(*period, p) : p;  // runc writes only a non-zero period
  };
  if (const Json* p = field(rcpu, "period")) {
    uint64_t v = 0;
    if (p->to_uint64(&v)) take_period(v);
  }
  std::vector<Named> quotas;
  if (auto q = int_field(rcpu, "quota")) quotas.push_back(Named{"cpu.quota", *q, -1});
  for (size_t k = 0; k < args.flags.size(); ++k) {
    const auto& [name, value] = args.flags[k];
    if (name == "cpu-period") {
      uint64_t v = 0;
      if (!parse_unsigned(value, &v)) {
        judge.refuse("--cpu-period", "malformed", "--cpu-period \"" + value + "\" is not a number");
        continue;
      }
      take_period(v);
    } else if (name == "cpu-quota") {
      int64_t v = 0;
      if (!parse_decimal(value, &v)) {
        judge.refuse("--cpu-quota", "malformed", "--cpu-quota \"" + value + "\" is not a number");
        continue;
      }
      quotas.push_back(Named{"--cpu-quota", v, static_cast<long>(k)});
    }
  }
  if (quotas.empty() && !period) return;  // no CPU value (a period of 0 keeps the container's)

  bool pin_period = false;
  if (!period) {
    if (current && current->period > 0) {
      period = current->period;
    } else {
      period = policy.cpu_period;
      pin_period = !quotas.empty();
    }
  }
  int64_t max_quota = quota_max(cpu_milli, *period);
  std::optional<int64_t> smallest;  // of the quotas the update will write
  for (const Named& q : quotas) {
    auto use = judge.judge(q.what, q.value, q.value <= 0, max_quota);
    if (use) smallest = smallest ? std::min(*smallest, *use) : *use;
    if (!use || *use == q.value) continue;
    if (q.flag < 0) {
      if (rcpu != nullptr) rcpu->set("quota", Json::integer(*use));  // a quota from -r's cpu object
    } else {
      size_t at = args.flag_spans[static_cast<size_t>(q.flag)].first;
      if (args.flag_spans[static_cast<size_t>(q.flag)].second == 2) {
        d->argv[at + 1] = std::to_string(*use);
      } else {
        d->argv[at] = "--cpu-quota=" + std::to_string(*use);
      }
    }
  }
  std::optional<int64_t> add_quota;
  if (quotas.empty()) {
    // Only a period: the quota the container keeps, read at the new period.
    int64_t kept = current ? current->quota : -1;
    std::string what = "cpu.quota (the container's " +
                       std::string(current ? "current one" : "unknown one, taken as none") +
                       ") at period " + std::to_string(*period);
    auto use = judge.judge(what, kept, kept <= 0, max_quota);
    if (use && *use != kept) add_quota = *use;
  }
  if (pin_period) {
    // The container's period is unknown: the quota is judged at the policy's, written too.
    judge.change("cpu.period", Json(), Json::integer(static_cast<int64_t>(*period)));
  }
  if (!pin_period && !add_quota) return;
  if (d->resources.is_object()) {
    // runc reads only -r when it is given: the object carries both values it was judged by.
    Json& cpu = ensure_object(d->resources, "cpu");
    cpu.set("period", Json::unsigned_integer(*period));
    if (add_quota) cpu.set("quota", Json::integer(*add_quota));
    if (!int_field(&cpu, "quota") && smallest) cpu.set("quota", Json::integer(*smallest));
    return;
  }
  if (pin_period) add_flag(args, &d->argv, "cpu-period", static_cast<int64_t>(*period));
  if (add_quota) add_flag(args, &d->argv, "cpu-quota", *add_quota);
}

// The -r object's unified map. A cpu.max without a period keeps the container's: the typed
// period the same object writes first, else the current one; unknown, it is refused.
void judge_unified_update(Json& resources, const Maxima& max, const std::optional<Host::CpuBandwidth>& current,
                          const Policy& policy, UpdateJudge& judge) {
  Json* unified = resources.is_object() ? field(&resources, "unified") : nullptr;
  if (unified == nullptr || !unified->is_object()) return;
  for (const auto& [key, value] : unified->members()) {
    std::string why = unified_key_bad_name(key);
    if (!why.empty()) judge.refuse("unified[\"" + key + "\"]", "malformed", "unified[\"" + key + "\"] " + why);
  }
  UnifiedBounds bounds{max.pids, max.memory, max.cpu_milli, 0};
  uint64_t p = 0;
  const Json* period = field_at(resources, "cpu.period");
  if (period != nullptr && period->to_uint64(&p) && p > 0) {
    bounds.period = p;
  } else if (current && current->period > 0) {
    bounds.period = current->period;
  }
  for (UnifiedController c : {UnifiedController::kPids, UnifiedController::kMemory, UnifiedController::kCpu}) {
    for (const UnifiedExcess& e : judge_unified(*unified, c, bounds, "unified")) {
      Json* entry = unified->get_exact(e.key);
      if (e.clamped.empty() || policy.above_max == AboveMax::kRefuse || entry == nullptr) {
        judge.refuse("unified", "above-max", e.reason);
        continue;
      }
      Json after = Json::string(e.clamped);
      judge.change("unified[\"" + e.key + "\"]", *entry, after);
      *entry = std::move(after);
    }
  }
}

}  // namespace

bool parse_ram_bytes(const std::string& text, int64_t* out) {
  if (text == "-1") {
    *out = -1;
    return true;
  }
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return false;
  char* end = nullptr;
  double number = std::strtod(text.substr(0, i).c_str(), &end);
  std::string unit;
  for (size_t k = i; k < text.size(); ++k) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  static const char kUnits[] = "kmgtp";
  double scale = 1;
  if (unit.size() == 1) {
    const char* at = std::strchr(kUnits, unit[0]);
    if (at == nullptr) return false;
    for (const char* u = kUnits; u <= at; ++u) scale *= 1024;
  } else if (!unit.empty()) {
    return false;
  }
  double bytes = number * scale;
  if (!(bytes >= 0) || bytes > 9.2e18) return false;
  *out = static_cast<int64_t>(bytes);
  return true;
}

OperationDecision harden_update(const RuncArgs& args, const Json& resources_in, const Policy& policy,
                                const Host& host, const std::optional<Host::CpuBandwidth>& current,
                                const Json* container_spec) {
  OperationDecision d;
  d.resources = resources_in;
  d.argv = args.argv;
  if (!policy.rule_enabled("update")) return d;
  if (container_spec != nullptr && !rule_runs("update", policy, *container_spec, host.now())) return d;
  const Invocation inv{"update", args.container_id(), ""};
  RuleContext ctx(d.resources, policy, host, inv);
  ctx.begin_rule("update");
  UpdateJudge judge(ctx);
  Maxima max = maxima_of(policy, host);

  // The -r object (OCI LinuxResources): two of a key are refused before anything is judged
  // (runc applies the last; the judges below would read the first).
  if (d.resources.is_object()) {
    Status dup = check_resources_duplicates(d.resources);
    if (!dup) {
      judge.refuse("-r", "malformed", "-r: " + dup.error().message + " (runc applies the last of two)");
      d.refusals = std::move(ctx.refusals());
      return d;
    }
  }
  if (d.resources.is_object()) {
    Json& r = d.resources;
    if (Json* pids = field(&r, "pids")) {
      if (auto v = int_field(pids, "limit")) {
        auto use = judge.judge("pids.limit", *v, *v <= 0, max.pids);
        if (use && *use != *v) pids->set("limit", Json::integer(*use));
      }
    }
    if (Json* mem = field(&r, "memory")) {
      for (const char* key : {"limit", "swap"}) {
        if (auto v = int_field(mem, key)) {
          auto use = judge.judge(std::string("memory.") + key, *v, *v < 0, max.memory);
          if (use && *use != *v) mem->set(key, Json::integer(*use));
        }
      }
    }
  }

  // The other flag forms; a clamped value is rewritten in place in argv.
  for (size_t k = 0; k < args.flags.size(); ++k) {
    const auto& [name, value] = args.flags[k];
    std::optional<int64_t> use;
    int64_t asked = 0;
    if (name == "memory" || name == "memory-swap") {
      if (!parse_ram_bytes(value, &asked)) {
        judge.refuse("--" + name, "malformed", "--" + name + " \"" + value + "\" is not a size");
        continue;
      }
      use = judge.judge("--" + name, asked, asked < 0, max.memory);
    } else if (name == "pids-limit") {
      if (!parse_decimal(value, &asked)) {
        judge.refuse("--" + name, "malformed", "--" + name + " \"" + value + "\" is not a number");
        continue;
      }
      use = judge.judge("--pids-limit", asked, asked <= 0, max.pids);
    } else {
      continue;
    }
    if (!use || *use == asked) continue;
    size_t at = args.flag_spans[k].first;
    if (args.flag_spans[k].second == 2) {
      d.argv[at + 1] = std::to_string(*use);
    } else {
      d.argv[at] = "--" + name + "=" + std::to_string(*use);
    }
  }
  // After the in-place rewrites above: judge_cpu may insert a flag into argv, which moves the
  // words after it (the spans above are the parsed argv's).
  judge_cpu(args, policy, max.cpu_milli, current, judge, &d);
  judge_unified_update(d.resources, max, current, policy, judge);
  d.changes = std::move(ctx.changes());
  d.refusals = std::move(ctx.refusals());
  return d;
}

bool update_needs_container_spec(const Policy& policy) {
  return policy.rule_enabled("update") &&
         std::find(policy.opt_out_allowed.begin(), policy.opt_out_allowed.end(), "update") !=
             policy.opt_out_allowed.end();
}

bool update_needs_current_cpu(const RuncArgs& args, const Json& resources) {
  const Json* cpu = resources.is_object() ? field(&resources, "cpu") : nullptr;
  uint64_t p = 0;
  const Json* period = field(cpu, "period");
  bool has_period = args.flag("cpu-period") != nullptr || (period != nullptr && period->to_uint64(&p) && p > 0);
  bool has_quota = args.flag("cpu-quota") != nullptr || field(cpu, "quota") != nullptr;
  // A unified cpu.max without a typed period is judged at the container's (judge_unified_update).
  const Json* unified = resources.is_object() ? field(&resources, "unified") : nullptr;
  bool unified_cpu = unified != nullptr && unified->is_object() && unified->get_exact("cpu.max") != nullptr;
  return has_period != has_quota || (unified_cpu && !has_period);
}

}  // namespace oci_harden
