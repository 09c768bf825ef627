// libFuzzer target: the JSON layer. Whatever parses must write back to JSON that parses to the
// same tree (numbers as text, members in order).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shim/core/json.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = oci_harden::parse_json(text);
  if (!parsed) return 0;
  std::string out = oci_harden::to_json(*parsed);
  auto again = oci_harden::parse_json(out);
  if (!again || !(*again == *parsed)) std::abort();
  return 0;
}
