// Offline check of a seccomp profile (OCI linux.seccomp form) with libseccomp, for
// `oci-hardenctl profile check` (its report: shim/cli/profile_check.hh): every name resolved on every listed architecture, duplicate
// rules found, and the profile compiled to BPF per architecture as runc would compile it, so a
// profile that runc would reject or silently weaken is caught before it is installed.
// The profiles/seccomp-capability-groups.json form ({"groups": [...]}) is checked group by group.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// BPF program size of the profile compiled for one architecture alone.
struct ArchSize {
  std::string arch;  // SCMP_ARCH_X86_64
  long instructions = 0;
};

// The findings for one profile (or one capability group). Errors make the profile unusable or
// different from what it says; notes are what runc does silently (a name skipped on one arch).
struct ProfileCheck {
  std::string label;  // "" for a profile; "groups[0] CAP_SYS_ADMIN" for a group
  size_t names = 0;   // distinct syscall names
  std::vector<std::string> errors;
  std::vector<std::string> notes;
  std::vector<ArchSize> sizes;
};

// Checks a parsed profile or capability-groups document. An Error (kSpec) when the document is
// neither: not an object, no valid defaultAction, "syscalls" or "groups" not an array.
Result<std::vector<ProfileCheck>> check_seccomp_json(const Json& doc);

// The filter runc would load for an OCI linux.seccomp profile, exported as classic BPF: the
// native architecture and every listed one, names the runtime's libseccomp does not know
// skipped, entries whose action equals the default dropped, several conditions on one argument
// added as separate (ORed) rules. An Error (kSpec) where runc would fail: an unknown action,
// architecture or operator, a malformed entry, a rule libseccomp refuses.
Result<std::vector<sock_filter>> compile_runc_filter(const Json& profile);

}  // namespace oci_harden
