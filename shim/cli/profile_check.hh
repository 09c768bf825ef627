// `oci-hardenctl profile check`: the findings of check_seccomp_json (shim/core/seccomp_check.hh)
// as the operator reads them, one finding a line.
#pragma once

#include <string>
#include <vector>

#include "shim/core/seccomp_check.hh"

namespace oci_harden {

// Human-readable report of one file's checks, one finding per line; the last line says "ok" or
// how many errors.
std::string format_profile_checks(const std::string& file, const std::vector<ProfileCheck>& checks);

}  // namespace oci_harden
