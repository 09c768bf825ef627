// Checks a seccomp profile with libseccomp: names resolved per architecture, duplicates found,
// the filter compiled to BPF for each architecture (as runc compiles it: native syscall numbers
// translated by libseccomp, rules whose action equals the default dropped, several conditions
// on one argument added as separate, ORed rules) and its size measured by exporting it to a
// memfd. Nothing here prints: shim/cli/profile_check formats the findings, hardenctl_main.cc
// prints them.

#include "shim/core/seccomp_check.hh"

#include <sys/mman.h>
#include <sys/stat.h>

#include <seccomp.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <type_traits>

#include "shim/core/handles.hh"

namespace oci_harden {
namespace {

// The architectures runc knows, OCI name to libseccomp name.
const std::map<std::string, std::string> kArchNames = {
    {"SCMP_ARCH_X86", "x86"},           {"SCMP_ARCH_X86_64", "x86_64"},
    {"SCMP_ARCH_X32", "x32"},           {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64"},   {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},     {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},     {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"}, {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},       {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},         {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc"},     {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
};

// The capability groups carry no architectures of their own: they are appended to the shipped
// profiles, so they are checked on those profiles' architectures.
const char* const kGroupArches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};

constexpr uint64_t kEperm = EPERM;  // runc's errno for SCMP_ACT_ERRNO without errnoRet

struct Arch {
  std::string oci;
  uint32_t token;
};

struct Rule {
  std::string name;
  uint32_t action;
  std::string action_text;
  std::vector<scmp_arg_cmp> args;
  bool same_arg_twice = false;
  std::string where;  // syscalls[3]
};

Error invalid(const std::string& msg) { return make_error(ErrorCode::kSpec, msg); }

bool parse_action(const std::string& s, uint64_t err, uint32_t* out) {
  auto e = static_cast<uint16_t>(err);
  if (s == "SCMP_ACT_ALLOW") *out = SCMP_ACT_ALLOW;
  else if (s == "SCMP_ACT_ERRNO") *out = SCMP_ACT_ERRNO(e);
  else if (s == "SCMP_ACT_KILL" || s == "SCMP_ACT_KILL_THREAD") *out = SCMP_ACT_KILL_THREAD;
  else if (s == "SCMP_ACT_KILL_PROCESS") *out = SCMP_ACT_KILL_PROCESS;
  else if (s == "SCMP_ACT_TRAP") *out = SCMP_ACT_TRAP;
  else if (s == "SCMP_ACT_TRACE") *out = SCMP_ACT_TRACE(e);
  else if (s == "SCMP_ACT_LOG") *out = SCMP_ACT_LOG;
  else if (s == "SCMP_ACT_NOTIFY") *out = SCMP_ACT_NOTIFY;
  else return false;
  return err <= 0xffff;
}

bool parse_op(const std::string& s, scmp_compare* op) {
  static const std::map<std::string, scmp_compare> kOps = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  auto it = kOps.find(s);
  if (it == kOps.end()) return false;
  *op = it->second;
  return true;
}

// One OCI args[] element; false with *err set when it is malformed.
bool parse_arg(const Json& a, scmp_arg_cmp* out, std::string* err) {
  uint64_t idx = 0, v = 0, v2 = 0;
  const Json* jidx = a.get("index");
  const Json* jv = a.get("value");
  const Json* jv2 = a.get("valueTwo");
  const Json* jop = a.get("op");
  scmp_compare op{};
  if (!a.is_object()) *err = "not an object";
  else if (jidx == nullptr || !jidx->to_uint64(&idx) || idx > 5) *err = "index must be 0..5";
  else if (jv == nullptr || !jv->to_uint64(&v)) *err = "value must be an unsigned integer";
  else if (jv2 != nullptr && !jv2->to_uint64(&v2)) *err = "valueTwo must be an unsigned integer";
  else if (jop == nullptr || !jop->is_string() || !parse_op(jop->text(), &op)) *err = "op is not an SCMP_CMP_*";
  else {
    *out = scmp_arg_cmp{static_cast<unsigned>(idx), op, v, v2};
    return true;
  }
  return false;
}

// One syscalls[] entry: a Rule per name, appended to *rules; malformed entries become errors.
void parse_entry(const Json& e, const std::string& where, std::vector<Rule>* rules, ProfileCheck* pc) {
  auto bad = [&](const std::string& m) { pc->errors.push_back(where + ": " + m); };
  if (!e.is_object()) return bad("not an object");
  const Json* names = e.get("names");
  const Json* action = e.get("action");
  const Json* eret = e.get("errnoRet");
  const Json* args = e.get("args");
  if (names == nullptr || !names->is_array() || names->items().empty()) return bad("\"names\" must be a non-empty array");
  if (action == nullptr || !action->is_string()) return bad("\"action\" missing");
  Rule r;
  r.where = where;
  r.action_text = action->text();
  uint64_t err = kEperm;
  if (eret != nullptr && !eret->to_uint64(&err)) return bad("errnoRet must be an unsigned integer");
  if (!parse_action(r.action_text, err, &r.action)) return bad("unknown action " + r.action_text + " or errnoRet out of range");
  if (args != nullptr && !args->is_null()) {
    if (!args->is_array() || args->items().size() > 6) return bad("\"args\" must be an array of at most 6");
    std::set<unsigned> seen;
    for (size_t i = 0; i < args->items().size(); ++i) {
      scmp_arg_cmp c{};
      std::string m;
      if (!parse_arg(args->items()[i], &c, &m)) return bad("args[" + std::to_string(i) + "]: " + m);
      if (!seen.insert(c.arg).second) r.same_arg_twice = true;
      r.args.push_back(c);
    }
  }
  if (r.same_arg_twice)
    bad("several conditions on one argument: runc adds each as a rule of its own, so they are ORed, not ANDed");
  for (size_t i = 0; i < names->items().size(); ++i) {
    const Json& n = names->items()[i];
    if (!n.is_string() || n.text().empty()) {
      bad("names[" + std::to_string(i) + "] is not a name");
      continue;
    }
    Rule one = r;
    one.name = n.text();
    rules->push_back(std::move(one));
  }
}

bool same_args(const Rule& a, const Rule& b) {
  if (a.args.size() != b.args.size()) return false;
  for (size_t i = 0; i < a.args.size(); ++i) {
    const scmp_arg_cmp &x = a.args[i], &y = b.args[i];
    if (x.arg != y.arg || x.op != y.op || x.datum_a != y.datum_a || x.datum_b != y.datum_b) return false;
  }
  return true;
}

void find_duplicates(const std::vector<Rule>& rules, ProfileCheck* pc) {
  for (size_t i = 0; i < rules.size(); ++i) {
    for (size_t j = i + 1; j < rules.size(); ++j) {
      const Rule &a = rules[i], &b = rules[j];
      if (a.name != b.name || !same_args(a, b)) continue;
      std::string cond = a.args.empty() ? "" : " with the same conditions";
      if (a.action == b.action)
        pc->errors.push_back("duplicate: \"" + a.name + "\" is listed twice for " + a.action_text + cond +
                             " (" + a.where + ", " + b.where + ")");
      else
        pc->errors.push_back("conflict: \"" + a.name + "\" has two actions, " + a.action_text + " and " +
                             b.action_text + cond + " (" + a.where + ", " + b.where + ")");
    }
  }
}

// Whether `name` is a syscall on `arch`: a number of its own, or a socketcall/ipc sub-call.
bool resolves_on(uint32_t arch, const std::string& name) {
  int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
  if (nr >= 0) return true;
  if (nr == __NR_SCMP_ERROR) return false;
  // libseccomp pseudo-numbers: -1xx socketcall sub-calls, -2xx ipc sub-calls, <= -10000 a name
  // that this architecture lacks.
  if (nr > -200 && nr < -100) return seccomp_syscall_resolve_name_arch(arch, "socketcall") >= 0;
  if (nr > -300 && nr <= -200) return seccomp_syscall_resolve_name_arch(arch, "ipc") >= 0;
  return false;
}

void check_names(const std::vector<Rule>& rules, const std::vector<Arch>& arches, ProfileCheck* pc) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const Rule& r : rules)
    if (seen.insert(r.name).second) names.push_back(r.name);
  pc->names = names.size();
  std::map<std::string, std::string> missing_on;  // arch -> names
  for (const std::string& n : names) {
    std::vector<std::string> absent;
    for (const Arch& a : arches)
      if (!resolves_on(a.token, n)) absent.push_back(a.oci);
    if (absent.size() == arches.size()) {
      pc->errors.push_back("unknown syscall \"" + n + "\" on every listed architecture");
      continue;
    }
    for (const std::string& a : absent) missing_on[a] += " " + n;
  }
  for (const Arch& a : arches) {
    auto it = missing_on.find(a.oci);
    if (it != missing_on.end()) pc->notes.push_back(a.oci + " has no syscall (runc skips it):" + it->second);
  }
}

