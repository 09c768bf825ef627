// Prometheus text exposition (see prometheus_text.hh).

#include "shim/cli/prometheus_text.hh"

namespace oci_harden {

std::string prometheus_label(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '"') out += "\\\"";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

}  // namespace oci_harden
