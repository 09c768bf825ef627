// `oci-hardenctl profile learn` and `profile diff` at the edge: recordings read from files and
// directories, the learned profile written out as text a reviewer can read (one entry a line),
// and the difference of two profiles as the operator reads it. The decisions are in
// shim/core/learned_profile.hh.
#pragma once

#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/learned_profile.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// Reads every RECORDING operand: a file, or a directory whose *.json regular files are read in
// name order (a learn_dir/<name>/ directory). An Error naming the file and field of the first bad
// one, or a directory with no recording.
Result<std::vector<Recording>> read_recordings(const std::vector<std::string>& operands);

// An OCI linux.seccomp profile as JSON text: one member a line, one syscalls entry a line.
std::string format_profile_text(const Json& profile);

// `profile diff`: one line per call one allows and the other does not, headed by the file; the
// last line says "same" or how many differ.
std::string format_profile_diff(const std::string& a, const std::string& b, const ProfileDiff& diff);

}  // namespace oci_harden
