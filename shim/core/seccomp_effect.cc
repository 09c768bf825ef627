// Compiles profiles as runc does and compares what their filters return (see seccomp_effect.hh
// for what is compared and why). Nothing here touches the host beyond libseccomp's compiler and
// one memfd per compiled filter.

#include "shim/core/seccomp_effect.hh"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "shim/core/bpf_eval.hh"
#include "shim/core/seccomp_check.hh"

namespace oci_harden {
namespace {

constexpr size_t kMaxOpenListed = 8;
// Tries beyond the seeds, per syscall and architecture: a filter has at most 4096 instructions,
// so a chain of comparisons on one syscall yields at most ~8192 values to try, and each branch
// is one flip away. The whole judgement stops at kMaxTries and then fails closed (a profile
// built to exhaust the search is not trusted); ordinary profiles need ~1700 tries.
constexpr size_t kFlipsPerSyscall = 8192;
constexpr size_t kMaxTries = 200000;
constexpr int kMaxSyscallNumber = 600;   // every syscall libseccomp 2.5 knows is below this
constexpr uint32_t kX32Bit = 0x40000000;

using Args = std::array<uint64_t, 6>;

struct ArchInfo {
  std::string label;  // x86_64
  uint32_t audit = 0;  // seccomp_data.arch the kernel reports for it
  std::vector<std::pair<int, std::string>> calls;
};

// Per architecture, the syscall numbers and names libseccomp knows (computed once per process).
Result<const ArchInfo*> arch_info(const std::string& oci) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<ArchInfo>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(oci);
  if (it != cache.end()) return static_cast<const ArchInfo*>(it->second.get());
  const std::string prefix = "SCMP_ARCH_";
  std::string lib = oci.compare(0, prefix.size(), prefix) == 0 ? oci.substr(prefix.size()) : oci;
  std::transform(lib.begin(), lib.end(), lib.begin(), [](unsigned char c) { return std::tolower(c); });
  const uint32_t token = seccomp_arch_resolve_name(lib.c_str());
  if (token == 0) return make_error(ErrorCode::kSpec, "unknown architecture " + oci);
  auto info = std::make_unique<ArchInfo>();
  info->label = lib;
  // x32 calls reach a filter as x86_64 with bit 30 set in the number.
  info->audit = token == SCMP_ARCH_X32 ? static_cast<uint32_t>(SCMP_ARCH_X86_64) : token;
  const uint32_t base = token == SCMP_ARCH_X32 ? kX32Bit : 0;
  for (int nr = 0; nr < kMaxSyscallNumber; ++nr) {
    const int full = static_cast<int>(base) + nr;
    char* name = seccomp_syscall_resolve_num_arch(token, full);
    if (name == nullptr) continue;
    info->calls.emplace_back(full, name);
    std::free(name);
  }
  const ArchInfo* out = info.get();
  cache.emplace(oci, std::move(info));
  return out;
}

// Reference filters are compiled once per process, keyed by the profile's text.
Result<std::shared_ptr<const BpfProgram>> compiled(const Json& profile, bool cache_it) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const BpfProgram>> cache;
  std::string key;
  if (cache_it) {
    key = to_json(profile);
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  auto prog = compile_runc_filter(profile);
  if (!prog) return prog.error();
  Status valid = bpf_check(*prog);
  if (!valid) return valid.error();
  auto shared = std::make_shared<const BpfProgram>(std::move(*prog));
  if (cache_it) {
    std::lock_guard<std::mutex> lock(mu);
    if (cache.size() < 16) cache.emplace(key, shared);
  }
  return shared;
}

bool lets_through(uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_TRACE:  // a tracer in the container lets it run (seccomp_effect.hh)
      return true;
    default:  // ERRNO, TRAP, KILL_*, USER_NOTIF (a listener the policy names), unknown: kill
      return false;
  }
}

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                        CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET, 0x80 /* NEWTIME */};
constexpr const char* kNamespaceNames[] = {"CLONE_NEWNS",   "CLONE_NEWCGROUP", "CLONE_NEWUTS", "CLONE_NEWIPC",
                                           "CLONE_NEWUSER", "CLONE_NEWPID",    "CLONE_NEWNET", "CLONE_NEWTIME"};
constexpr uint64_t kHighBit = 1ULL << 32;
constexpr int kAddressFamilies = 46;  // AF_MAX

