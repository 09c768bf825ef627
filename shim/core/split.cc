// Text cut at a separator (see split.hh).

#include "shim/core/split.hh"

namespace oci_harden {

std::vector<std::string> split_at(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(separator, i);
    if (j == std::string::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace oci_harden
