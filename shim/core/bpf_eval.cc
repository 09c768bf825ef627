// Classic BPF over seccomp_data, with the kernel's seccomp restrictions (see bpf_eval.hh).
// Semantics follow net/core/filter.c as seccomp uses it: A and X start at 0, the scratch memory
// M[0..15] is 32-bit, division by a zero constant is refused up front (the kernel's checker
// does) and division by X = 0 returns 0 from the program (the kernel's run-time behaviour).

#include "shim/core/bpf_eval.hh"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

namespace oci_harden {
namespace {

constexpr size_t kMaxInstructions = BPF_MAXINSNS;  // 4096, the kernel's limit
constexpr uint32_t kScratch = BPF_MEMWORDS;        // 16

Error bad(size_t pc, const std::string& what) {
  return make_error(ErrorCode::kSpec, "bpf instruction " + std::to_string(pc) + ": " + what);
}

uint32_t load_word(const seccomp_data& d, uint32_t off) {
  uint32_t w = 0;
  std::memcpy(&w, reinterpret_cast<const unsigned char*>(&d) + off, sizeof w);
  return w;
}

// Applies an ALU operation; false for an operation seccomp does not allow.
bool alu(uint16_t op, uint32_t* a, uint32_t operand, bool* div_by_zero) {
  switch (op) {
    case BPF_ADD: *a += operand; return true;
    case BPF_SUB: *a -= operand; return true;
    case BPF_MUL: *a *= operand; return true;
    case BPF_DIV:
    case BPF_MOD:
      if (operand == 0) { *div_by_zero = true; return true; }
      *a = op == BPF_DIV ? *a / operand : *a % operand;
      return true;
    case BPF_AND: *a &= operand; return true;
    case BPF_OR: *a |= operand; return true;
    case BPF_XOR: *a ^= operand; return true;
    case BPF_LSH: *a = operand >= 32 ? 0 : *a << operand; return true;
    case BPF_RSH: *a = operand >= 32 ? 0 : *a >> operand; return true;
    case BPF_NEG: *a = 0u - *a; return true;
    default: return false;
  }
}

bool jump_taken(uint16_t op, uint32_t a, uint32_t operand, bool* known) {
  *known = true;
  switch (op) {
    case BPF_JEQ: return a == operand;
    case BPF_JGT: return a > operand;
    case BPF_JGE: return a >= operand;
    case BPF_JSET: return (a & operand) != 0;
    default: *known = false; return false;
  }
}

}  // namespace

Status bpf_check(const BpfProgram& prog) {
  if (prog.empty() || prog.size() > kMaxInstructions)
    return make_error(ErrorCode::kSpec, "bpf program of " + std::to_string(prog.size()) + " instructions");
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    if (BPF_CLASS(in.code) == BPF_JMP) {
      const size_t far = BPF_OP(in.code) == BPF_JA ? static_cast<size_t>(in.k) : std::max(in.jt, in.jf);
      if (pc + 1 + far >= prog.size()) return bad(pc, "jump past the end");
    }
  }
  const uint16_t last = prog.back().code;
  if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) return bad(prog.size() - 1, "no return at the end");
  // Every other instruction's kind: each is run alone on a zero seccomp_data, so that the
  // checks of bpf_run apply to instructions no path reaches.
  const seccomp_data zero{};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    const uint16_t op = BPF_OP(in.code);
    if (BPF_CLASS(in.code) == BPF_JMP) {
      const bool known = op == BPF_JA ? BPF_SRC(in.code) == BPF_K
                                      : op == BPF_JEQ || op == BPF_JGT || op == BPF_JGE || op == BPF_JSET;
      if (!known) return bad(pc, "jump operation seccomp does not allow");
      continue;
    }
    if (BPF_CLASS(in.code) == BPF_ALU && (op == BPF_DIV || op == BPF_MOD) && BPF_SRC(in.code) == BPF_K && in.k == 0)
      return bad(pc, "division by zero");
    auto r = bpf_run(BpfProgram{in, sock_filter{BPF_RET | BPF_K, 0, 0, 0}}, zero);
    if (!r) return bad(pc, r.error().message);
  }
  return Ok{};
}

