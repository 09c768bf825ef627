// libFuzzer target: the whole decision on an arbitrary config: parse_spec, harden_spec with
// the built-in policy and a fake host, write back. The output must load again as a spec, and
// hardening it again must be a fixed point when nothing was refused.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shim/core/harden.hh"
#include "shim/core/policy.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

using namespace oci_harden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Policy policy = *builtin_policy();
  static const FakeHost host;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = parse_spec(text);
  if (!spec) return 0;
  Invocation inv{"create", "fuzz", "/bundle"};
  inv.now = 1801439999;  // a fixed clock (2027-01-31T23:59:59Z) for opt-out-until
  Decision d = harden_spec(std::move(*spec), policy, host, inv);
  std::string out = to_json(d.spec);
  auto again = parse_spec(out);
  if (!again) std::abort();
  if (!d.refused()) {
    Decision d2 = harden_spec(std::move(*again), policy, host, inv);
    if (!d2.refused() && !d2.changes.empty()) std::abort();  // hardening is idempotent
  }
  return 0;
}
