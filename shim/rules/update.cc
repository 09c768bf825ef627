// Rule "update" (CIS 5.10, 5.11, 5.28; cheat-sheet practices 20, 22): `runc update` can raise
// a running container's limits; hold them to the policy's maxima, as at create. Clamped by
// default, refused when limits.above_max says "refuse". A value runc reads as "unlimited"
// (-1, or 0 for the cpu quota) counts as above every maximum.

#include <cctype>
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
        int64_t period = int_field(cpu, "period").value_or(static_cast<int64_t>(policy.cpu_period));
        int64_t max_quota = max.cpu_milli * period / 1000;
        auto use = judge.judge("cpu.quota", *q, *q <= 0, max_quota);
        if (use && *use != *q) cpu->set("quota", Json::integer(*use));
      }
    }
  }

  // The flag forms; a clamped value is rewritten in place in argv.
  int64_t period = static_cast<int64_t>(policy.cpu_period);
  if (const std::string* p = args.flag("cpu-period")) period = std::atoll(p->c_str());
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
    } else if (name == "pids-limit") {
      asked = std::atoll(value.c_str());
      use = judge.judge("--pids-limit", asked, asked <= 0, max.pids);
    } else if (name == "cpu-quota") {
      asked = std::atoll(value.c_str());
      use = judge.judge("--cpu-quota", asked, asked <= 0, max.cpu_milli * period / 1000);
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
