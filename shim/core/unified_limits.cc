// Judging linux.resources.unified limit entries; see unified_limits.hh.
//
// How the kernel reads each value (after strstrip, surrounding white space dropped):
//   pids.max         "max" or a decimal (kstrtoll)
//   memory.max       "max" or a size, memparse: suffixes K, M, G... accepted
//   memory.high      same; the throttle limit, held to the same maximum as memory.max
//   memory.swap.max  same; swap alone on v2 (the typed memory.swap is memory plus swap): the
//                    policy gives no swap, so any value but 0 is above it
//   cpu.max          "QUOTA [PERIOD]", QUOTA "max" or microseconds; without PERIOD the cgroup's
//                    period stays (runc wrote the spec's, or 100000)
//   cpu.max.burst    microseconds a period may borrow beyond its quota: only 0 is within it
// Only plain decimals (and "max", judged unlimited) are read here: any other spelling is refused,
// so what is judged is what the kernel uses. A value above the bound (or "max") has a clamped
// form, the bound spelled as the kernel reads it; the rules write it under limits.above_max
// "clamp", as they clamp the typed fields.

#include "shim/core/unified_limits.hh"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <utility>

namespace oci_harden {

namespace {

std::string strip(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::optional<uint64_t> plain_decimal(const std::string& t) {
  if (t.empty() || t.size() > 19) return std::nullopt;
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  errno = 0;
  unsigned long long v = std::strtoull(t.c_str(), nullptr, 10);
  if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX)) return std::nullopt;
  return v;
}

int64_t quota_max(int64_t cpu_milli, uint64_t period) {
  __int128 q = static_cast<__int128>(cpu_milli) * static_cast<__int128>(period) / 1000;
  return q > INT64_MAX ? INT64_MAX : static_cast<int64_t>(q);
}

struct Verdict {
  std::string why;      // "" when within
  std::string clamped;  // the value to write instead; "" when it cannot be clamped
};

Verdict judge_one(const std::string& key, const std::string& raw, const UnifiedBounds& b) {
  std::string v = strip(raw);
  if (key == "memory.swap.max" || key == "cpu.max.burst") {
    auto n = plain_decimal(v);
    if (n && *n == 0) return {};
    return {"\"" + raw + "\", " + (key == "cpu.max.burst" ? "CPU time beyond the quota" : "swap beyond the memory limit") +
                ", which the policy does not allow (only 0)",
            n || v == "max" ? "0" : ""};
  }
  if (key == "pids.max" || key == "memory.max" || key == "memory.high") {
    int64_t max = key == "pids.max" ? b.pids : b.memory;
    if (max == INT64_MAX && (v == "max" || plain_decimal(v))) return {};  // the policy sets no maximum
    std::string bound = ", above the policy maximum " + std::to_string(max);
    if (v == "max") return {"unlimited (\"" + raw + "\")" + bound, std::to_string(max)};
    auto n = plain_decimal(v);
    if (!n) return {"\"" + raw + "\" is not a plain decimal number", ""};
    if (static_cast<int64_t>(*n) > max) return {std::to_string(*n) + bound, std::to_string(max)};
    return {};
  }
  // cpu.max
  size_t sp = v.find_first_of(" \t\n");
  std::string quota = v.substr(0, sp);
  std::string period_text = sp == std::string::npos ? "" : strip(v.substr(sp));
  uint64_t period = b.period;
  if (!period_text.empty()) {
    auto p = plain_decimal(period_text);
    if (!p || *p == 0) return {"\"" + raw + "\": the period is not a plain decimal number", ""};
    period = *p;
  }
  if (period == 0) return {"\"" + raw + "\" names no period, and the container's is unknown", ""};
  int64_t max = quota_max(b.cpu_milli, period);
  std::string bound = ", above the policy maximum " + std::to_string(max) + " per period " + std::to_string(period);
  // Clamped with the period it was judged at, written out: the share is then exactly the maximum.
  std::string clamped = std::to_string(max) + " " + std::to_string(period);
  if (quota == "max") return {"unlimited (\"" + raw + "\")" + bound, clamped};
  auto q = plain_decimal(quota);
  if (!q) return {"\"" + raw + "\": the quota is not a plain decimal number", ""};
  if (static_cast<int64_t>(*q) > max) return {"quota " + std::to_string(*q) + bound, clamped};
  return {};
}

}  // namespace

bool unified_key_is_limit(const std::string& key, UnifiedController c) {
  switch (c) {
    case UnifiedController::kPids: return key == "pids.max";
    case UnifiedController::kMemory: return key == "memory.max" || key == "memory.high" || key == "memory.swap.max";
    case UnifiedController::kCpu: return key == "cpu.max" || key == "cpu.max.burst";
  }
  return false;
}

std::string unified_key_bad_name(const std::string& key) {
  if (key.empty()) return "is empty";
  if (key.find('/') != std::string::npos) return "contains \"/\": a path, not a file of the container's cgroup";
  if (key.find("..") != std::string::npos) return "contains \"..\"";
  if (key.find('\0') != std::string::npos) return "contains a NUL";
  return "";
}

std::vector<UnifiedExcess> judge_unified(const Json& unified, UnifiedController c, const UnifiedBounds& bounds,
                                         const std::string& where) {
  std::vector<UnifiedExcess> out;
  if (!unified.is_object()) return out;
  for (const auto& [key, value] : unified.members()) {
    if (!unified_key_is_limit(key, c)) continue;
    Verdict v = value.is_string() ? judge_one(key, value.text(), bounds) : Verdict{"not a string", ""};
    if (v.why.empty()) continue;
    UnifiedExcess e;
    e.key = key;
    e.reason = where + "[\"" + key + "\"] is " + v.why;
    e.clamped = v.clamped;
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<int64_t> unified_decimal(const Json* unified, const std::string& key) {
  const Json* v = unified != nullptr && unified->is_object() ? unified->get_exact(key) : nullptr;
  if (v == nullptr || !v->is_string()) return std::nullopt;
  auto n = plain_decimal(strip(v->text()));
  if (!n || *n == 0) return std::nullopt;
  return static_cast<int64_t>(*n);
}

std::optional<UnifiedCpuMax> unified_cpu_max(const Json* unified) {
  const Json* v = unified != nullptr && unified->is_object() ? unified->get_exact("cpu.max") : nullptr;
  if (v == nullptr || !v->is_string()) return std::nullopt;
  std::string t = strip(v->text());
  size_t sp = t.find_first_of(" \t\n");
  auto q = plain_decimal(t.substr(0, sp));
  if (!q || *q == 0) return std::nullopt;
  UnifiedCpuMax out;
  out.quota = static_cast<int64_t>(*q);
  if (sp != std::string::npos) {
    auto p = plain_decimal(strip(t.substr(sp)));
    if (!p || *p == 0) return std::nullopt;
    out.period = *p;
  }
  return out;
}

}  // namespace oci_harden
