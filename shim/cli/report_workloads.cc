// `oci-hardenctl report`, per workload (see report_workloads.hh).
#include "shim/cli/report_workloads.hh"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "shim/cli/prometheus_text.hh"

namespace oci_harden {
namespace {

Error bad(const std::string& reason) { return make_error(ErrorCode::kSpec, reason); }

// Our own format, written with exact keys.
const Json* member(const Json* obj, const char* key) {
  return obj != nullptr && obj->is_object() ? obj->get_exact(key) : nullptr;
}

Status read_string(const Json* obj, const char* key, const std::string& where, std::string* out) {
  const Json* v = member(obj, key);
  if (v == nullptr || v->is_null()) return Ok{};
  if (!v->is_string()) return bad(where + "." + key + " is not a string");
  *out = v->text();
  return Ok{};
}

Status read_count(const Json* obj, const char* key, const std::string& where, int64_t* out) {
  const Json* v = member(obj, key);
  if (v == nullptr || v->is_null()) return Ok{};
  if (!v->to_int64(out) || *out < 0) return bad(where + "." + key + " is not a count");
  return Ok{};
}

// "allowed": a count, or the names themselves (their number is shown).
Status read_allowed(const Json* obj, const char* key, std::optional<int64_t>* out) {
  const Json* v = member(obj, key);
  if (v == nullptr || v->is_null()) return Ok{};
  int64_t n = 0;
  if (v->is_array()) *out = static_cast<int64_t>(v->items().size());
  else if (v->to_int64(&n) && n >= 0) *out = n;
  else return bad(std::string("seccomp.") + key + " is neither a count nor a list of names");
  return Ok{};
}

Result<std::optional<WorkloadEvent>> start_event(const Json& record, WorkloadEvent e) {
  const Json* s = member(&record, "seccomp");
  if (s == nullptr || s->is_null()) return std::optional<WorkloadEvent>();
  if (!s->is_object()) return bad("\"seccomp\" is not an object");
  for (auto [key, out] : {std::pair{"workload", &e.workload}, std::pair{"source", &e.source},
                          std::pair{"profile", &e.profile}, std::pair{"digest", &e.digest}, std::pair{"mode", &e.mode}}) {
    if (auto st = read_string(s, key, "seccomp", out); !st) return st.error();
  }
  if (auto st = read_allowed(s, "allowed", &e.allowed); !st) return st.error();
  if (auto st = read_allowed(s, "generic_allowed", &e.generic_allowed); !st) return st.error();
  if (e.workload.empty()) return std::optional<WorkloadEvent>();
  return std::optional<WorkloadEvent>(std::move(e));
}

Status read_violations(const Json& record, WorkloadEvent* e) {
  const Json* v = member(&record, "violations");
  if (v == nullptr || v->is_null()) return Ok{};
  if (!v->is_array()) return bad("\"violations\" is not an array");
  for (size_t i = 0; i < v->items().size(); ++i) {
    const Json& item = v->items()[i];
    const std::string where = "violations[" + std::to_string(i) + "]";
    if (!item.is_object()) return bad(where + " is not an object");
    WorkloadEvent::Violation vi;
    if (auto st = read_string(&item, "name", where, &vi.name); !st) return st;
    if (auto st = read_string(&item, "arch", where, &vi.arch); !st) return st;
    if (auto st = read_count(&item, "count", where, &vi.count); !st) return st;
    if (vi.name.empty()) return bad(where + ".name is missing");
    e->violations.push_back(std::move(vi));
  }
  return Ok{};
}

}  // namespace

Result<std::optional<WorkloadEvent>> workload_event_of(const Json& record, const std::string& event,
                                                       const std::string& decision, const std::string& container,
                                                       int64_t time_us) {
  WorkloadEvent e;
  e.time_us = time_us;
  e.container = container;
  if (event == "create" || event == "run" || event == "restore") {
    if (decision == "refused") return std::optional<WorkloadEvent>();
    return start_event(record, std::move(e));
  }
  if (event != "seccomp_learn" && event != "seccomp_watch") return std::optional<WorkloadEvent>();
  if (auto st = read_string(&record, "workload", "", &e.workload); !st) return st.error();
  if (event == "seccomp_learn") {
    e.kind = WorkloadEvent::Kind::kLearn;
    if (auto st = read_string(&record, "recording", "", &e.recording); !st) return st.error();
    for (auto [key, out] : {std::pair{"syscalls", &e.syscalls}, std::pair{"notifications", &e.notifications},
                            std::pair{"dropped", &e.dropped}}) {
      if (auto st = read_count(&record, key, "", out); !st) return st.error();
    }
  } else {
    e.kind = WorkloadEvent::Kind::kWatch;
    if (auto st = read_string(&record, "action", "", &e.action); !st) return st.error();
    if (auto st = read_violations(record, &e); !st) return st.error();
  }
  return std::optional<WorkloadEvent>(std::move(e));
}

int64_t WorkloadReport::violation_count() const {
  int64_t n = 0;
  for (const auto& [key, count] : violations) n += count;
  return n;
}

std::vector<WorkloadReport> summarise_workloads(const std::vector<WorkloadEvent>& events) {
  std::map<std::string, WorkloadReport> by_name;
  std::map<std::string, std::string> workload_of;  // container -> workload of its last start
  for (const WorkloadEvent& e : events) {
    std::string name = e.workload;
    if (name.empty()) {
      auto it = workload_of.find(e.container);
      if (it == workload_of.end()) continue;  // a recorder's record for a container never started here
      name = it->second;
    }
    WorkloadReport& w = by_name[name];
    w.name = name;
    switch (e.kind) {
      case WorkloadEvent::Kind::kStart:
        workload_of[e.container] = name;
        w.source = e.source;
        w.profile = e.profile;
        w.digest = e.digest;
        w.mode = e.mode;
        w.allowed = e.allowed;
        w.generic_allowed = e.generic_allowed;
        w.last_start_us = e.time_us;
        if (std::find(w.containers.begin(), w.containers.end(), e.container) == w.containers.end())
          w.containers.push_back(e.container);
        break;
      case WorkloadEvent::Kind::kLearn:
        ++w.recordings;
        w.recorded_syscalls = std::max(w.recorded_syscalls, e.syscalls);
        w.notifications += e.notifications;
        w.dropped += e.dropped;
        break;
      case WorkloadEvent::Kind::kWatch:
        ++w.watch_records;
        for (const auto& v : e.violations) {
          w.violations[{v.name, v.arch}] += v.count;
          w.violations_by_action[e.action.empty() ? "recorded" : e.action] += v.count;
        }
        break;
    }
  }
  std::vector<WorkloadReport> out;
  for (auto& [name, w] : by_name) out.push_back(std::move(w));
  return out;
}

namespace {

std::string cell(const std::string& s, size_t width) {
  std::string clean;
  for (char ch : s) clean += (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ? '?' : ch;
  if (clean.size() > width) clean = ".." + clean.substr(clean.size() - (width - 2));
  if (clean.empty()) clean = "-";
  return clean;
}

std::string count_cell(const std::optional<int64_t>& n) { return n ? std::to_string(*n) : "-"; }

std::string violations_line(const WorkloadReport& w) {
  std::vector<std::pair<int64_t, std::string>> items;
  for (const auto& [key, count] : w.violations) {
    const std::string arch = key.second.rfind("SCMP_ARCH_", 0) == 0 ? key.second.substr(10) : key.second;
    items.push_back({count, key.first + (arch.empty() ? "" : "/" + arch) + " x" + std::to_string(count)});
  }
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (const auto& [count, text] : items) out += (out.empty() ? "" : ", ") + text;
  std::string actions;
  for (const auto& [action, count] : w.violations_by_action) actions += (actions.empty() ? "" : ", ") + std::to_string(count) + " " + action;
  return out + " (" + actions + ")";
}

}  // namespace

std::string format_workloads_table(const std::vector<WorkloadReport>& workloads) {
  if (workloads.empty()) return "";
  char line[256];
  std::string out = "Workloads (seccomp): the profile in force at the last start, syscalls it allows against the generic profile\n";
  std::snprintf(line, sizeof line, "%-16s %-7s %-8s %7s %7s %4s %6s %s\n", "WORKLOAD", "MODE", "SOURCE", "ALLOWED",
                "GENERIC", "RUNS", "VIOLS", "PROFILE");
  out += line;
  for (const WorkloadReport& w : workloads) {
    std::snprintf(line, sizeof line, "%-16s %-7s %-8s %7s %7s %4zu %6lld %s\n", cell(w.name, 16).c_str(),
                  cell(w.mode, 7).c_str(), cell(w.source, 8).c_str(), count_cell(w.allowed).c_str(),
                  count_cell(w.generic_allowed).c_str(), w.containers.size(), static_cast<long long>(w.violation_count()),
                  cell(w.profile, 41).c_str());
    out += line;
  }
  for (const WorkloadReport& w : workloads) {
    if (w.recordings > 0) {
      out += "  " + cell(w.name, 16) + ": " + std::to_string(w.recordings) + " recording" + (w.recordings == 1 ? "" : "s") +
             " (up to " + std::to_string(w.recorded_syscalls) + " syscalls, " + std::to_string(w.notifications) +
             " notifications, " + std::to_string(w.dropped) + " dropped)\n";
    }
    if (!w.violations.empty()) out += "  " + cell(w.name, 16) + ": violations " + violations_line(w) + "\n";
  }
  return out;
}

Json workloads_json(const std::vector<WorkloadReport>& workloads) {
  Json arr = Json::array();
  for (const WorkloadReport& w : workloads) {
    Json j = Json::object();
    j.set("name", Json::string(w.name));
    auto opt = [](const std::string& s) { return s.empty() ? Json() : Json::string(s); };
    j.set("mode", opt(w.mode));
    j.set("source", opt(w.source));
    j.set("profile", opt(w.profile));
    j.set("digest", opt(w.digest));
    j.set("allowed", w.allowed ? Json::integer(*w.allowed) : Json());
    j.set("generic_allowed", w.generic_allowed ? Json::integer(*w.generic_allowed) : Json());
    Json containers = Json::array();
    for (const auto& c : w.containers) containers.push_back(Json::string(c));
    j.set("containers", std::move(containers));
    Json learn = Json::object();
    learn.set("recordings", Json::integer(w.recordings));
    learn.set("syscalls", Json::integer(w.recorded_syscalls));
    learn.set("notifications", Json::integer(w.notifications));
    learn.set("dropped", Json::integer(w.dropped));
    j.set("learn", std::move(learn));
    Json viol = Json::array();
    for (const auto& [key, count] : w.violations) {
      Json v = Json::object();
      v.set("name", Json::string(key.first));
      v.set("arch", Json::string(key.second));
      v.set("count", Json::integer(count));
      viol.push_back(std::move(v));
    }
    j.set("violations", std::move(viol));
    Json by_action = Json::object();
    for (const auto& [action, count] : w.violations_by_action) by_action.set_exact(action, Json::integer(count));
    j.set("violations_by_action", std::move(by_action));
    arr.push_back(std::move(j));
  }
  return arr;
}

std::string format_workloads_prometheus(const std::vector<WorkloadReport>& workloads) {
  if (workloads.empty()) return "";
  std::string out =
      "# HELP oci_harden_workload_syscalls_allowed Syscalls the seccomp profile in force at a workload's last start allows "
      "(profile=\"generic\": the policy's generic profile).\n"
      "# TYPE oci_harden_workload_syscalls_allowed gauge\n";
  auto sample = [&](const std::string& name, const std::string& workload, const std::string& key, const std::string& value,
                    int64_t n) {
    out += name + R"({workload=")" + prometheus_label(workload) + R"(",)" + key + R"(=")" + value + R"("} )" + std::to_string(n) + "\n";
  };
  for (const WorkloadReport& w : workloads) {
    if (w.allowed) sample("oci_harden_workload_syscalls_allowed", w.name, "profile", "in_force", *w.allowed);
    if (w.generic_allowed) sample("oci_harden_workload_syscalls_allowed", w.name, "profile", "generic", *w.generic_allowed);
  }
  out += "# HELP oci_harden_workload_violations_total Calls outside a workload's learned profile the recorder saw, by action.\n"
         "# TYPE oci_harden_workload_violations_total counter\n";
  for (const WorkloadReport& w : workloads) {
    for (const char* action : {"denied", "recorded"}) {
      auto it = w.violations_by_action.find(action);
      sample("oci_harden_workload_violations_total", w.name, "action", action, it == w.violations_by_action.end() ? 0 : it->second);
    }
  }
  return out;
}

}  // namespace oci_harden
