// libFuzzer target: the never-wider property of a learned seccomp profile. The input is a base
// profile, a NUL byte and a recording (or a recording alone, learned from the built-in default
// profile). Whenever learn_profile accepts them, the result must let through nothing its base
// denies: no name outside the base's allowing entries, and, judged by effect as the policy-load
// check judges it (shim/core/seccomp_effect), no call at all. A violation aborts.
#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "shim/core/embedded.hh"
#include "shim/core/learned_profile.hh"

using namespace oci_harden;

namespace {

// Whether `base` has an entry with argument rules naming a call that one of the host's
// architectures does not have (_llseek on x86_64). runc skips such a name there, but libseccomp
// then compiles the entries after it differently (the first CI fuzz run at b2b6d67: with
// "_llseek" under a MASKED_EQ rule before them, socket(AF_INET) on x86_64 is denied by the
// base, and allowed once learn_profile has left the unused _llseek entry out). Dropping an entry
// then changes what the others do, and the construction property below does not hold; the
// effect check that `profile learn` and the policy load make after learn_profile refuses such
// a result (oci-hardenctl exits 1, the policy does not load), so the product never installs it.
bool has_conditional_name_missing_on_host(const Json& base) {
  const Json* calls = base.get("syscalls");
  if (calls == nullptr || !calls->is_array()) return false;
  for (const Json& e : calls->items()) {
    const Json* args = e.get("args");
    const Json* names = e.get("names");
    if (args == nullptr || !args->is_array() || args->items().empty() || names == nullptr || !names->is_array()) continue;
    for (const std::string& arch : host_seccomp_architectures()) {
      std::string token = arch.rfind("SCMP_ARCH_", 0) == 0 ? arch.substr(10) : arch;
      std::transform(token.begin(), token.end(), token.begin(), [](unsigned char c) { return std::tolower(c); });
      const uint32_t a = seccomp_arch_resolve_name(token.c_str());
      if (a == 0) continue;
      for (const Json& n : names->items()) {
        if (n.is_string() && seccomp_syscall_resolve_name_arch(a, n.text().c_str()) < 0) return true;
      }
    }
  }
  return false;
}

}  // namespace

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
  if (has_conditional_name_missing_on_host(*base)) return 0;  // see the function
  auto st = check_never_wider(learned->profile, *base, host_seccomp_architectures());
  // "cannot be judged": a base libseccomp refuses to compile; not this property's question.
  if (!st && st.error().message.rfind("lets through", 0) == 0) std::abort();
  return 0;
}
