// Who records a container's stop (issue 14): `oci-harden delete` does the poststop work itself
// (the stop record, the idmapped root's removal) after the runtime's delete succeeded. The
// poststop hook, which the runtime runs inside that same delete, must then do nothing: the
// delete's runtime process leaves a claim, <state_dir>/<id>/delete-pid holding its own pid,
// and the hook stands down only when the claim names its parent (the runtime that runs it).
// A claim left behind (a delete killed halfway) names a process that is not the next hook's
// parent, so it never silences a later stop.
#pragma once

#include <sys/types.h>

#include <string>

#include "shim/core/result.hh"

namespace oci_harden {

// <state_dir>/<id>/delete-pid.
std::string delete_claim_path(const std::string& state_dir, const std::string& container_id);

// Writes the claim for `runtime_pid` (the process about to exec the runtime's delete),
// creating <state_dir> and <state_dir>/<id> (0700) if they are missing.
Status write_delete_claim(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid);

// Whether a claim for `runtime_pid` is there: a regular file owned by this user, writable by
// no one else, holding exactly that pid. Anything else (absent, foreign, stale) is no claim.
bool delete_claimed_by(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid);

// The hook's answer: it ran inside the claiming runtime's delete (so the runtime had the
// container and destroyed it), <state_dir>/<id>/delete-seen holding that runtime's pid. Only
// then does oci-harden delete record the stop: a delete of a container the runtime no longer
// has (Docker's second `delete --force`, which runc answers with 0) records nothing.
Status mark_delete_claim_seen(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid);
bool delete_claim_seen(const std::string& state_dir, const std::string& container_id, pid_t runtime_pid);

// Removes the claim and the hook's answer (absent is fine).
void remove_delete_claim(const std::string& state_dir, const std::string& container_id);

}  // namespace oci_harden