Result<uint32_t> bpf_run(const BpfProgram& prog, const seccomp_data& data, std::vector<BpfComparison>* seen) {
  if (prog.empty() || prog.size() > kMaxInstructions)
    return make_error(ErrorCode::kSpec, "bpf program of " + std::to_string(prog.size()) + " instructions");
  uint32_t a = 0, x = 0;
  uint32_t mem[kScratch] = {};
  // Where A came from: a seccomp_data word, possibly ANDed with a constant (for `seen`).
  bool a_is_word = false;
  BpfComparison origin;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    const uint16_t cls = BPF_CLASS(in.code);
    switch (cls) {
      case BPF_LD:
        if (in.code == (BPF_LD | BPF_W | BPF_ABS)) {
          if (in.k % 4 != 0 || in.k > sizeof(seccomp_data) - 4) return bad(pc, "load outside seccomp_data");
          a = load_word(data, in.k);
          a_is_word = true;
          origin = BpfComparison{in.k, ~0u, 0, 0};
        } else if (in.code == (BPF_LD | BPF_W | BPF_LEN)) {
          a = sizeof(seccomp_data);
          a_is_word = false;
        } else if (in.code == (BPF_LD | BPF_IMM)) {
          a = in.k;
          a_is_word = false;
        } else if (in.code == (BPF_LD | BPF_MEM)) {
          if (in.k >= kScratch) return bad(pc, "scratch index out of range");
          a = mem[in.k];
          a_is_word = false;
        } else {
          return bad(pc, "load mode seccomp does not allow");
        }
        break;
      case BPF_LDX:
        if (in.code == (BPF_LDX | BPF_W | BPF_LEN)) x = sizeof(seccomp_data);
        else if (in.code == (BPF_LDX | BPF_IMM)) x = in.k;
        else if (in.code == (BPF_LDX | BPF_MEM)) {
          if (in.k >= kScratch) return bad(pc, "scratch index out of range");
          x = mem[in.k];
        } else {
          return bad(pc, "load mode seccomp does not allow");
        }
        break;
      case BPF_ST:
      case BPF_STX:
        if (in.code != cls || in.k >= kScratch) return bad(pc, "bad store");
        mem[in.k] = cls == BPF_ST ? a : x;
        break;
      case BPF_ALU: {
        const uint16_t op = BPF_OP(in.code);
        const bool from_x = BPF_SRC(in.code) == BPF_X;
        if (!from_x && (op == BPF_DIV || op == BPF_MOD) && in.k == 0) return bad(pc, "division by zero");
        bool div_zero = false;
        const uint32_t operand = from_x ? x : in.k;
        const bool masks = a_is_word && op == BPF_AND && !from_x;
        if (!alu(op, &a, operand, &div_zero)) return bad(pc, "ALU operation seccomp does not allow");
        if (div_zero) return 0u;  // the kernel ends the program with 0 (SECCOMP_RET_KILL_THREAD)
        if (masks) origin.mask &= in.k;
        else a_is_word = false;
        break;
      }
      case BPF_JMP: {
        const uint16_t op = BPF_OP(in.code);
        size_t target;
        if (op == BPF_JA) {
          if (BPF_SRC(in.code) != BPF_K) return bad(pc, "bad jump");
          target = pc + 1 + static_cast<size_t>(in.k);
        } else {
          bool known = false;
          const bool from_x = BPF_SRC(in.code) == BPF_X;
          const bool taken = jump_taken(op, a, from_x ? x : in.k, &known);
          if (!known) return bad(pc, "jump operation seccomp does not allow");
          if (seen != nullptr && a_is_word && !from_x) {
            BpfComparison c = origin;
            c.op = op;
            c.k = in.k;
            seen->push_back(c);
          }
          target = pc + 1 + (taken ? in.jt : in.jf);
        }
        if (target >= prog.size()) return bad(pc, "jump past the end");
        pc = target - 1;
        break;
      }
      case BPF_RET:
        if (in.code == (BPF_RET | BPF_K)) return in.k;
        if (in.code == (BPF_RET | BPF_A)) return a;
        return bad(pc, "bad return");
      case BPF_MISC:
        if (in.code == (BPF_MISC | BPF_TAX)) x = a;
        else if (in.code == (BPF_MISC | BPF_TXA)) { a = x; a_is_word = false; }
        else return bad(pc, "bad misc instruction");
        break;
      default:
        return bad(pc, "unknown instruction class");
    }
  }
  return make_error(ErrorCode::kSpec, "bpf program ends without a return");
}

}  // namespace oci_harden