// The argument vectors tried first for a syscall (zero arguments, then the values that matter).
std::vector<Args> seeds_for(const std::string& name) {
  std::vector<Args> out{Args{}};
  auto first = [&](uint64_t a0) { out.push_back(Args{a0, 0, 0, 0, 0, 0}); };
  if (name == "clone" || name == "unshare") {
    for (size_t i = 0; i + 1 < std::size(kNamespaceFlags); ++i) first(kNamespaceFlags[i]);
    first(CLONE_NEWUSER | CLONE_NEWNS);
    if (name == "clone") {
      first(CLONE_NEWUSER | 17 /* SIGCHLD */);
      first(CLONE_NEWUSER | kHighBit);  // the kernel reads the low 32 bits of clone's flags
    } else {
      first(0x80);  // CLONE_NEWTIME is a real unshare flag
    }
  } else if (name == "socket" || name == "socketpair") {
    for (int f = 0; f < kAddressFamilies; ++f) first(static_cast<uint64_t>(f));
    for (uint64_t f : {16, 17, 38, 40}) first(f | kHighBit);  // int: upper bits are ignored
  } else if (name == "personality") {
    for (uint64_t p : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL, 0x400000ULL, 0x40000ULL,
                       0x0006ULL, 0x400000ULL | kHighBit})
      first(p);
  }
  return out;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// How a tried call is named in the record: unshare(CLONE_NEWUSER), socket(family 40), ...
std::string describe(const std::string& name, const Args& a) {
  if (name == "clone" || name == "unshare") {
    std::string flags;
    for (size_t i = 0; i < std::size(kNamespaceFlags); ++i) {
      if (name == "clone" && kNamespaceFlags[i] == 0x80) continue;  // clone: exit signal byte
      if ((a[0] & kNamespaceFlags[i]) != 0) flags += (flags.empty() ? "" : "|") + std::string(kNamespaceNames[i]);
    }
    if (!flags.empty()) return name + "(" + flags + ")";
  }
  if (name == "socket" || name == "socketpair") return name + "(family " + std::to_string(a[0] & 0xffffffffu) + ")";
  size_t last = a.size();
  while (last > 0 && a[last - 1] == 0) --last;
  if (last == 0) return name;
  std::string out = name + "(";
  for (size_t i = 0; i < last; ++i) out += (i ? ", " : "") + hex(a[i]);
  return out + ")";
}

// The argument values that take the other branch of each comparison met on argument words.
void flips(const std::vector<BpfComparison>& seen, const Args& args, std::deque<Args>* queue) {
  constexpr uint32_t kArgsOffset = offsetof(seccomp_data, args);
  for (const BpfComparison& c : seen) {
    if (c.offset < kArgsOffset) continue;
    const size_t index = (c.offset - kArgsOffset) / 8;
    // The second word of a 64-bit argument is its high half on a little-endian host.
    const bool second_word = (c.offset - kArgsOffset) % 8 != 0;
    const uint32_t shift = second_word == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) ? 32 : 0;
    const uint32_t cur = static_cast<uint32_t>(args[index] >> shift);
    const uint32_t keep = cur & ~c.mask;
    std::vector<uint32_t> values;
    switch (c.op) {
      case BPF_JEQ: {
        const uint32_t eq = keep | (c.k & c.mask);
        values = {eq, eq ^ (c.mask & (0u - c.mask))};  // equal, and off by the mask's lowest bit
        break;
      }
      case BPF_JGT: values = {keep | c.k, keep | (c.k + 1)}; break;
      case BPF_JGE: values = {keep | c.k, keep | (c.k - 1)}; break;
      case BPF_JSET: values = {cur | c.k, cur & ~c.k}; break;
      default: break;
    }
    for (uint32_t v : values) {
      Args next = args;
      next[index] = (next[index] & ~(0xffffffffULL << shift)) | (static_cast<uint64_t>(v) << shift);
      queue->push_back(next);
    }
  }
}

// Calls found open, per reference: description -> architectures, in the order found.
struct OpenCalls {
  std::vector<std::string> order;
  std::map<std::string, std::string> name_of;  // description -> syscall
  std::map<std::string, std::vector<std::string>> arches;
  std::set<std::string> syscalls;  // distinct names, the measure of distance
  void add(const std::string& name, const std::string& what, const std::string& arch) {
    syscalls.insert(name);
    name_of[what] = name;
    auto& list = arches[what];
    if (list.empty()) order.push_back(what);
    if (std::find(list.begin(), list.end(), arch) == list.end()) list.push_back(arch);
  }
};

// A call the policy's filter denies and the spec's lets through.
struct Violation {
  const ArchInfo* arch;
  int nr;
  std::string name;
  Args args;
};

seccomp_data data_for(const ArchInfo& arch, int nr, const Args& args) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch.audit;
  std::copy(args.begin(), args.end(), d.args);
  return d;
}

// Tries one syscall on one architecture; appends what the spec's filter lets through and the
// policy's denies to `found`.
Status try_syscall(const BpfProgram& spec, const BpfProgram& policy, const ArchInfo& arch, int nr,
                   const std::string& name, std::vector<Violation>* found, size_t* probes) {
  std::deque<Args> queue;
  for (const Args& s : seeds_for(name)) queue.push_back(s);
  const size_t budget = queue.size() + kFlipsPerSyscall;
  std::set<Args> tried;
  while (!queue.empty() && tried.size() < budget) {
    Args args = queue.front();
    queue.pop_front();
    if (!tried.insert(args).second) continue;
    if (++*probes > kMaxTries)
      return make_error(ErrorCode::kSpec, "more than " + std::to_string(kMaxTries) + " argument vectors to try");
    const seccomp_data d = data_for(arch, nr, args);
    std::vector<BpfComparison> seen;
    auto p = bpf_run(policy, d, &seen);
    if (!p) return p.error();
    auto s = bpf_run(spec, d, &seen);
    if (!s) return s.error();
    flips(seen, args, &queue);
    if (!lets_through(*p) && lets_through(*s)) found->push_back(Violation{&arch, nr, name, args});
  }
  return Ok{};
}

