// libFuzzer target: runc's argv grammar on arbitrary words (NUL-separated input).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shim/core/runc_args.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> argv = {"oci-harden"};
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      argv.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  argv.push_back(cur);
  auto parsed = oci_harden::parse_runc_args(argv);
  if (parsed && parsed->flags.size() != parsed->flag_spans.size()) std::abort();
  return 0;
}
