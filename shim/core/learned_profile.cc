// A learned seccomp profile: recordings read, merged, the profile built, judged and compared
// (see learned_profile.hh for the rules and why the result is never wider than its base).
#include "shim/core/learned_profile.hh"

#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

#include "shim/core/container_id.hh"
#include "shim/core/rfc3339.hh"
#include "shim/core/sha256.hh"
#include "shim/core/spec.hh"

namespace oci_harden {
namespace {

constexpr size_t kMaxRecordedCalls = 8192;
constexpr unsigned kSyscallArgs = 6;

const char* const kArchitectures[] = {
    "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",        "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",  "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",     "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",       "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",   "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

bool known_architecture(const std::string& a) {
  return std::any_of(std::begin(kArchitectures), std::end(kArchitectures), [&](const char* k) { return a == k; });
}

Error bad(const std::string& where, const std::string& what) { return make_error(ErrorCode::kSpec, where + ": " + what); }

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// [a-z0-9][a-z0-9._-]{0,62}
bool valid_learn_name(const std::string& n) {
  if (n.empty() || n.size() > 63) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

// libseccomp's syscall names: lower-case letters, digits and '_'.
bool valid_syscall_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool valid_digest(const std::string& d) {
  const std::string prefix = "sha256:";
  if (d.size() != prefix.size() + 64 || d.compare(0, prefix.size(), prefix) != 0) return false;
  return d.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
}

Result<std::string> required_string(const Json& doc, const char* key, const std::string& file) {
  const Json* v = doc.get_exact(key);
  if (v == nullptr) return bad(file + ": " + key, "missing");
  if (!v->is_string()) return bad(file + ": " + key, "not a string");
  return v->text();
}

Result<uint64_t> required_count(const Json* v, const std::string& where) {
  uint64_t n = 0;
  if (v == nullptr) return bad(where, "missing");
  if (!v->is_number() || !v->to_uint64(&n)) return bad(where, "not a non-negative integer");
  return n;
}

Result<std::vector<std::string>> string_list(const Json* v, const std::string& where) {
  if (v == nullptr) return bad(where, "missing");
  if (!v->is_array()) return bad(where, "not an array");
  std::vector<std::string> out;
  for (size_t i = 0; i < v->items().size(); ++i) {
    const Json& item = v->items()[i];
    if (!item.is_string()) return bad(json_path_index(where, i), "not a string");
    out.push_back(item.text());
  }
  return out;
}

Result<std::map<unsigned, std::set<uint64_t>>> parse_recorded_args(const Json* v, const std::string& where) {
  std::map<unsigned, std::set<uint64_t>> out;
  if (v == nullptr) return out;
  if (!v->is_array()) return bad(where, "not an array");
  for (size_t i = 0; i < v->items().size(); ++i) {
    const Json& a = v->items()[i];
    const std::string at = json_path_index(where, i);
    if (!a.is_object()) return bad(at, "not an object");
    auto index = required_count(a.get_exact("index"), at + ".index");
    if (!index) return index.error();
    if (*index >= kSyscallArgs) return bad(at + ".index", std::to_string(*index) + " is not an argument index (0 to 5)");
    if (out.count(static_cast<unsigned>(*index)) != 0) return bad(at + ".index", "index " + std::to_string(*index) + " listed twice");
    const Json* values = a.get_exact("values");
    if (values == nullptr) return bad(at + ".values", "missing");
    if (!values->is_array()) return bad(at + ".values", "not an array");
    if (values->items().size() > kMaxRecordedValues)
      return bad(at + ".values", "more than " + std::to_string(kMaxRecordedValues) + " values");
    std::set<uint64_t>& set = out[static_cast<unsigned>(*index)];
    for (size_t j = 0; j < values->items().size(); ++j) {
      auto value = required_count(&values->items()[j], json_path_index(at + ".values", j));
      if (!value) return value.error();
      set.insert(*value);
    }
  }
  return out;
}

Result<RecordedCall> parse_recorded_call(const Json& c, const std::string& at, const Recording& r) {
  if (!c.is_object()) return bad(at, "not an object");
  RecordedCall call;
  const Json* arch = c.get_exact("arch");
  const Json* name = c.get_exact("name");
  if (arch == nullptr || !arch->is_string()) return bad(at + ".arch", "missing or not a string");
  if (std::find(r.architectures.begin(), r.architectures.end(), arch->text()) == r.architectures.end())
    return bad(at + ".arch", quoted(arch->text()) + " is not an architecture listed in architectures");
  if (name == nullptr || !name->is_string()) return bad(at + ".name", "missing or not a string");
  if (!valid_syscall_name(name->text())) return bad(at + ".name", quoted(name->text()) + " is not a syscall name");
  call.arch = arch->text();
  call.name = name->text();
  auto count = required_count(c.get_exact("count"), at + ".count");
  if (!count) return count.error();
  if (*count == 0) return bad(at + ".count", "0: a recorded call was seen at least once");
  call.count = *count;
  auto args = parse_recorded_args(c.get_exact("args"), at + ".args");
  if (!args) return args.error();
  call.args = std::move(*args);
  return call;
}

Status parse_recording_head(const Json& doc, const std::string& file, Recording* r) {
  uint64_t version = 0;
  const Json* v = doc.get_exact("oci_harden_recording");
  if (v == nullptr || !v->to_uint64(&version) || version != 1)
    return bad(file + ": oci_harden_recording", "missing or not 1 (not a recording this version reads)");
  auto learn = required_string(doc, "learn", file);
  if (!learn) return learn.error();
  if (!valid_learn_name(*learn)) return bad(file + ": learn", quoted(*learn) + " is not a workload name ([a-z0-9][a-z0-9._-]{0,62})");
  auto id = required_string(doc, "container_id", file);
  if (!id) return id.error();
  if (!valid_container_id(*id)) return bad(file + ": container_id", quoted(*id) + " is not a container id");
  for (const char* key : {"started", "ended"}) {
    auto t = required_string(doc, key, file);
    if (!t) return t.error();
    if (auto when = parse_until(*t); !when) return bad(file + ": " + key, when.error().message);
    (std::string(key) == "started" ? r->started : r->ended) = *t;
  }
  const Json* base = doc.get_exact("base_profile");
  const Json* digest = base != nullptr && base->is_object() ? base->get_exact("digest") : nullptr;
  if (digest == nullptr || !digest->is_string() || !valid_digest(digest->text()))
    return bad(file + ": base_profile.digest", "missing or not sha256:<64 hex digits>");
  r->learn = *learn;
  r->container_id = *id;
  r->base_digest = digest->text();
  return Ok{};
}

Status parse_recording_lists(const Json& doc, const std::string& file, Recording* r) {
  auto arches = string_list(doc.get_exact("architectures"), file + ": architectures");
  if (!arches) return arches.error();
  if (arches->empty()) return bad(file + ": architectures", "empty: a filter has at least one architecture");
  for (size_t i = 0; i < arches->size(); ++i) {
    if (!known_architecture((*arches)[i]))
      return bad(json_path_index(file + ": architectures", i), quoted((*arches)[i]) + " is not an OCI seccomp architecture");
  }
  r->architectures = std::move(*arches);
  auto always = string_list(doc.get_exact("always_allowed"), file + ": always_allowed");
  if (!always) return always.error();
  for (size_t i = 0; i < always->size(); ++i) {
    if (!valid_syscall_name((*always)[i]))
      return bad(json_path_index(file + ": always_allowed", i), quoted((*always)[i]) + " is not a syscall name");
    r->always_allowed.insert((*always)[i]);
  }
  return Ok{};
}

}  // namespace

Result<Recording> parse_recording(std::string_view text, const std::string& file) {
  auto doc = parse_json(text);
  if (!doc) return bad(file, doc.error().message);
  if (!doc->is_object()) return bad(file, "not a JSON object");
  Recording r;
  r.file = file;
  if (auto st = parse_recording_head(*doc, file, &r); !st) return st.error();
  if (auto st = parse_recording_lists(*doc, file, &r); !st) return st.error();
  const Json* calls = doc->get_exact("syscalls");
  if (calls == nullptr || !calls->is_array()) return bad(file + ": syscalls", "missing or not an array");
  if (calls->items().size() > kMaxRecordedCalls) return bad(file + ": syscalls", "more than " + std::to_string(kMaxRecordedCalls) + " entries");
  std::set<std::pair<std::string, std::string>> listed;
  for (size_t i = 0; i < calls->items().size(); ++i) {
    const std::string at = json_path_index(file + ": syscalls", i);
    auto call = parse_recorded_call(calls->items()[i], at, r);
    if (!call) return call.error();
    if (!listed.insert({call->arch, call->name}).second) return bad(at, call->name + " on " + call->arch + " listed twice");
    r.syscalls.push_back(std::move(*call));
  }
  auto notifications = required_count(doc->get_exact("notifications"), file + ": notifications");
  if (!notifications) return notifications.error();
  auto dropped = required_count(doc->get_exact("dropped"), file + ": dropped");
  if (!dropped) return dropped.error();
  r.notifications = *notifications;
  r.dropped = *dropped;
  return r;
}

Result<MergedRecording> merge_recordings(const std::vector<Recording>& recordings) {
  if (recordings.empty()) return make_error(ErrorCode::kSpec, "no recording to learn from");
  MergedRecording m;
  m.learn = recordings.front().learn;
  for (const Recording& r : recordings) {
    if (r.learn != m.learn) {
      return make_error(ErrorCode::kSpec, r.file + ": learn: " + quoted(r.learn) + " is another workload than " +
                                              quoted(m.learn) + " (" + recordings.front().file + ")");
    }
    m.files.push_back(r.file);
    m.architectures.insert(r.architectures.begin(), r.architectures.end());
    m.always_allowed.insert(r.always_allowed.begin(), r.always_allowed.end());
    m.base_digests.insert(r.base_digest);
    m.notifications += r.notifications;
    m.dropped += r.dropped;
    for (const RecordedCall& c : r.syscalls) {
      SeenCall& s = m.seen[c.name];
      s.arches.insert(c.arch);
      s.count += c.count;
      for (const auto& [index, values] : c.args) s.args[index].insert(values.begin(), values.end());
    }
  }
  return m;
}

namespace {

enum class Op { kNe, kLt, kLe, kEq, kGe, kGt, kMaskedEq };

struct Condition {
  unsigned index = 0;
  uint64_t value = 0, value_two = 0;
  Op op = Op::kEq;
};

struct Entry {
  std::vector<std::string> names;
  bool lets_through = false;
  bool ored = false;  // several conditions on one index: separate rules (runc)
  std::vector<Condition> conditions;
};

struct Profile {
  std::string default_action;
  bool default_lets_through = false;
  bool has_architectures = false;
  std::vector<std::string> architectures;
  std::vector<Entry> entries;
};

// The actions runc knows; which of them let the call run (see seccomp_effect.hh for TRACE and
// NOTIFY).
bool parse_action(const std::string& a, bool* lets_through) {
  static const std::pair<const char*, bool> kActions[] = {
      {"SCMP_ACT_KILL", false}, {"SCMP_ACT_KILL_PROCESS", false}, {"SCMP_ACT_KILL_THREAD", false},
      {"SCMP_ACT_TRAP", false}, {"SCMP_ACT_ERRNO", false},        {"SCMP_ACT_TRACE", true},
      {"SCMP_ACT_ALLOW", true}, {"SCMP_ACT_LOG", true},           {"SCMP_ACT_NOTIFY", true},
  };
  for (const auto& [name, through] : kActions) {
    if (a == name) {
      *lets_through = through;
      return true;
    }
  }
  return false;
}

bool parse_op(const std::string& s, Op* op) {
  static const std::pair<const char*, Op> kOps[] = {
      {"SCMP_CMP_NE", Op::kNe}, {"SCMP_CMP_LT", Op::kLt}, {"SCMP_CMP_LE", Op::kLe}, {"SCMP_CMP_EQ", Op::kEq},
      {"SCMP_CMP_GE", Op::kGe}, {"SCMP_CMP_GT", Op::kGt}, {"SCMP_CMP_MASKED_EQ", Op::kMaskedEq},
  };
  for (const auto& [name, o] : kOps) {
    if (s == name) {
      *op = o;
      return true;
    }
  }
  return false;
}

Result<uint64_t> optional_u64(const Json* obj, const char* key, const std::string& at) {
  const Json* v = field(obj, key);
  uint64_t n = 0;
  if (v == nullptr || v->is_null()) return n;
  if (!v->to_uint64(&n)) return bad(at + "." + key, "not an unsigned integer");
  return n;
}

Result<Condition> parse_condition(const Json& a, const std::string& at) {
  if (!a.is_object()) return bad(at, "not an object");
  Condition c;
  auto index = optional_u64(&a, "index", at);
  if (!index) return index.error();
  if (*index >= kSyscallArgs) return bad(at + ".index", std::to_string(*index) + " is not an argument index (0 to 5)");
  c.index = static_cast<unsigned>(*index);
  auto value = optional_u64(&a, "value", at);
  if (!value) return value.error();
  auto two = optional_u64(&a, "valueTwo", at);
  if (!two) return two.error();
  c.value = *value;
  c.value_two = *two;
  auto op = string_field(&a, "op");
  if (!op || !parse_op(*op, &c.op)) return bad(at + ".op", "missing or not an SCMP_CMP_* operator");
  return c;
}

Result<Entry> parse_entry(const Json& s, const std::string& at) {
  if (!s.is_object()) return bad(at, "not an object");
  Entry e;
  const Json* names = field(&s, "names");
  if (names == nullptr || !names->is_array()) return bad(at + ".names", "missing or not an array");
  for (size_t i = 0; i < names->items().size(); ++i) {
    if (!names->items()[i].is_string()) return bad(json_path_index(at + ".names", i), "not a string");
    e.names.push_back(names->items()[i].text());
  }
  auto action = string_field(&s, "action");
  if (!action || !parse_action(*action, &e.lets_through)) return bad(at + ".action", "missing or not an SCMP_ACT_* action");
  if (const Json* args = field(&s, "args"); args != nullptr && !args->is_null()) {
    if (!args->is_array()) return bad(at + ".args", "not an array");
    for (size_t i = 0; i < args->items().size(); ++i) {
      auto c = parse_condition(args->items()[i], json_path_index(at + ".args", i));
      if (!c) return c.error();
      e.conditions.push_back(*c);
    }
  }
  // runc (libcontainer/seccomp): more than one condition, all on the same argument, are added as
  // one rule each; otherwise the conditions are one rule that needs all of them.
  e.ored = e.conditions.size() > 1 && std::all_of(e.conditions.begin(), e.conditions.end(), [&](const Condition& c) {
             return c.index == e.conditions.front().index;
           });
  return e;
}

Result<Profile> parse_profile(const Json& doc, const std::string& label) {
  if (!doc.is_object()) return bad(label, "not a JSON object (an OCI linux.seccomp profile)");
  Profile p;
  auto def = string_field(&doc, "defaultAction");
  if (!def || !parse_action(*def, &p.default_lets_through)) return bad(label + ": defaultAction", "missing or not an SCMP_ACT_* action");
  p.default_action = *def;
  if (const Json* arches = field(&doc, "architectures"); arches != nullptr && !arches->is_null()) {
    auto list = string_list(arches, label + ": architectures");
    if (!list) return list.error();
    for (size_t i = 0; i < list->size(); ++i) {
      if (!known_architecture((*list)[i]))
        return bad(json_path_index(label + ": architectures", i), quoted((*list)[i]) + " is not an OCI seccomp architecture");
    }
    p.has_architectures = true;
    p.architectures = std::move(*list);
  }
  const Json* calls = field(&doc, "syscalls");
  if (calls != nullptr && !calls->is_null()) {
    if (!calls->is_array()) return bad(label + ": syscalls", "not an array");
    for (size_t i = 0; i < calls->items().size(); ++i) {
      auto e = parse_entry(calls->items()[i], json_path_index(label + ": syscalls", i));
      if (!e) return e.error();
      p.entries.push_back(std::move(*e));
    }
  }
  return p;
}

bool condition_holds(const Condition& c, uint64_t v) {
  switch (c.op) {
    case Op::kNe: return v != c.value;
    case Op::kLt: return v < c.value;
    case Op::kLe: return v <= c.value;
    case Op::kEq: return v == c.value;
    case Op::kGe: return v >= c.value;
    case Op::kGt: return v > c.value;
    case Op::kMaskedEq: return (v & c.value) == c.value_two;
  }
  return false;
}

bool some_value_holds(const Condition& c, const SeenCall& seen) {
  auto it = seen.args.find(c.index);
  if (it == seen.args.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](uint64_t v) { return condition_holds(c, v); });
}

// Whether a recorded call matches the entry's argument rules (see the header: values per index).
bool entry_matches(const Entry& e, const SeenCall& seen) {
  if (e.conditions.empty()) return true;
  if (e.ored) return std::any_of(e.conditions.begin(), e.conditions.end(), [&](const Condition& c) { return some_value_holds(c, seen); });
  return std::all_of(e.conditions.begin(), e.conditions.end(), [&](const Condition& c) { return some_value_holds(c, seen); });
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::set<std::string> names_let_through(const Profile& p) {
  std::set<std::string> out;
  for (const Entry& e : p.entries)
    if (e.lets_through) out.insert(e.names.begin(), e.names.end());
  return out;
}

// The base's "architectures" reduced to those a recording lists. An Error when none is left.
Result<Json> learned_architectures(const Profile& base, const MergedRecording& merged, std::vector<std::string>* notes) {
  Json kept = Json::array();
  std::vector<std::string> dropped;
  for (const std::string& a : base.architectures) {
    if (merged.architectures.count(a) != 0) kept.push_back(Json::string(a));
    else dropped.push_back(a);
  }
  if (kept.items().empty())
    return bad("base: architectures", "none of them is in a recording (" + join({merged.architectures.begin(), merged.architectures.end()}, ", ") + ")");
  if (!dropped.empty()) notes->push_back("architectures no recording lists, left out: " + join(dropped, ", "));
  return kept;
}

// Whether `name` is a syscall on one of `arches` (OCI names; none listed: the native one), as
// seccomp_check judges it (a socketcall/ipc sub-call where the multiplexer exists).
bool resolves_on_any(const std::string& name, const std::vector<std::string>& arches) {
  std::vector<uint32_t> tokens;
  for (const std::string& a : arches) {
    std::string lower = a.substr(std::string("SCMP_ARCH_").size());
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (uint32_t t = seccomp_arch_resolve_name(lower.c_str()); t != 0) tokens.push_back(t);
  }
  if (arches.empty()) tokens.push_back(seccomp_arch_native());
  return std::any_of(tokens.begin(), tokens.end(), [&](uint32_t arch) {
    const int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
    if (nr >= 0) return true;
    if (nr == __NR_SCMP_ERROR) return false;
    if (nr > -200 && nr < -100) return seccomp_syscall_resolve_name_arch(arch, "socketcall") >= 0;
    if (nr > -300 && nr <= -200) return seccomp_syscall_resolve_name_arch(arch, "ipc") >= 0;
    return false;
  });
}

// Names no kept architecture has are left out of every entry (runc would skip them; `profile
// check` calls a name known on no listed architecture an error). Entries left empty go.
void drop_absent_names(Json& profile, std::vector<std::string>* notes) {
  const std::vector<std::string> arches = string_items(field(&profile, "architectures"));
  Json* calls = field(&profile, "syscalls");
  Json kept = Json::array();
  std::set<std::string> absent;
  for (Json& entry : calls->items()) {
    std::vector<std::string> names;
    for (const std::string& n : string_items(field(&entry, "names"))) {
      if (resolves_on_any(n, arches)) names.push_back(n);
      else absent.insert(n);
    }
    if (names.empty()) continue;
    entry.set("names", string_array(names));
    kept.push_back(std::move(entry));
  }
  *calls = std::move(kept);
  if (!absent.empty())
    notes->push_back("names no kept architecture has, left out: " + join({absent.begin(), absent.end()}, ", "));
}

void note_unmatched(const std::map<std::string, std::string>& why, std::vector<std::string>* notes) {
  for (const auto& [name, reason] : why) notes->push_back(name + " seen but not added: " + reason);
}

}  // namespace

Result<LearnedProfile> learn_profile(const Json& base_doc, const MergedRecording& merged) {
  auto base = parse_profile(base_doc, "base");
  if (!base) return base.error();
  if (base->default_lets_through)
    return bad("base: defaultAction", base->default_action + " lets every call through: learning needs a profile that denies by default");
  LearnedProfile out;
  out.profile = base_doc;
  if (base->has_architectures) {
    auto arches = learned_architectures(*base, merged, &out.notes);
    if (!arches) return arches.error();
    out.profile.set("architectures", std::move(*arches));
  }
  const Json* calls = field(&base_doc, "syscalls");
  Json kept = Json::array();
  std::set<std::string> kept_names;
  std::map<std::string, std::string> unmatched;
  for (size_t i = 0; i < base->entries.size(); ++i) {
    const Entry& e = base->entries[i];
    Json entry = calls->items()[i];
    if (e.lets_through) {
      std::vector<std::string> names;
      for (const std::string& n : e.names) {
        auto seen = merged.seen.find(n);
        const bool always = merged.always_allowed.count(n) != 0;
        if (always || (seen != merged.seen.end() && entry_matches(e, seen->second))) names.push_back(n);
        else if (seen != merged.seen.end()) unmatched.emplace(n, "no recorded argument value matches the base's rule");
      }
      if (names.empty()) continue;
      kept_names.insert(names.begin(), names.end());
      entry.set("names", string_array(names));
    }
    kept.push_back(std::move(entry));
  }
  for (const std::string& n : kept_names) unmatched.erase(n);  // another entry of the name matched
  const std::set<std::string> base_names = names_let_through(*base);
  for (const auto& [name, seen] : merged.seen) {
    if (base_names.count(name) == 0) unmatched.emplace(name, "the base profile does not let it through (recorded under another profile?)");
  }
  note_unmatched(unmatched, &out.notes);
  std::vector<std::string> not_in_base;
  for (const std::string& n : merged.always_allowed)
    if (base_names.count(n) == 0) not_in_base.push_back(n);
  if (!not_in_base.empty())
    out.notes.push_back("always allowed by the recorder but not let through by the base, so denied: " + join(not_in_base, ", "));
  out.profile.set("syscalls", std::move(kept));
  drop_absent_names(out.profile, &out.notes);
  // Each recording names the profile installed in its container: the policy's adapted to the
  // host and to the container's capabilities, or the engine's own default where the seccomp rule
  // kept it. Recordings under different ones are merged all the same, and said.
  if (merged.base_digests.size() > 1)
    out.notes.push_back("the recordings were made under " + std::to_string(merged.base_digests.size()) +
                        " different installed profiles (other capabilities, or an engine's own default kept): " +
                        join({merged.base_digests.begin(), merged.base_digests.end()}, ", "));
  if (merged.dropped != 0)
    out.notes.push_back(std::to_string(merged.dropped) + " calls were not recorded (dropped): what they were is not in the profile");
  out.base_allowed = base_names.size();
  out.learned_allowed = allowed_syscall_names(out.profile).size();
  return out;
}

Status check_never_wider(const Json& learned, const Json& policy_profile, const std::vector<std::string>& arches) {
  auto effect = judge_seccomp_effect(learned, {ReferenceProfile{"policy", &policy_profile}}, arches);
  if (!effect) return make_error(ErrorCode::kPolicy, "cannot be judged against the policy's profile: " + effect.error().message);
  if (effect->weaker)
    return make_error(ErrorCode::kPolicy, "lets through calls the policy's profile denies: " + join(effect->open, "; "));
  return Ok{};
}

std::vector<std::string> allowed_syscall_names(const Json& profile, bool* default_allows) {
  std::set<std::string> names;
  bool def_through = false;
  if (auto def = string_field(&profile, "defaultAction")) (void)parse_action(*def, &def_through);
  if (const Json* calls = field(&profile, "syscalls"); calls != nullptr && calls->is_array()) {
    for (const Json& s : calls->items()) {
      bool through = false;
      auto action = string_field(&s, "action");
      if (!action || !parse_action(*action, &through) || !through) continue;
      for (const std::string& n : string_items(field(&s, "names"))) names.insert(n);
    }
  }
  if (default_allows != nullptr) *default_allows = def_through;
  return {names.begin(), names.end()};
}

namespace {

std::string condition_text(const Condition& c) {
  static const char* const kOpText[] = {"!=", "<", "<=", "==", ">=", ">"};
  char buf[96];
  const std::string arg = "arg" + std::to_string(c.index);
  if (c.op == Op::kMaskedEq) {
    std::snprintf(buf, sizeof buf, " & 0x%llx == %llu", static_cast<unsigned long long>(c.value),
                  static_cast<unsigned long long>(c.value_two));
  } else {
    std::snprintf(buf, sizeof buf, " %s %llu", kOpText[static_cast<int>(c.op)], static_cast<unsigned long long>(c.value));
  }
  return arg + buf;
}

struct Allowed {
  std::set<std::string> unconditional;
  std::set<std::pair<std::string, std::string>> conditional;  // name, rule text
};

Allowed allowed_of(const Profile& p) {
  Allowed a;
  for (const Entry& e : p.entries) {
    if (!e.lets_through) continue;
    std::vector<std::string> rules;
    if (e.ored) {
      for (const Condition& c : e.conditions) rules.push_back(condition_text(c));
    } else if (!e.conditions.empty()) {
      std::vector<std::string> parts;
      for (const Condition& c : e.conditions) parts.push_back(condition_text(c));
      rules.push_back(join(parts, " && "));
    }
    for (const std::string& n : e.names) {
      if (rules.empty()) a.unconditional.insert(n);
      for (const std::string& r : rules) a.conditional.insert({n, r});
    }
  }
  return a;
}

std::vector<std::string> only_in(const Profile& x, const Allowed& ax, const Profile& y, const Allowed& ay) {
  std::vector<std::string> out;
  if (x.default_action != y.default_action) out.push_back("defaultAction " + x.default_action);
  for (const std::string& a : x.architectures)
    if (std::find(y.architectures.begin(), y.architectures.end(), a) == y.architectures.end()) out.push_back("architecture " + a);
  for (const std::string& n : ax.unconditional)
    if (ay.unconditional.count(n) == 0) out.push_back(n);
  for (const auto& [n, rule] : ax.conditional) {
    if (ay.unconditional.count(n) != 0 || ax.unconditional.count(n) != 0 || ay.conditional.count({n, rule}) != 0) continue;
    out.push_back(n + "(" + rule + ")");
  }
  return out;
}

}  // namespace

Result<ProfileDiff> diff_profiles(const Json& a, const Json& b) {
  auto pa = parse_profile(a, "A");
  if (!pa) return pa.error();
  auto pb = parse_profile(b, "B");
  if (!pb) return pb.error();
  const Allowed aa = allowed_of(*pa), ab = allowed_of(*pb);
  ProfileDiff d;
  d.only_a = only_in(*pa, aa, *pb, ab);
  d.only_b = only_in(*pb, ab, *pa, aa);
  return d;
}

}  // namespace oci_harden