// The order of the record's list only (the judgement treats every call alike): a user
// namespace first, then the calls that are the usual first step of an escape, then the rest in
// syscall number order, so that the first few names say what the profile really opens.
size_t report_rank(const std::string& name, const std::string& what) {
  static const char* const kFirst[] = {"unshare", "clone", "clone3", "setns", "mount", "fsopen", "open_tree",
                                       "keyctl", "add_key", "bpf", "ptrace", "process_vm_writev",
                                       "io_uring_setup", "userfaultfd", "perf_event_open", "kexec_load",
                                       "init_module", "finit_module", "open_by_handle_at", "socket"};
  if (what.find("CLONE_NEWUSER") != std::string::npos) return 0;
  for (size_t i = 0; i < std::size(kFirst); ++i)
    if (name == kFirst[i]) return 1 + i;
  return 100;
}

std::vector<std::string> listed(const OpenCalls& calls) {
  std::vector<std::string> order = calls.order;
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return report_rank(calls.name_of.at(a), a) < report_rank(calls.name_of.at(b), b);
  });
  std::vector<std::string> out;
  for (const std::string& what : order) {
    if (out.size() == kMaxOpenListed) {
      out.push_back("and " + std::to_string(calls.order.size() - kMaxOpenListed) + " more");
      break;
    }
    std::string line = what + " on ";
    const auto& arches = calls.arches.at(what);
    for (size_t i = 0; i < arches.size(); ++i) line += (i ? ", " : "") + arches[i];
    out.push_back(line);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& host_seccomp_architectures() {
  static const std::vector<std::string> arches =
#if defined(__x86_64__)
      {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
      {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#elif defined(__s390x__)
      {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"};
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
      {"SCMP_ARCH_PPC64LE"};
#elif defined(__riscv) && __riscv_xlen == 64
      {"SCMP_ARCH_RISCV64"};
#else
      {};
#endif
  return arches;
}

std::vector<std::string> kernel_seccomp_architectures(bool runs_x32) {
  std::vector<std::string> out;
  for (const std::string& a : host_seccomp_architectures())
    if (runs_x32 || a != "SCMP_ARCH_X32") out.push_back(a);
  return out;
}

Result<SeccompEffect> judge_seccomp_effect(const Json& profile, const std::vector<ReferenceProfile>& references,
                                           const std::vector<std::string>& arches) {
  if (references.empty() || references[0].profile == nullptr)
    return make_error(ErrorCode::kPolicy, "no policy profile to compare with");
  auto spec = compiled(profile, false);
  if (!spec) return std::move(spec).context("the container's linux.seccomp").error();
  auto policy = compiled(*references[0].profile, true);
  if (!policy) return std::move(policy).context("the policy's seccomp profile").error();
  // First the calls the policy's filter denies and the spec's lets through ...
  std::vector<Violation> found;
  SeccompEffect out;
  for (const std::string& oci : arches) {
    auto arch = arch_info(oci);
    if (!arch) return arch.error();
    for (const auto& [nr, name] : (*arch)->calls) {
      Status st = try_syscall(**spec, **policy, **arch, nr, name, &found, &out.probes);
      if (!st) return std::move(st).context(name + " on " + (*arch)->label).error();
    }
  }
  // ... then, per reference, those of them it denies too. The engine defaults are compiled only
  // when needed, and the first reference that denies none of them ends the judgement.
  std::vector<OpenCalls> open(references.size());
  for (size_t i = 0; i < references.size(); ++i) {
    std::shared_ptr<const BpfProgram> ref;
    if (i > 0) {
      if (references[i].profile == nullptr)
        return make_error(ErrorCode::kPolicy, "reference profile " + references[i].name + " missing");
      auto r = compiled(*references[i].profile, true);
      if (!r) return std::move(r).context("the " + references[i].name + " seccomp profile").error();
      ref = *r;
    }
    for (const Violation& v : found) {
      bool denied = true;  // by the policy's filter: that is how it was found
      if (ref) {
        auto verdict = bpf_run(*ref, data_for(*v.arch, v.nr, v.args));
        if (!verdict) return verdict.error();
        denied = !lets_through(*verdict);
      }
      if (denied) open[i].add(v.name, describe(v.name, v.args), v.arch->label);
    }
    if (open[i].order.empty()) {
      out.closest = references[i].name;
      return out;
    }
  }
  size_t best = 0;
  for (size_t i = 1; i < open.size(); ++i)
    if (open[i].syscalls.size() < open[best].syscalls.size()) best = i;
  out.weaker = true;
  out.closest = references[best].name;
  out.open = listed(open[best]);
  return out;
}

}  // namespace oci_harden
