// The seccomp recorder (issue 15): `oci-harden-hook record ...`, started detached by oci-harden
// before it executes the runtime (shim/host/seccomp_listener.hh), with the listening socket of
// linux.seccomp.listenerPath as descriptor 3.
//
//   oci-harden-hook record --mode learn|watch-errno|watch-continue --workload NAME
//                          --container-id ID --digest sha256:HEX --arches A,B
//                          [--args NAME:I.J,NAME:I] [--out RECORDING]
//
// It accepts the runtime's one connection (the container state JSON with the filter's notify
// descriptor as SCM_RIGHTS; the socket is then removed), and answers each notification:
// learn and watch-continue with SECCOMP_USER_NOTIF_FLAG_CONTINUE (the call runs as if allowed),
// watch-errno with -EPERM. It never reads the caller's memory, so no answer depends on state
// that could change between the notification and the answer: SECCOMP_IOCTL_NOTIF_ID_VALID is
// not needed, and an answer to a caller that is gone (ENOENT) is not an error. A notification
// blocks its caller until it is answered, so none is lost; one the recorder cannot name
// (unknown architecture or number) is answered all the same and counted in "dropped".
// When the filter has no more users (the descriptor hangs up) it writes the recording (learn
// mode; <learn_dir>/<name>/<id>.json, temp + fsync + rename, 0600) and ONE audit record
// ("seccomp_learn" or "seccomp_watch").
//
// Memory is bounded: one entry per (architecture, syscall number), at most 64 distinct values per
// argument index.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"

namespace oci_harden {

enum class RecorderMode { kLearn, kWatchErrno, kWatchContinue };

struct RecorderOptions {
  RecorderMode mode = RecorderMode::kLearn;
  std::string workload;
  std::string container_id;
  std::string out;  // the recording (learn mode)
  std::string digest;
  std::vector<std::string> arches;
  std::map<std::string, std::vector<unsigned>> args;  // argument indices recorded, per name
};

// `args` after "record". An Error names the bad word.
Result<RecorderOptions> parse_recorder_args(const std::vector<std::string>& args);

constexpr size_t kMaxRecordedValues = 64;

// What was seen: one entry per (architecture, syscall number).
class Recording {
 public:
  explicit Recording(std::map<std::string, std::vector<unsigned>> args) : args_(std::move(args)) {}
  // One notification: the AUDIT_ARCH_* the kernel reports, the number and the six arguments.
  void add(uint32_t audit_arch, int nr, const uint64_t (&args)[6]);
  uint64_t notifications() const { return notifications_; }
  uint64_t dropped() const { return dropped_; }
  size_t distinct() const { return entries_.size(); }
  // The "syscalls" array of the recording, sorted by architecture then name.
  Json syscalls() const;
  // For a watch record: [{"name","arch","count"}].
  Json violations() const;

 private:
  struct Entry {
    std::string arch;
    std::string name;
    uint64_t count = 0;
    std::map<unsigned, std::vector<uint64_t>> values;
  };
  std::map<std::string, std::vector<unsigned>> args_;
  std::map<std::pair<uint32_t, int>, Entry> entries_;
  uint64_t notifications_ = 0;
  uint64_t dropped_ = 0;
};

// The OCI architecture name of an AUDIT_ARCH_* value and syscall number ("" when unknown).
std::string seccomp_arch_name(uint32_t audit_arch, int nr);

// The recording file's JSON.
Json recording_json(const RecorderOptions& o, const Recording& r, const std::string& started,
                    const std::string& ended);

// The whole recorder on descriptor `listen_fd`. Ok once the recording and the audit record are
// written; an Error says what failed (the caller prints it).
Status run_recorder(const RecorderOptions& o, int listen_fd);

}  // namespace oci_harden