// The filter exported as classic BPF, read back from a memfd.
Result<std::vector<sock_filter>> read_bpf(const ScmpFilter& ctx) {
  UniqueFd fd(memfd_create("oci-harden-bpf", MFD_CLOEXEC));
  if (!fd.valid()) return make_error(ErrorCode::kIo, std::string("memfd_create: ") + std::strerror(errno));
  int rc = seccomp_export_bpf(ctx.get(), fd.get());
  if (rc < 0) return make_error(ErrorCode::kIo, std::string("seccomp_export_bpf: ") + std::strerror(-rc));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return make_error(ErrorCode::kIo, std::string("fstat: ") + std::strerror(errno));
  std::vector<sock_filter> prog(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  const size_t bytes = prog.size() * sizeof(sock_filter);
  if (bytes == 0 || pread(fd.get(), prog.data(), bytes, 0) != static_cast<ssize_t>(bytes))
    return make_error(ErrorCode::kIo, "reading the exported filter back");
  return prog;
}

// Size in BPF instructions (8 bytes each) of the exported program.
Result<long> bpf_instructions(const ScmpFilter& ctx) {
  auto prog = read_bpf(ctx);
  if (!prog) return prog.error();
  return static_cast<long>(prog->size());
}

// Adds one rule for syscall `nr` the way runc does: conditions that share an argument become
// one rule each (ORed). 0, or the first negative errno libseccomp returns.
int add_runc_rule(const ScmpFilter& ctx, const Rule& r, int nr) {
  size_t groups = r.same_arg_twice ? r.args.size() : 1;
  for (size_t g = 0; g < groups; ++g) {
    int rc = r.same_arg_twice
                 ? seccomp_rule_add_array(ctx.get(), r.action, nr, 1, &r.args[g])
                 : seccomp_rule_add_array(ctx.get(), r.action, nr, static_cast<unsigned>(r.args.size()),
                                          r.args.data());
    if (rc != 0) return rc;
  }
  return 0;
}

// Compiles the rules for one architecture alone, the way runc adds them.
void compile_for(const Arch& arch, uint32_t def, const std::vector<Rule>& rules, ProfileCheck* pc) {
  ScmpFilter ctx(seccomp_init(def));
  if (!ctx) return pc->errors.push_back(arch.oci + ": seccomp_init refused the default action");
  if (arch.token != seccomp_arch_native()) {
    int rc = seccomp_arch_add(ctx.get(), arch.token);
    if (rc == 0) rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE);
    if (rc != 0) return pc->errors.push_back(arch.oci + ": seccomp_arch_add: " + std::strerror(-rc));
  }
  for (const Rule& r : rules) {
    if (r.action == def) continue;  // runc drops it (noted once, by the caller)
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // reported by check_names; runc skips it
    int rc = add_runc_rule(ctx, r, nr);
    if (rc != 0)
      pc->errors.push_back(arch.oci + ": seccomp_rule_add(\"" + r.name + "\", " + r.action_text + ", " +
                           std::to_string(r.args.size()) + " conditions) (" + r.where +
                           "): " + std::strerror(-rc));
  }
  auto n = bpf_instructions(ctx);
  if (!n) return pc->errors.push_back(arch.oci + ": " + n.error().message);
  pc->sizes.push_back(ArchSize{arch.oci, *n});
}

