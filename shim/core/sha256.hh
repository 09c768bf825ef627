// SHA-256, for the policy digest in audit records (FIPS 180-4; no crypto library is a dependency).
#pragma once

#include <string>
#include <string_view>

namespace oci_harden {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace oci_harden
