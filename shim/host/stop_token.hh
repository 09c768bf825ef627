// Who records a container's stop (issue 14): exactly one "stop" record per container, whoever
// comes (the poststop hook inside any runtime delete, `oci-harden delete` after it, several
// deletes at once). One token, <state_dir>/<id>/stop-token, decides:
//
//   take     A fresh file, created O_EXCL under a private name and flock(LOCK_EX)ed, is linked
//            to the token's name; link() is atomic, so exactly one taker's link succeeds, and
//            the token never has a name while it is unlocked by a live taker.
//   record   The taker (and only the taker) writes the stop record, then appends "recorded" to
//            the token. Its lock is the taker's life: a taker that dies (SIGKILL included)
//            loses the lock with its last descriptor, so nobody is blocked forever.
//   others   A later comer opens the named token and waits for its lock: "recorded" in it means
//            done; no "recorded" means the taker died before the record was written, and the
//            comer, now holding the lock, takes the record over.
//   remove   The token must outlive every runtime delete that may still run a hook for this
//            container. `oci-harden delete` holds a shared flock on <state_dir>/<id> from before
//            its runtime's delete until its work is done (DeleteHold); whoever finishes with no
//            holder left (the last delete, or a hook that ran with no delete around) removes the
//            token and the directory. `oci-harden create` forgets a token left by a killed
//            process of an earlier container of the same id (forget_stop_token).
//
// The window that remains: a taker killed after the record's append and before "recorded" is
// written (one write(2) later) leaves the record to be taken over and written twice -- a
// duplicate, never a loss.
#pragma once

#include <optional>
#include <string>

#include "shim/core/handles.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// <state_dir>/<id>/stop-token.
std::string stop_token_path(const std::string& state_dir, const std::string& container_id);

// A held token, or the word that the stop is recorded already.
class StopToken {
 public:
  StopToken() = default;
  // This process must record the stop (and then call mark_recorded).
  bool mine() const { return fd_.valid(); }
  // The token was taken from a taker that died before it recorded.
  bool taken_over() const { return taken_over_; }
  // Appends "recorded": every later comer stands down. The lock stays until destruction.
  Status mark_recorded();

 private:
  friend Result<StopToken> take_stop_token(const std::string&, const std::string&);
  UniqueFd fd_;
  bool taken_over_ = false;
};

// Takes the token (creating <state_dir> and <state_dir>/<id>, 0711, when missing), waiting
// while a live taker holds it. Not mine(): the stop is recorded (or the token was removed, which
// happens only after the record).
Result<StopToken> take_stop_token(const std::string& state_dir, const std::string& container_id);

// Whether a token is there at all (someone began the stop's work).
bool stop_token_exists(const std::string& state_dir, const std::string& container_id);

// Finished with <state_dir>/<id>: when no DeleteHold is on it, removes the token and the
// directory (when it holds nothing else). Called by the hook after its work.
void release_stop_token_if_alone(const std::string& state_dir, const std::string& container_id);

// `oci-harden delete`'s presence in <state_dir>/<id>, taken before the runtime's delete runs.
class DeleteHold {
 public:
  DeleteHold() = default;
  static Result<DeleteHold> enter(const std::string& state_dir, const std::string& container_id);
  // Lets go; the last one out removes the token and the directory (when it holds nothing else).
  void leave();

 private:
  UniqueFd dir_;
  std::string state_dir_;
  std::string container_id_;
};

// At create, for a container whose stop `oci-harden delete` records (no poststop hook,
// hook_plan.hh): <state_dir>/<id>/stop-at-delete names the runtime state directory the container
// lives in (runtime_state_root: one per --root, so per containerd namespace) and its bundle (for
// the record), and an earlier container's token is forgotten (as forget_stop_token). The file
// goes with the token, once the stop is recorded.
struct StopAtDelete {
  std::string runtime_root;  // runtime_state_root() of the container's runtime and --root
  std::string bundle;
};
Status expect_stop_at_delete(const std::string& state_dir, const std::string& container_id,
                             const StopAtDelete& what);

// That file's contents, when it is there, a regular file of ours writable by no one else, and
// whole; nullopt otherwise (no such container, or a poststop hook records its stop).
std::optional<StopAtDelete> stop_at_delete_of(const std::string& state_dir, const std::string& container_id);

// `oci-harden create`'s exclusive hold on <state_dir>/<id> while it judges an earlier
// container's stop and writes its own file: it waits for every DeleteHold of the id to leave
// (a delete between the runtime's delete and its own record), for at most `wait_ms`.
class CreateHold {
 public:
  static Result<CreateHold> enter(const std::string& state_dir, const std::string& container_id, int wait_ms);

 private:
  UniqueFd dir_;
};

// At create: a token left by an earlier container of this id (its delete killed after the
// record) must not silence this one's stop. One unlink(2), ENOENT as a rule.
void forget_stop_token(const std::string& state_dir, const std::string& container_id);

}  // namespace oci_harden