// Checks syscalls[] under a default action and architectures, filling *pc.
void check_rules(const Json& syscalls, uint32_t def, const std::vector<Arch>& arches, ProfileCheck* pc) {
  std::vector<Rule> rules;
  for (size_t i = 0; i < syscalls.items().size(); ++i)
    parse_entry(syscalls.items()[i], "syscalls[" + std::to_string(i) + "]", &rules, pc);
  check_names(rules, arches, pc);
  find_duplicates(rules, pc);
  std::set<std::string> dropped;
  for (const Rule& r : rules)
    if (r.action == def && dropped.insert(r.where).second)
      pc->notes.push_back(r.where + ": action equals the default action; runc drops this entry");
  for (const Arch& a : arches) compile_for(a, def, rules, pc);
}

Result<std::vector<Arch>> arches_of(const Json& profile, ProfileCheck* pc) {
  std::vector<Arch> out;
  const Json* list = profile.get("architectures");
  if (list == nullptr || list->is_null() || (list->is_array() && list->items().empty())) {
    pc->notes.push_back("no \"architectures\": runc filters the native architecture only");
    out.push_back(Arch{"SCMP_ARCH_NATIVE", seccomp_arch_native()});
    return out;
  }
  if (!list->is_array()) return invalid("\"architectures\" must be an array");
  for (const Json& a : list->items()) {
    auto it = a.is_string() ? kArchNames.find(a.text()) : kArchNames.end();
    uint32_t token = it == kArchNames.end() ? 0 : seccomp_arch_resolve_name(it->second.c_str());
    if (token == 0) {
      pc->errors.push_back("unknown architecture " + (a.is_string() ? a.text() : to_json(a)));
      continue;
    }
    out.push_back(Arch{a.text(), token});
  }
  return out;
}

// What runc reads first of a profile: the default action (with defaultErrnoRet) and the
// syscalls array (nullptr when absent or null). An Error where runc would fail.
struct ProfileHead {
  uint32_t default_action = 0;
  std::string default_name;  // SCMP_ACT_ERRNO, for notes
  const Json* syscalls = nullptr;
};

