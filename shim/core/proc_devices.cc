#include "shim/core/proc_devices.hh"

#include "shim/core/split.hh"

namespace oci_harden {

std::vector<ProcDevice> parse_proc_devices(const std::string& text) {
  std::vector<ProcDevice> out;
  char type = 0;
  for (const std::string& line : split_at(text, '\n')) {
    if (line == "Character devices:") {
      type = 'c';
      continue;
    }
    if (line == "Block devices:") {
      type = 'b';
      continue;
    }
    size_t i = line.find_first_not_of(' ');
    if (type == 0 || i == std::string::npos) continue;
    size_t digits = line.find_first_not_of("0123456789", i);
    if (digits == i || digits == std::string::npos || digits - i > 9 || line[digits] != ' ') continue;
    std::string name = line.substr(digits + 1);
    if (name.empty()) continue;
    out.push_back(ProcDevice{type, std::stoll(line.substr(i, digits - i)), name});
  }
  return out;
}

std::optional<int64_t> driver_major_in(const std::vector<ProcDevice>& devices, char type,
                                       const std::string& name) {
  for (const ProcDevice& d : devices) {
    if (d.type == type && d.name == name) return d.major;
  }
  return std::nullopt;
}

}  // namespace oci_harden
