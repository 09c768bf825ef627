// Writing a message into runc's --log file in runc's own format, so the engine shows it: the
// containerd shim reports the last error-level record of that file, and docker run prints it.
#pragma once

#include <string>

namespace oci_harden {

// Appends one error-level record to `log_path` ("" = none given: nothing is written).
// `format` is runc's --log-format: "json" → {"level":"error","msg":…,"time":…};
// anything else → logrus text: time="…" level=error msg="…".
void write_runc_log(const std::string& log_path, const std::string& format, const std::string& msg);

}  // namespace oci_harden
