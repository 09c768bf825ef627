// Judging a seccomp profile by what its filter does, not by how it is written (issue 12, item 4).
//
// The question: does the container's own profile (linux.seccomp as the engine wrote it) let a
// call through that the policy's profile — as the seccomp rule would install it, with the
// capability groups of the container's final bounding set — denies? Names and spellings prove
// nothing (a name libseccomp does not know is skipped by runc, a rule on the wrong argument
// binds nothing, a compat architecture has its own section), so both profiles are compiled with
// libseccomp exactly as runc compiles them and the two filters are run, in a classic-BPF
// interpreter (bpf_eval.hh), on the same struct seccomp_data values.
//
// Which calls are tried. For every architecture this host's kernel can present to a filter (the
// native one and its compat ABIs: x86_64, i386 and x32 on an x86_64 host), every syscall number
// libseccomp knows, first with zero arguments and with the argument values that matter for the
// policy's conditional entries: clone and unshare with each CLONE_NEW* flag (and clone with a
// bit above 32, which the kernel ignores), socket with every address family (AF_NETLINK,
// AF_PACKET, AF_ALG, AF_VSOCK, ...; also with upper register bits set), personality with the
// allowed values and with READ_IMPLIES_EXEC / ADDR_NO_RANDOMIZE. From each of these the search
// then follows the filters themselves: every comparison of an argument word met on the path
// taken (in either filter) is flipped, one at a time, and the new argument vector is tried
// (at most 8192 tries per syscall; past 200 000 tries in all the profile is not judged, and the
// caller treats it as weaker). libseccomp's filters compare each argument word (possibly
// masked) with constants, so every branch is one flip away from a path that reaches it.
//
// What counts as "let through": ALLOW, LOG, and TRACE (without a tracer the kernel answers
// ENOSYS, but a process in the container that may ptrace, as Docker's profile allows, becomes
// the tracer of its child and lets the call run: since Linux 4.8 a traced call is re-checked
// and a TRACE verdict then allows it). USER_NOTIF hands the decision to a host process: the
// seccomp rule refuses a listener the policy does not name before asking this question, so a
// notify verdict that reaches here is that trusted process's decision and is not counted as
// open. Denied: ERRNO with any errno (a different errno is no weaker), TRAP, KILL, and any
// action the kernel does not know (it kills).
//
// Which baseline. Docker's and Podman's own default profiles must keep running unchanged, and
// neither is a subset of the policy's: Docker's allows ptrace, io_uring, modify_ldt and every
// socket family; Podman's allows unshare (so CLONE_NEWUSER), mount, setns, keyctl and clone3.
// Comparing with the policy's profile alone would replace both; dropping those calls from the
// comparison would let `--security-opt seccomp=<Docker's profile plus unshare>` through. So the
// comparison is with a set of reference profiles: the policy's own, and the engine defaults the
// policy accepts (seccomp.accepted_defaults; shipped: Docker's and Podman's as they put them in
// config.json, profiles/engine-seccomp-*.json). Only calls the policy's profile denies count.
// A profile is weaker when, for every reference, it lets through some call that the policy's
// profile and that reference both deny: it is no more open than the policy's or than one of the
// engine defaults, or it is replaced. Which engine defaults count for a container is the
// seccomp rule's choice (shim/core/rules/seccomp.cc): Podman's only for Podman's own bundles, so
// Podman's profile handed to any other container is judged against Docker's and replaced; a
// policy that lists none compares with its own profile only. The calls reported are those of the closest reference (fewest distinct syscalls open):
// Docker's profile plus unshare is reported as "unshare(...)" against Docker's.
//
// What it costs: libseccomp needs 15-30 ms to compile a profile of ~370 names for three
// architectures, and the interpreter ~5 ms for the ~1700 argument vectors. Reference filters
// are compiled once per process and only when needed (an engine default only when the calls
// found are not all allowed by the references before it); the seccomp rule skips all of it for
// a profile identical to the policy's or to an accepted engine default (same text, same filter).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// The seccomp architectures (OCI names) a kernel of the architecture this binary was built for
// can present to a filter: its own and its compat ABIs. Empty where not known.
const std::vector<std::string>& host_seccomp_architectures();
// host_seccomp_architectures() without the ABIs the running kernel does not run (x32 where
// `runs_x32` is false): the architectures a filter section can ever match on this host.
std::vector<std::string> kernel_seccomp_architectures(bool runs_x32);

// A profile a container's own profile may be as open as.
struct ReferenceProfile {
  std::string name;  // "policy", "docker", "podman"
  const Json* profile = nullptr;
};

struct SeccompEffect {
  bool weaker = false;
  std::string closest;             // name of the reference with the fewest open calls
  std::vector<std::string> open;   // those calls, e.g. "unshare(CLONE_NEWUSER) on x86_64, x86, x32"
  size_t probes = 0;               // argument vectors tried
};

// Judges `profile` against `references` (the first is the policy's own profile: the calls it
// denies are the ones that count) on the architectures `arches` (OCI names). An Error when a
// filter cannot be compiled or interpreted: the caller treats the profile as weaker (runc would
// fail on a profile libseccomp refuses, and a filter that cannot be judged is not trusted).
// Compiled reference filters are kept for the life of the process.
Result<SeccompEffect> judge_seccomp_effect(const Json& profile, const std::vector<ReferenceProfile>& references,
                                           const std::vector<std::string>& arches);

}  // namespace oci_harden