Result<ProfileHead> read_profile_head(const Json& profile) {
  ProfileHead head;
  const Json* jdef = profile.get("defaultAction");
  const Json* jret = profile.get("defaultErrnoRet");
  uint64_t err = kEperm;
  if (jret != nullptr && !jret->to_uint64(&err)) return invalid("defaultErrnoRet must be an unsigned integer");
  if (jdef == nullptr || !jdef->is_string() || !parse_action(jdef->text(), err, &head.default_action))
    return invalid("defaultAction missing or not an SCMP_ACT_*");
  head.default_name = jdef->text();
  const Json* syscalls = profile.get("syscalls");
  if (syscalls != nullptr && !syscalls->is_null() && !syscalls->is_array())
    return invalid("\"syscalls\" must be an array");
  if (syscalls != nullptr && syscalls->is_array()) head.syscalls = syscalls;
  return head;
}

Result<ProfileCheck> check_profile(const Json& profile) {
  ProfileCheck pc;
  auto head = read_profile_head(profile);
  if (!head) return head.error();
  auto arches = arches_of(profile, &pc);
  if (!arches) return arches.error();
  static const Json kEmpty = Json::array();
  const Json& list = head->syscalls != nullptr ? *head->syscalls : kEmpty;
  if (list.items().empty()) pc.notes.push_back("no syscalls: every call gets " + head->default_name);
  check_rules(list, head->default_action, *arches, &pc);
  return pc;
}

Result<std::vector<ProfileCheck>> check_groups(const Json& groups) {
  if (!groups.is_array()) return invalid("\"groups\" must be an array");
  std::vector<Arch> arches;
  for (const char* a : kGroupArches) arches.push_back(Arch{a, seccomp_arch_resolve_name(kArchNames.at(a).c_str())});
  std::vector<ProfileCheck> out;
  for (size_t g = 0; g < groups.items().size(); ++g) {
    const Json& grp = groups.items()[g];
    ProfileCheck pc;
    pc.label = "groups[" + std::to_string(g) + "]";
    const Json* cap = grp.is_object() ? grp.get("capability") : nullptr;
    const Json* sc = grp.is_object() ? grp.get("syscalls") : nullptr;
    if (cap == nullptr || !cap->is_string() || cap->text().rfind("CAP_", 0) != 0)
      pc.errors.push_back("\"capability\" must be a CAP_* name");
    else
      pc.label += " " + cap->text();
    if (sc == nullptr || !sc->is_array()) pc.errors.push_back("\"syscalls\" must be an array");
    else check_rules(*sc, SCMP_ACT_ERRNO(EPERM), arches, &pc);  // appended to profiles denying with EPERM
    out.push_back(std::move(pc));
  }
  return out;
}

}  // namespace

Result<std::vector<sock_filter>> compile_runc_filter(const Json& profile) {
  if (!profile.is_object()) return invalid("linux.seccomp is not an object");
  ProfileCheck pc;
  auto head = read_profile_head(profile);
  if (!head) return head.error();
  const uint32_t def = head->default_action;
  std::vector<Rule> rules;
  if (head->syscalls != nullptr)
    for (size_t i = 0; i < head->syscalls->items().size(); ++i)
      parse_entry(head->syscalls->items()[i], "syscalls[" + std::to_string(i) + "]", &rules, &pc);
  auto arches = arches_of(profile, &pc);
  if (!arches) return arches.error();
  // Malformed entries and unknown architectures make runc fail; several conditions on one
  // argument only make it split the rule, as done below.
  for (const std::string& e : pc.errors)
    if (e.find("several conditions on one argument") == std::string::npos) return invalid(e);
  ScmpFilter ctx(seccomp_init(def));
  if (!ctx) return invalid("seccomp_init refused the default action");
  for (const Arch& a : *arches) {
    int rc = seccomp_arch_add(ctx.get(), a.token);
    if (rc != 0 && rc != -EEXIST) return invalid(a.oci + ": seccomp_arch_add: " + std::strerror(-rc));
  }
  for (const Rule& r : rules) {
    if (r.action == def) continue;
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // runc skips a name its libseccomp does not know
    int rc = add_runc_rule(ctx, r, nr);
    if (rc != 0) return invalid(r.where + " (\"" + r.name + "\"): seccomp_rule_add: " + std::strerror(-rc));
  }
  return read_bpf(ctx);
}

Result<std::vector<ProfileCheck>> check_seccomp_json(const Json& doc) {
  if (!doc.is_object()) return invalid("not a JSON object");
  const Json* groups = doc.get("groups");
  if (groups != nullptr && doc.get("defaultAction") == nullptr) return check_groups(*groups);
  auto pc = check_profile(doc);
  if (!pc) return pc.error();
  return std::vector<ProfileCheck>{std::move(*pc)};
}

}  // namespace oci_harden
