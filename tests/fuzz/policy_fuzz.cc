// libFuzzer target: the policy loader on arbitrary bytes (never crashes; errors name a key).
#include <cstdint>
#include <string>

#include "shim/core/policy.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto p = oci_harden::parse_policy(text, "/fuzz/policy.json");
  (void)p.ok();
  return 0;
}
