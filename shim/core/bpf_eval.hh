// A classic-BPF interpreter for seccomp filters: runs a program, as the kernel would, over one
// struct seccomp_data and returns the 32-bit SECCOMP_RET_* value. It accepts exactly what the
// kernel's seccomp_check_filter() accepts (32-bit absolute loads inside seccomp_data, aligned;
// ALU, jumps, returns, the scratch memory, TAX/TXA) and nothing else: any other instruction, a
// load outside seccomp_data, a jump past the end or a program that falls off its end is an
// Error, so a caller that cannot judge a filter fails closed. Classic BPF jumps only forward, so
// a run takes at most as many steps as the program has instructions.
//
// The interpreter also reports what the program compared each argument word with on the path
// it took (seccomp_effect.cc uses that to choose the next argument values to try).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

using BpfProgram = std::vector<sock_filter>;

// One comparison of a loaded seccomp_data word (possibly masked by an AND) with a constant.
struct BpfComparison {
  uint32_t offset = 0;      // byte offset of the word in seccomp_data
  uint32_t mask = ~0u;      // the AND applied to it before the comparison (all ones: none)
  uint16_t op = 0;          // BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET
  uint32_t k = 0;
};

// The kernel's load-time check (seccomp_check_filter + bpf_check_classic): size, every
// instruction one seccomp allows, every jump target inside the program, a return at the end.
// Run it once per program; bpf_run repeats only the checks on the path it takes.
Status bpf_check(const BpfProgram& prog);

// Runs `prog` over `data`. `seen`, when not null, receives the comparisons on the path taken.
Result<uint32_t> bpf_run(const BpfProgram& prog, const seccomp_data& data,
                         std::vector<BpfComparison>* seen = nullptr);

}  // namespace oci_harden
