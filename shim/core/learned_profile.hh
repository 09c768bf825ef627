// A learned seccomp profile (issue 15, the offline side): recordings of a workload read and
// validated, several runs merged, and the profile built from the base profile they were recorded
// under; its never-wider check against the policy's profile (by effect, shim/core/seccomp_effect),
// the names a profile allows, and the difference between two profiles (`oci-hardenctl profile
// learn` and `profile diff`, shim/cli/hardenctl_main.cc).
//
// The recording format is the one the recorder writes (brief15-shared.md, <learn_dir>/<name>/
// <container-id>.json): the calls the base profile allows outside the always-allowed set, each
// with its architecture, count and, for the argument indices the base's rules condition on, the
// distinct values seen (at most 64 per index).
//
// How the learned profile is made, and why it is never wider than the base:
// - The base must deny by default (an allow-list): a profile that allows by default cannot be
//   narrowed by keeping what was seen.
// - Every base entry that denies (ERRNO, KILL, TRAP) is kept as written: nothing the base denies
//   is lifted.
// - Every base entry that lets a call through (ALLOW, LOG, TRACE, NOTIFY) keeps only the names
//   seen in some recording or always allowed by one; its argument rules, action and errnoRet stay
//   as written. A conditional entry keeps a seen name only when a recorded value matches its
//   rules: with runc's semantics, several conditions on one index are separate (ORed) rules, on
//   several indices one ANDed rule. The values are recorded per index, not as tuples, so an ANDed
//   rule counts as matched when each of its conditions is matched by some value of its index.
// - "architectures" keeps the base's architectures some recording lists, in the base's order.
// A name is kept for every kept architecture even if it was seen on one only: an OCI profile's
// entries are not per architecture. What a recording cannot show (code paths the workload did not
// take during the run) is not in the profile: merge several runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"
#include "shim/core/seccomp_effect.hh"

namespace oci_harden {

// The largest recording read (about 4096 syscall entries of 64 values each).
constexpr size_t kMaxRecordingBytes = 16 << 20;
// Distinct values one argument index may carry in a recording.
constexpr size_t kMaxRecordedValues = 64;

struct RecordedCall {
  std::string arch;  // SCMP_ARCH_X86_64
  std::string name;  // libseccomp's name
  uint64_t count = 0;
  std::map<unsigned, std::set<uint64_t>> args;  // index -> distinct values
};

struct Recording {
  std::string file;  // where it was read from, for messages
  std::string learn, container_id, started, ended;
  std::string base_digest;  // "sha256:<hex>"
  std::vector<std::string> architectures;
  std::set<std::string> always_allowed;
  std::vector<RecordedCall> syscalls;
  uint64_t notifications = 0, dropped = 0;
};

// Reads one recording. An Error (kSpec) naming `file` and the field: "web/abc.json: syscalls[3].arch:
// \"SCMP_ARCH_FOO\" is not an architecture listed in architectures".
Result<Recording> parse_recording(std::string_view text, const std::string& file);

// What the runs of one workload saw, by syscall name.
struct SeenCall {
  std::set<std::string> arches;
  uint64_t count = 0;
  std::map<unsigned, std::set<uint64_t>> args;
};

struct MergedRecording {
  std::string learn;
  std::vector<std::string> files;
  std::set<std::string> architectures;   // every architecture a recording lists
  std::set<std::string> always_allowed;  // union: a run under another runtime may need others
  std::map<std::string, SeenCall> seen;
  std::set<std::string> base_digests;
  uint64_t notifications = 0, dropped = 0;
};

// Merges the recordings of one workload. An Error (kSpec) when there are none or when two name
// different workloads ("learn").
Result<MergedRecording> merge_recordings(const std::vector<Recording>& recordings);

struct LearnedProfile {
  Json profile;                     // OCI linux.seccomp
  std::vector<std::string> notes;   // what the operator should know (names not added, drops, ...)
  size_t base_allowed = 0, learned_allowed = 0;  // distinct names let through
};

// Builds the learned profile from `base` (OCI linux.seccomp) and the merged runs. An Error
// (kSpec) naming the field when the base cannot be learned from: not an object, a default action
// that lets calls through, an unknown action, a malformed entry, no architecture in common.
// A base whose compact JSON digest is not among the recordings' base digests is a note.
Result<LearnedProfile> learn_profile(const Json& base, const MergedRecording& merged);

// The never-wider check: `learned` lets through nothing `policy_profile` denies, judged by effect
// on `arches` (OCI names). An Error (kPolicy) naming the calls that are open, or why it could not
// be judged (a profile that cannot be judged is not trusted).
Status check_never_wider(const Json& learned, const Json& policy_profile, const std::vector<std::string>& arches);

// The distinct syscall names a profile's entries let through (ALLOW, LOG, TRACE, NOTIFY; with or
// without argument rules), sorted. `default_allows` (optional) is set when the default action
// lets calls through, so the names listed are not all it allows.
std::vector<std::string> allowed_syscall_names(const Json& profile, bool* default_allows = nullptr);

// What each of two profiles lets through that the other does not, as written (names, argument
// rules, architectures, default action): "clone", "clone(arg0 & 0x7e020000 == 0)", "architecture
// SCMP_ARCH_X86", "defaultAction SCMP_ACT_ALLOW". A conditional rule is not listed when the other
// profile allows its name unconditionally.
struct ProfileDiff {
  std::vector<std::string> only_a, only_b;
  bool same() const { return only_a.empty() && only_b.empty(); }
};
// An Error (kSpec) naming the field when either is not a profile ("b: syscalls[2].args[0].op").
Result<ProfileDiff> diff_profiles(const Json& a, const Json& b);

}  // namespace oci_harden
