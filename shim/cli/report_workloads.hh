// `oci-hardenctl report`, per workload (issue 15): the seccomp profile in force for each learn
// name or learned profile, how many syscalls it allows against the policy's generic profile, the
// recordings made in learn mode and the violations the recorder saw in watch mode. Built from
// the records brief15-shared.md names: the create record's "seccomp" object, and the recorder's
// "seccomp_learn" and "seccomp_watch" records (one per container, when its filter has no more
// users). Pure: records in, a summary and its table, JSON and Prometheus forms out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// What one audit record says about a workload's seccomp profile.
struct WorkloadEvent {
  enum class Kind { kStart, kLearn, kWatch };
  Kind kind = Kind::kStart;
  int64_t time_us = 0;
  std::string container;
  std::string workload;  // "" on the recorder's records without one: the container's, from its start
  // kStart ("seccomp" of a create/run/restore record that was not refused)
  std::string source, profile, digest, mode;
  std::optional<int64_t> allowed, generic_allowed;
  // kLearn
  std::string recording;
  int64_t syscalls = 0, notifications = 0, dropped = 0;
  // kWatch
  std::string action;  // "denied" or "recorded"
  struct Violation {
    std::string name, arch;
    int64_t count = 0;
  };
  std::vector<Violation> violations;
};

// The workload facts of one record: nullopt when it has none (no "seccomp" object on a start, or
// another event); an Error naming the field when they are malformed.
Result<std::optional<WorkloadEvent>> workload_event_of(const Json& record, const std::string& event,
                                                       const std::string& decision, const std::string& container,
                                                       int64_t time_us);

struct WorkloadReport {
  std::string name;
  std::string source, profile, digest, mode;  // of its last start
  std::optional<int64_t> allowed, generic_allowed;
  std::vector<std::string> containers;         // started under it, first seen first
  int64_t last_start_us = 0;
  int recordings = 0;                          // seccomp_learn records
  int64_t recorded_syscalls = 0;               // the most distinct syscalls one recording saw
  int64_t notifications = 0, dropped = 0;
  int watch_records = 0;
  std::map<std::pair<std::string, std::string>, int64_t> violations;  // (name, arch) -> count
  std::map<std::string, int64_t> violations_by_action;                // "denied"/"recorded" -> count
  int64_t violation_count() const;
};

// The events in time order folded per workload, by name.
std::vector<WorkloadReport> summarise_workloads(const std::vector<WorkloadEvent>& events);

// The table section ("" when no record names a workload), the JSON array and Prometheus families.
std::string format_workloads_table(const std::vector<WorkloadReport>& workloads);
Json workloads_json(const std::vector<WorkloadReport>& workloads);
std::string format_workloads_prometheus(const std::vector<WorkloadReport>& workloads);

}  // namespace oci_harden
