// `oci-hardenctl report`: reads audit logs (plain, or rotated and gzip-compressed), folds the
// records per container, and answers the operator's questions (docker-security-cheat-sheet.txt,
// "11 security questions", 4-8 and 10) as a table or as one JSON object. Reading is at the edge
// (read_audit_logs); summarising and formatting are pure. A malformed line is a warning, never
// fatal; a log that cannot be opened is an error naming it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shim/cli/report_workloads.hh"
#include "shim/core/result.hh"

namespace oci_harden {

enum class ReportFormat { kTable, kJson, kPrometheus };

struct ReportOptions {
  std::vector<std::string> logs;    // in any order: records are sorted by their time
  std::optional<int64_t> since_us;  // keep records at or after this time (Unix microseconds)
  ReportFormat format = ReportFormat::kTable;
  // Exceptions: "now" for days left and what has expired (the edge reads the clock).
  std::optional<int64_t> now_us;
  bool wide = false;  // --wide: full container ids (the table may pass 100 columns)
};

// What the log says about one container, from all its records (create/run/restore, verify,
// stop, exec, update) in time order. "Last start" is its last create/run/restore record that
// was not refused.
struct ContainerReport {
  std::string id;
  int64_t first_us = 0, last_us = 0;
  std::string engine = "unknown";  // from its start records
  std::string image;               // from annotations; "" when unknown
  std::string mode;                // "enforce" or "audit", of its last start record
  std::string policy;              // the named policy its last start record applied ("default")
  std::string host;                // the node its records came from ("" in records before "host")
  std::string ns, pod;             // Kubernetes namespace and pod (CRI annotations), or containerd's namespace
  std::string last_decision;       // the decision word of its last create/run/restore record
  std::string state;               // "refused", "started", "stopped", "unknown"
  bool started = false;            // a start record that was not refused, or a verify record
  bool stopped = false;            // a stop record after its last start
  int start_attempts = 0;
  int refused_records = 0;
  std::vector<std::string> refused_rules;  // enforced refusals: the container was not created
  std::vector<std::string> would_refuse;   // audit mode: would have been refused, but ran
  bool host_network_refused = false;       // a refused start asked for the host's network
  bool host_network_ran = false;           // audit mode: asked for it, and ran with it
  bool start_facts = false;                // a start record that was not refused was read
  std::optional<bool> root_on_host;        // on the last start; nullopt: never started or unknown
  bool caps_as_requested = true;           // the last start kept the engine's capability sets
  std::vector<std::string> capabilities;   // bounding set kept, when !caps_as_requested
  std::vector<std::string> caps_dropped, caps_added;  // from the engine's bounding set
  std::string root_reason, root_fix;       // why it is host root, and what would avoid it
  std::vector<std::string> changed_rules;  // rules that changed its spec (applied, enforce mode)
  bool hooked = false;  // the verify hook was put in its last start (or reported): "running" is known
  std::string seccomp;  // installed, replaced, kept engine's, none, opted out; "" never started
  std::vector<std::string> opt_outs_granted, opt_outs_denied;  // over all its start records
  int verify_records = 0;
  int verify_failed = 0;                   // failed checks in its last verify record
  int verify_records_failed = 0;           // its verify records with a failed check
  std::vector<std::string> verify_failed_checks;
  bool killed = false;                     // a verify record says the hook killed it
  int execs = 0, execs_refused = 0;
  int updates = 0, updates_refused = 0;
  // Exceptions: the opt-out granted at its last start that was not refused, with its details.
  bool exception = false;
  std::string exception_owner, exception_reason, exception_until;
  std::optional<int64_t> exception_end_us;  // the last second it covers; nullopt: no end given
};

struct ReportTotals {
  int containers = 0;
  int started = 0;
  int running = 0;  // started, and no stop record after its last start
  int running_unknown = 0;  // started without the verify hook, no stop record: cannot tell
  int64_t last_record_us = 0;  // the newest record read (0: none)
  int refused = 0;  // containers with at least one refused start
  int refused_records = 0;
  std::map<std::string, int> refused_by_rule;       // containers per rule (enforced)
  int would_refuse = 0;                             // containers that ran, though refusable
  std::map<std::string, int> would_refuse_by_rule;  // containers per rule (audit mode)
  int host_network = 0, host_network_refused = 0;   // containers that asked for it
  int host_root = 0;
  int opt_outs_granted = 0, opt_outs_denied = 0;    // containers with any
  int audit_mode = 0;                               // containers last started in audit mode
  int verify_failed = 0;                            // containers whose last verify failed
  int execs = 0, execs_refused = 0, exec_containers = 0;
  std::map<std::string, int> image_sources;         // registry -> containers
  int image_unknown = 0;
  int malformed_lines = 0;
  // Exceptions, judged at Report::now_us: live ones (no end, or not yet ended), and those
  // that end within a week.
  int exceptions_live = 0, exceptions_expiring = 0;
};

struct Report {
  std::vector<ContainerReport> containers;  // by first seen, then id
  ReportTotals totals;
  std::optional<int64_t> now_us;  // exceptions: the time days left are counted from
  bool wide = false;              // full container ids in the table
  // Per workload (issue 15): the seccomp profile in force, recordings and violations.
  std::vector<WorkloadReport> workloads;
};

// --since: a relative age ("30m", "24h", "7d", also s and w) back from now_us, or RFC 3339.
Result<int64_t> parse_since(const std::string& text, int64_t now_us);

// When no log given exists at all (none written yet on this host): the message saying so, for
// the exit status "nothing to report"; "" otherwise (a missing log among others is an error).
std::string no_audit_log_message(const ReportOptions& opts);

// The node_exporter textfile format (Prometheus text exposition 0.0.4).
std::string format_report_prometheus(const Report& report);

// Writes a report to FILE by rename from a temporary file beside it (mode 0644), so a textfile
// collector never reads half of one.
Status write_report_file(const std::string& path, const std::string& contents);

// RFC 3339 ("2026-11-28T18:00:00Z", "2026-11-28T18:00:00.123456+01:00") to Unix microseconds.
Result<int64_t> parse_rfc3339(const std::string& text);

// Reads and summarises the logs. Warnings ("LOG:LINE: malformed record: REASON") are appended
// to *warnings; a log that cannot be opened or read is an error naming it.
Result<Report> read_audit_logs(const ReportOptions& opts, std::vector<std::string>* warnings);

// The table (fits 100 columns) or one line of JSON {"containers":[…],"totals":{…}}.
std::string format_report_table(const Report& report);
std::string format_report_json(const Report& report);

// The whole command: read_audit_logs, then the format opts asks for.
Result<std::string> run_report(const ReportOptions& opts, std::vector<std::string>* warnings);

// The registry an image reference is pulled from, as Docker resolves it: "nginx" and
// "user/app" -> "docker.io", "quay.io/x/y" -> "quay.io"; "" for "".
std::string image_registry(const std::string& image);

}  // namespace oci_harden
