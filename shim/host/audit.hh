// The audit log: one JSON object per line (schema version 1, documented in oci-harden(8)),
// appended whole under an exclusive lock and flushed to disk before the runtime is executed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shim/core/host.hh"
#include "shim/core/json.hh"
#include "shim/core/result.hh"
#include "shim/host/clock.hh"

namespace oci_harden {

// What a record is made from, declared only: the record points at the decision, it does not
// need the rules or the policy's schema. Whoever fills an AuditEvent includes rule.hh (Change,
// Refusal, Note), harden.hh (OptOuts) and policy.hh.
struct Change;
struct Note;
struct OptOuts;
struct Policy;
struct Refusal;
enum class Mode;  // policy.hh

struct AuditEvent {
  std::string event;     // create, run, restore, exec, update, verify, stop
  std::string decision;  // applied, unchanged, refused, audited
  std::string container;
  std::string bundle;
  std::string runtime;
  const Policy* policy = nullptr;
  Json annotations = Json::object();  // the ones that say who asked: engine, image, pod
  std::string engine;                 // docker, podman, kubernetes, containerd, unknown
  const std::vector<Change>* changes = nullptr;
  const OptOuts* opt_outs = nullptr;
  std::vector<Refusal> refused;
  const std::vector<Note>* notes = nullptr;
  Json user;          // {"uid":…, "gid":…, "host_uid":…, "root_on_host":…}
  Json extra;         // event-specific fields (verify checks, exec request), merged in
  int64_t duration_us = 0;
};

// The node's name (uname's nodename, read once per process): each record's top-level "host".
const std::string& audit_host_name();

// The record as one line of JSON, without the trailing newline.
std::string audit_record(const AuditEvent& e, int64_t unix_time_us);

// Appends `line` + "\n" to `path` with one write() under flock(LOCK_EX), then fdatasync().
// Creates the file (0600) and its directory (0700) when missing; reopens by path on every call
// so logrotate works.
Status append_audit_line(const std::string& path, const std::string& line);

// Also sends the record to syslog (facility authpriv) when the policy asks.
void audit_to_syslog(const std::string& line);

// Rootless engines (issue 17.3): the log this process appends to -- the policy's audit_log when
// it runs as host root, else its rootless.audit_log expanded for the user (~, $HOME,
// $XDG_STATE_HOME), whose missing parent directories it creates 0700.
Result<std::string> audit_log_path(const Policy& policy);

// The one way an event is recorded (create, run, restore, exec, update, verify, stop): sets the
// policy, runtime and duration (since start_us), appends the record durably, copies it to syslog
// when the policy asks. Returns the append's error only when the policy's audit_failure stops the
// event; an error it lets pass goes to *let_pass (when given).
Status record_event(const Policy& policy, AuditEvent& e, int64_t start_us, std::string* let_pass = nullptr);

// The name of a decision: audited (audit mode), refused, applied (something changed), unchanged.
std::string decision_word(Mode mode, bool refused, bool changed);

// Who the container's process is: uid/gid and whether it is root on the host once the spec's
// user namespace mapping (if any) is applied. Works for a spec or a process object.
Json user_summary(const Json& spec);
// Rootless engines (issue 17.3): the same, with the ids carried through oci-harden's own user
// namespace's uid map to the host's (host_uid, root_on_host), and "rootless": true when that
// namespace does not map host root.
Json user_summary(const Json& spec, const std::vector<IdMapRange>& own_uid_map);
// The annotations an operator wants to see (engine, image, pod), and which engine sent it.
Json interesting_annotations(const Json& spec, const std::string& opt_out_key);
// `bundle` (the bundle directory, when known) names the engine where the spec does not:
// containerd's shims run the runtime in <state>/io.containerd.runtime.v2.task/<namespace>/<id>.
std::string guess_engine(const Json& spec, const std::string& bundle = "");

}  // namespace oci_harden
