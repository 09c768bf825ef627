// libFuzzer target: the never-wider property of a learned seccomp profile. The input is a base
// profile, a NUL byte and a recording (or a recording alone, learned from the built-in default
// profile). Whenever learn_profile accepts them, the result must let through nothing its base
// denies: no name outside the base's allowing entries, and, judged by effect as the policy-load
// check judges it (shim/core/seccomp_effect), no call at all. A violation aborts.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "shim/core/embedded.hh"
#include "shim/core/learned_profile.hh"

using namespace oci_harden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  auto base = parse_json(nul == std::string::npos ? std::string(embedded_file("seccomp-default.json")) : input.substr(0, nul));
  if (!base) return 0;
  auto recording = parse_recording(nul == std::string::npos ? input : input.substr(nul + 1), "fuzz.json");
  if (!recording) return 0;
  auto merged = merge_recordings({*recording});
  if (!merged) return 0;
  auto learned = learn_profile(*base, *merged);
  if (!learned) return 0;
  const auto base_names = allowed_syscall_names(*base);
  const std::set<std::string> allowed(base_names.begin(), base_names.end());
  for (const std::string& n : allowed_syscall_names(learned->profile)) {
    if (allowed.count(n) == 0) std::abort();  // a name the base does not let through
  }
  auto st = check_never_wider(learned->profile, *base, host_seccomp_architectures());
  // "cannot be judged": a base libseccomp refuses to compile; not this property's question.
  if (!st && st.error().message.rfind("lets through", 0) == 0) std::abort();
  return 0;
}
