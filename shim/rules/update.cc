// Rule "update" (CIS 5.10, 5.11, 5.28; cheat-sheet practices 20, 22): `runc update` can raise
// a running container's limits; hold them to the policy's maxima, as at create. Clamped by
// default, refused when limits.above_max says "refuse". A value runc reads as "unlimited"
// (-1, or 0 for the cpu quota) counts as above every maximum.

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "../operation_rules.hh"
#include "../spec.hh"

namespace oci_harden {

namespace {

struct Maxima {
  int64_t pids, memory, cpu_milli;
};

Maxima maxima_of(const Policy& p, const Host& host) {
  return Maxima{p.pids.max.value_or(INT64_MAX), p.memory.max.value_or(host.memory_bytes()),
                p.cpu.max.value_or(static_cast<int64_t>(host.cpu_count()) * 1000)};
}

class UpdateJudge {
 public:
  UpdateJudge(const Policy& p, OperationDecision* d) : policy_(p), d_(d) {}
  // Returns the value to use, or nullopt when the update is refused.
  std::optional<int64_t> judge(const std::string& what, int64_t asked, bool unlimited, int64_t max) {
    if (!unlimited && asked <= max) return asked;
    std::string shown = unlimited ? "unlimited" : std::to_string(asked);
    if (policy_.above_max == AboveMax::kRefuse) {
      d_->refusals.push_back(Refusal{"update", what + " " + shown + " is above the policy maximum " +
                                                   std::to_string(max)});
      return std::nullopt;
    }
    d_->changes.push_back(Change{"update", what, unlimited ? Json::integer(-1) : Json::integer(asked),
                                 Json::integer(max)});
    return max;
  }

 private:
  const Policy& policy_;
  OperationDecision* d_;
};

// The largest cpu quota (microseconds per period) that cpu_milli thousandths of a CPU allow.
// A period so long that the product overflows saturates: the bound stays a bound.
int64_t quota_max(int64_t cpu_milli, int64_t period) {
  int64_t product = 0;
  if (__builtin_mul_overflow(cpu_milli, period, &product)) {
    return (cpu_milli > 0) == (period > 0) ? INT64_MAX : INT64_MIN;
  }
  return product / 1000;
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
                                const Host& host) {
  OperationDecision d;
  UpdateJudge judge(policy, &d);
  Maxima max = maxima_of(policy, host);
  d.resources = resources_in;
  d.argv = args.argv;

  // The -r object (OCI LinuxResources).
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
    if (Json* cpu = field(&r, "cpu")) {
      if (auto q = int_field(cpu, "quota")) {
        // A period of 0 (or none) leaves the container's own in place, as runc writes only a
        // non-zero one: the bound is taken at the policy's period, as with --cpu-period.
        int64_t period = int_field(cpu, "period").value_or(0);
        if (period <= 0) period = static_cast<int64_t>(policy.cpu_period);
        int64_t max_quota = quota_max(max.cpu_milli, period);
        auto use = judge.judge("cpu.quota", *q, *q <= 0, max_quota);
        if (use && *use != *q) cpu->set("quota", Json::integer(*use));
      }
    }
  }

  // The flag forms; a clamped value is rewritten in place in argv.
  int64_t period = static_cast<int64_t>(policy.cpu_period);
  if (const std::string* p = args.flag("cpu-period")) {
    if (!parse_decimal(*p, &period)) {
      d.refusals.push_back(Refusal{"update", "--cpu-period \"" + *p + "\" is not a number"});
    }
  }
  if (period <= 0) period = static_cast<int64_t>(policy.cpu_period);
  for (size_t k = 0; k < args.flags.size(); ++k) {
    const auto& [name, value] = args.flags[k];
    std::optional<int64_t> use;
    int64_t asked = 0;
    if (name == "memory" || name == "memory-swap") {
      if (!parse_ram_bytes(value, &asked)) {
        d.refusals.push_back(Refusal{"update", "--" + name + " \"" + value + "\" is not a size"});
        continue;
      }
      use = judge.judge("--" + name, asked, asked < 0, max.memory);
    } else if (name == "pids-limit" || name == "cpu-quota") {
      if (!parse_decimal(value, &asked)) {
        d.refusals.push_back(Refusal{"update", "--" + name + " \"" + value + "\" is not a number"});
        continue;
      }
      use = name == "pids-limit"
                ? judge.judge("--pids-limit", asked, asked <= 0, max.pids)
                : judge.judge("--cpu-quota", asked, asked <= 0, quota_max(max.cpu_milli, period));
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
  return d;
}

}  // namespace oci_harden
