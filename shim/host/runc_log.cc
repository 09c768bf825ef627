// runc-format log records for refusals and errors.

#include "shim/host/runc_log.hh"

#include <fcntl.h>

#include <cstdio>
#include <unistd.h>

#include "shim/host/clock.hh"
#include "shim/core/handles.hh"
#include "shim/core/json.hh"

namespace oci_harden {

namespace {

// logrus quotes a text-format value with Go's strconv.Quote rules; escape what matters.
std::string quote_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      // Any other control character, as %q writes it: never raw into someone's terminal.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

void write_runc_log(const std::string& log_path, const std::string& format, const std::string& msg) {
  if (log_path.empty()) return;
  std::string time = rfc3339_utc(now_us());
  std::string line;
  if (format == "json") {
    Json rec = Json::object();
    rec.set("level", Json::string("error"));
    rec.set("msg", Json::string(msg));
    rec.set("time", Json::string(time));
    line = to_json(rec);
  } else {
    line = "time=" + quote_text(time) + " level=error msg=" + quote_text(msg);
  }
  line += "\n";
  UniqueFd fd(::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return;  // best effort: the message also goes to stderr
  (void)!::write(fd.get(), line.data(), line.size());
}

}  // namespace oci_harden
