// Rule "masked-paths" (Pod Security baseline, procMount Default): restore the default
// linux.maskedPaths and linux.readonlyPaths where they were emptied or shortened (Docker's
// --security-opt systempaths=unconfined). Entries the spec has are kept; missing defaults are
// appended.

#include <algorithm>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

const std::vector<std::string> kMasked = {
    "/proc/acpi",        "/proc/asound",     "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
    "/proc/timer_list",  "/proc/timer_stats", "/sys/firmware",    "/sys/devices/virtual/powercap",
};
const std::vector<std::string> kReadonly = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

void restore(RuleContext& ctx, Json& linux, const char* key, const std::vector<std::string>& defaults) {
  std::vector<std::string> list = string_items(field(&linux, key));
  bool added = false;
  for (const auto& path : defaults) {
    if (std::find(list.begin(), list.end(), path) == list.end()) {
      list.push_back(path);
      added = true;
    }
  }
  if (added) ctx.set(linux, key, string_array(list), std::string("linux.") + key);
}

}  // namespace

void rule_masked_paths(RuleContext& ctx) {
  Json& linux = ensure_object(ctx.spec(), "linux");
  restore(ctx, linux, "maskedPaths", kMasked);
  restore(ctx, linux, "readonlyPaths", kReadonly);
}

}  // namespace oci_harden
