// linux.resources.unified: cgroup v2 file names and the values runc 1.1.5 (fs2 setUnified) and
// crun 1.8.1 (write_unified_resources) write into the container's cgroup AFTER the typed
// resources, so an entry overrides the pids, memory and cpu limits the rules set. The entries
// that carry a limit the policy bounds are judged here, pure, for both create and update.
// Judged: the kernel's limits (pids.max; memory.max, memory.high, memory.swap.max; cpu.max,
// cpu.max.burst). Kept as written: protections (memory.min, memory.low: they keep memory from
// reclaim, under memory.max, never above it), weights (cpu.weight, io.weight: the policy bounds
// no share) and every other controller's files.

#ifndef OCI_HARDEN_UNIFIED_LIMITS_HH_
#define OCI_HARDEN_UNIFIED_LIMITS_HH_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/json.hh"

namespace oci_harden {

enum class UnifiedController { kPids, kMemory, kCpu };

struct UnifiedBounds {
  int64_t pids = INT64_MAX;        // pids.max
  int64_t memory = INT64_MAX;      // memory.max, bytes
  int64_t cpu_milli = INT64_MAX;   // cpu.max, thousandths of a CPU
  uint64_t period = 0;             // the cpu period a cpu.max without one keeps; 0: unknown
};

// The cgroup v2 file names judged for a controller ("pids.max"; "memory.max", "memory.high",
// "memory.swap.max"; "cpu.max", "cpu.max.burst").
bool unified_key_is_limit(const std::string& key, UnifiedController c);

// A key that is not one file name of the container's cgroup directory: it contains "/" or "..",
// is empty, or contains a NUL. Returns the reason, or "" for a plain file name.
std::string unified_key_bad_name(const std::string& key);

// One limit entry beyond the policy.
struct UnifiedExcess {
  std::string key;     // the entry's key, as written
  std::string reason;  // "<where>[\"<key>\"] is ...": names the field and what the value is
  // The value within the policy to write instead (limits.above_max "clamp"): the maximum,
  // "0" for swap and burst, "QUOTA PERIOD" for cpu.max. Empty: the value cannot be clamped
  // (not a string, not a plain decimal, no period known) and is refused whatever above_max says.
  std::string clamped;
};

// Judges every limit entry of `unified` (the JSON object) for controller c against bounds.
// Returns one UnifiedExcess per entry beyond them: above the bound, unlimited ("max"), or a value
// the kernel reads otherwise than as a plain decimal (suffixes, signs, ...). `where` prefixes
// the field name (e.g. "linux.resources.unified"). A bound of INT64_MAX is no maximum.
std::vector<UnifiedExcess> judge_unified(const Json& unified, UnifiedController c, const UnifiedBounds& bounds,
                                         const std::string& where);

// What a unified entry leaves in the cgroup, where it is a plain decimal above 0: pids.max,
// memory.max (bytes). nullopt for "max", another spelling, 0, or no such entry. `unified` may be
// null.
std::optional<int64_t> unified_decimal(const Json* unified, const std::string& key);

// cpu.max as a plain "QUOTA [PERIOD]", QUOTA above 0; period 0 when the entry names none (the
// cgroup's stays).
struct UnifiedCpuMax {
  int64_t quota = 0;
  uint64_t period = 0;
};
std::optional<UnifiedCpuMax> unified_cpu_max(const Json* unified);

}  // namespace oci_harden

#endif  // OCI_HARDEN_UNIFIED_LIMITS_HH_
