// Text cut at a one-character separator, every piece kept (empty ones too): the one loop under
// path components, mountinfo fields and the opt-out annotation's list.
#pragma once

#include <string>
#include <vector>

namespace oci_harden {

// "a,,b" -> {"a", "", "b"}; "" -> {""}; n separators give n + 1 pieces.
std::vector<std::string> split_at(const std::string& text, char separator);

}  // namespace oci_harden
