// The diagnostic side of the programs: one spdlog logger per process. Every record goes to
// stderr as its bare text (what a user or runc's hook error shows); with runc's --log FILE it also
// goes to that file in runc's own format (logrus text or JSON, as --log-format says), since the
// containerd shim reports the last error-level record of that file and docker run prints it.
// The audit log is not here (shim/host/audit.hh): it is durable, one record per decision.
#pragma once

#include <string>

namespace oci_harden {

// Where a record was written from: runc's func= and file= under --debug. The defaults are
// evaluated at the caller, so `log_error(msg)` names the line that logs.
struct LogSite {
  const char* file;
  int line;
  const char* func;
  static LogSite here(const char* file = __builtin_FILE(), int line = __builtin_LINE(),
                      const char* func = __builtin_FUNCTION()) {
    return {file, line, func};
  }
};

// runc's global flags, as the engine passed them: `path` is --log ("" = none), `format` is
// --log-format ("json" → JSON, anything else → logrus text), `debug` is --debug (debug records
// too, and func=/file= on every record, as runc writes them). Cheap: nothing is opened or built
// until the first record. Without a call: stderr only, errors only.
void set_runc_log(const std::string& path, const std::string& format, bool debug);

// One error record: stderr, and the --log file if any (best effort: a file that cannot be
// opened is skipped, stderr still has the record).
void log_error(const std::string& msg, const LogSite& site = LogSite::here());

// One debug record, only under --debug and only to the --log file: never stderr, which engines
// read (go-runc merges it into `state`'s output).
void log_debug(const std::string& msg, const LogSite& site = LogSite::here());

}  // namespace oci_harden
