// The report of `oci-hardenctl profile check` (see profile_check.hh).

#include "shim/cli/profile_check.hh"

namespace oci_harden {

std::string format_profile_checks(const std::string& file, const std::vector<ProfileCheck>& checks) {
  std::string out;
  size_t errors = 0;
  for (const ProfileCheck& pc : checks) {
    out += file + (pc.label.empty() ? "" : " " + pc.label) + ": " + std::to_string(pc.names) + " names\n";
    for (const auto& e : pc.errors) out += "  error: " + e + "\n";
    for (const auto& n : pc.notes) out += "  note: " + n + "\n";
    for (const ArchSize& s : pc.sizes)
      out += "  bpf " + s.arch + ": " + std::to_string(s.instructions) + " instructions\n";
    errors += pc.errors.size();
  }
  out += file + ": " + (errors == 0 ? std::string("ok") : std::to_string(errors) + " error(s)") + "\n";
  return out;
}

}  // namespace oci_harden
