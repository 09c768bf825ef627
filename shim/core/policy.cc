// Loading the policy: file permissions checked, every key known and typed, errors naming the key.

#include "shim/core/policy.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>

#include "shim/core/bounded_read.hh"
#include "shim/core/embedded.hh"
#include "shim/core/handles.hh"
#include "shim/core/image_ref.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/rootless.hh"
#include "shim/core/rule_ids.hh"
#include "shim/core/seccomp_effect.hh"
#include "shim/core/seccomp_learn.hh"
#include "shim/core/sha256.hh"
#include "shim/core/spec.hh"
#include "shim/core/split.hh"

namespace oci_harden {

namespace {

constexpr const char* kDefaultPolicyPath = "/etc/oci-harden/policy.json";

std::string errno_text(int err) { return std::strerror(err); }

// Walks one JSON object of the policy, remembering which keys were used, so unknown keys are
// reported by name.
class ObjectReader {
 public:
  ObjectReader(const Json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  const Json* take(const std::string& key) {
    used_.push_back(key);
    return obj_.get_exact(key);
  }
  std::string where(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  Status check_unknown() const {
    for (const auto& [key, value] : obj_.members()) {
      if (std::find(used_.begin(), used_.end(), key) == used_.end()) {
        return make_error(ErrorCode::kPolicy, where(key) + ": unknown key");
      }
    }
    return Ok{};
  }

 private:
  const Json& obj_;
  std::string path_;
  std::vector<std::string> used_;
};

Error type_error(const std::string& where, const char* expected) {
  return make_error(ErrorCode::kPolicy, where + ": expected " + expected);
}

Status read_string(ObjectReader& r, const std::string& key, std::string* out) {
  const Json* v = r.take(key);
  if (v == nullptr) return Ok{};
  if (!v->is_string()) return type_error(r.where(key), "a string");
  *out = v->text();
  return Ok{};
}

Status read_bool(ObjectReader& r, const std::string& key, bool* out) {
  const Json* v = r.take(key);
  if (v == nullptr) return Ok{};
  if (!v->is_bool()) return type_error(r.where(key), "true or false");
  *out = v->as_bool();
  return Ok{};
}

Status read_strings(ObjectReader& r, const std::string& key, std::vector<std::string>* out) {
  const Json* v = r.take(key);
  if (v == nullptr) return Ok{};
  if (!v->is_array()) return type_error(r.where(key), "an array of strings");
  out->clear();
  for (const Json& item : v->items()) {
    if (!item.is_string()) return type_error(r.where(key), "an array of strings");
    out->push_back(item.text());
  }
  return Ok{};
}

Status read_int(ObjectReader& r, const std::string& key, int64_t min, int64_t* out) {
  const Json* v = r.take(key);
  if (v == nullptr) return Ok{};
  int64_t n;
  if (!v->to_int64(&n) || n < min) {
    return type_error(r.where(key), min == 0 ? "a non-negative integer" : "a positive integer");
  }
  *out = n;
  return Ok{};
}

// Reads one of a fixed set of words into an enum; a switch with no default over the result.
template <typename E>
Status read_enum(ObjectReader& r, const std::string& key,
                 std::initializer_list<std::pair<const char*, E>> words, E* out) {
  const Json* v = r.take(key);
  if (v == nullptr) return Ok{};
  std::string allowed;
  for (const auto& [word, value] : words) {
    if (v->is_string() && v->text() == word) {
      *out = value;
      return Ok{};
    }
    allowed += allowed.empty() ? "" : " or ";
    allowed += std::string("\"") + word + "\"";
  }
  return make_error(ErrorCode::kPolicy, r.where(key) + ": expected " + allowed);
}

// Opens a sub-object and applies `body` to it, then rejects its unknown keys.
Status read_object(ObjectReader& r, const std::string& key,
                   const std::function<Status(ObjectReader&)>& body) {
  const Json* v = r.take(key);
  if (v == nullptr) return Ok{};
  if (!v->is_object()) return type_error(r.where(key), "an object");
  ObjectReader sub(*v, r.where(key));
  auto st = body(sub);
  if (!st) return st;
  return sub.check_unknown();
}

// A limit's default (a number) and max (a number, or "host" for the host's size).
// `scale` converts the file's unit to the internal one (CPUs to milli-CPUs).
Status read_limit(ObjectReader& r, const std::string& key, int64_t scale, Limit* limit,
                  uint64_t* period) {
  return read_object(r, key, [&](ObjectReader& sub) -> Status {
    auto number = [&](const std::string& k, const Json& v) -> Result<int64_t> {
      if (scale == 1) {
        int64_t n;
        if (!v.to_int64(&n) || n <= 0) return type_error(sub.where(k), "a positive integer");
        return n;
      }
      char* end = nullptr;
      double d = std::strtod(v.text().c_str(), &end);
      if (!v.is_number() || *end != '\0' || !(d > 0) || d > 1e6) {
        return type_error(sub.where(k), "a positive number");
      }
      auto scaled = static_cast<int64_t>(std::llround(d * static_cast<double>(scale)));
      // Rounded to 0 it would become a quota of 0, which runc reads as "no limit".
      if (scaled < 1) return make_error(ErrorCode::kPolicy, sub.where(k) + ": too small (at least 0.001)");
      return scaled;
    };
    if (const Json* v = sub.take("default")) {
      if (v->is_null()) {
        limit->default_value.reset();
      } else {
        auto n = number("default", *v);
        if (!n) return n.error();
        limit->default_value = *n;
      }
    }
    if (const Json* v = sub.take("max")) {
      if (v->is_string() && v->text() == "host") {
        limit->max.reset();
      } else {
        auto n = number("max", *v);
        if (!n) return make_error(ErrorCode::kPolicy, sub.where("max") + ": expected a positive number or \"host\"");
        limit->max = *n;
      }
    }
    if (period != nullptr) {
      int64_t p = static_cast<int64_t>(*period);
      auto st = read_int(sub, "period", 1000, &p);
      if (!st) return make_error(ErrorCode::kPolicy, sub.where("period") + ": expected an integer from 1000 to 1000000");
      if (p > 1000000) return make_error(ErrorCode::kPolicy, sub.where("period") + ": expected an integer from 1000 to 1000000");
      *period = static_cast<uint64_t>(p);
    }
    if (period != nullptr) {
      // The kernel refuses a CFS quota under 1 ms: the runtime would fail at start.
      for (const char* k : {"default", "max"}) {
        const auto& v = std::string(k) == "default" ? limit->default_value : limit->max;
        if (v && *v * static_cast<int64_t>(*period) / scale < 1000) {
          return make_error(ErrorCode::kPolicy,
                            sub.where(k) + ": a quota under 1000 microseconds per period");
        }
      }
    }
    if (limit->default_value && limit->max && *limit->default_value > *limit->max) {
      return make_error(ErrorCode::kPolicy, sub.where("default") + ": larger than max");
    }
    return Ok{};
  });
}

// GPUs and CDI: "c 195:*", "c 195:0", "c nvidia-uvm:*" (a major by its /proc/devices name).
// Why refuse a wildcard major and type "a": either opens every driver, which allowed_device_numbers
// exists to avoid.
Result<Policy::DeviceNumbers> parse_device_numbers(const std::string& text) {
  auto bad = [&](const std::string& why) -> Error {
    return make_error(ErrorCode::kPolicy, "allowed_device_numbers: \"" + text + "\" " + why);
  };
  Policy::DeviceNumbers d;
  d.text = text;
  size_t colon = text.rfind(':');
  if (text.size() < 5 || (text[0] != 'c' && text[0] != 'b') || text[1] != ' ' ||
      colon == std::string::npos || colon < 3) {
    return bad(R"(is not "c MAJOR:MINOR" or "b MAJOR:MINOR" (MAJOR a number or a driver name, MINOR a number or *))");
  }
  d.type = text[0];
  std::string major = text.substr(2, colon - 2), minor = text.substr(colon + 1);
  auto number = [](const std::string& s, int64_t* out) {
    if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    *out = std::stoll(s);
    return true;
  };
  if (major.empty() || major == "*" || major.find_first_of(" \t*?[") != std::string::npos) {
    return bad("has no single major: a wildcard major opens every driver");
  }
  if (!number(major, &d.major)) d.driver = major;
  if (minor != "*" && !number(minor, &d.minor)) return bad("has a minor that is neither a number nor *");
  return d;
}

// GPUs and CDI: ["/usr/bin/nvidia-ctk hook", ...]: an absolute hook path, then the words the
// hook's arguments after args[0] must start with; a path may have several entries.
Status read_hook_args(ObjectReader& r, const std::string& key,
                      std::map<std::string, std::vector<std::vector<std::string>>>* out) {
  std::vector<std::string> entries;
  if (r.take(key) == nullptr) return Ok{};
  auto st = read_strings(r, key, &entries);
  if (!st) return st;
  out->clear();
  for (const std::string& e : entries) {
    std::vector<std::string> words;
    for (const std::string& part : split_at(e, ' ')) {
      if (!part.empty()) words.push_back(part);
    }
    // An optional first word names the one hook kind the entry allows ("createContainer
    // /usr/bin/nvidia-ctk hook ..."); kept as the entry's first word, marked "@".
    std::string stage;
    const std::vector<std::string>& kinds = oci_hook_kinds();
    if (!words.empty() && std::find(kinds.begin(), kinds.end(), words[0]) != kinds.end()) {
      stage = "@" + words[0];
      words.erase(words.begin());
    }
    if (words.size() < 2 || words[0][0] != '/') {
      return make_error(ErrorCode::kPolicy, r.where(key) + ": \"" + e +
                                                "\" is not [a hook kind] an absolute hook path followed by the argument words it must start with");
    }
    std::string path = lexical(words[0]);
    words.erase(words.begin());
    if (!stage.empty()) words.insert(words.begin(), stage);
    (*out)[path].push_back(std::move(words));
  }
  return Ok{};
}

Status check_absolute_paths(const std::vector<std::string>& paths, const std::string& where) {
  for (const auto& p : paths) {
    if (p.empty() || p[0] != '/') {
      return make_error(ErrorCode::kPolicy, where + ": \"" + p + "\" is not an absolute path");
    }
  }
  return Ok{};
}

// Rootless engines (issue 17.3): the identity owners are judged by (set_policy_reader_identity).
ProcessIdentity& reader_identity() {
  static ProcessIdentity who;
  return who;
}

// seccomp_learned's remembered verdicts (set_policy_verdict_store); none by default.
PolicyVerdictStore& verdict_store() {
  static PolicyVerdictStore store;
  return store;
}

// Whether a file owned by host root is what `st` shows: through oci-harden's own uid map. In a
// user namespace that does not map host root (rootless Podman runs the runtime in one), a
// root-owned file shows as the overflow uid -- and so does one owned by a mapped id numerically
// equal to it (the user's subordinate 65534): that one the namespace's root can write, so a file
// shown as the overflow uid is trusted only when this process, as that root, cannot write it.
bool owned_by_host_root(const struct stat& st, const std::string& path) {
  const ProcessIdentity& who = reader_identity();
  switch (judge_owner(st.st_uid, who)) {
    case OwnerIs::kHostRoot:
      return true;
    case OwnerIs::kOther:
      return false;
    case OwnerIs::kUnmapped:
      if (!outer_id(who.uid_map, who.overflow_uid)) return true;  // no mapped id can show as it
      return who.euid == 0 && ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) != 0;
  }
  return false;
}

// Why this is safe: a policy or profile that anyone but root could have written is not the
// administrator's policy (cheat-sheet practice 4), so it is refused rather than trusted. In a
// user namespace, "root" is host root, never the namespace's own root (a rootless engine's user).
Status check_trusted(const struct stat& st, const std::string& path, const char* what) {
  if (!owned_by_host_root(st, path)) {
    std::optional<uint32_t> host = outer_id(reader_identity().uid_map, static_cast<uint32_t>(st.st_uid));
    std::string owner = "uid " + std::to_string(st.st_uid);
    if (host && *host != st.st_uid) owner += ", host uid " + std::to_string(*host);
    if (!maps_host_root(reader_identity().uid_map) && judge_owner(st.st_uid, reader_identity()) == OwnerIs::kUnmapped) {
      owner += ": the overflow uid, and writable from this user namespace";
    }
    return make_error(ErrorCode::kPolicy, path + ": " + what + " is not owned by root (" + owner + ")");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return make_error(ErrorCode::kPolicy, path + ": " + what +
                                              " is writable by group or others; run chmod go-w");
  }
  return Ok{};
}

Result<std::string> read_trusted_file(const std::string& path, size_t max_bytes, const char* what) {
  struct stat dst;
  std::string dir = dir_name(path);
  if (::stat(dir.c_str(), &dst) != 0) {
    return make_error(ErrorCode::kPolicy, dir + ": " + errno_text(errno));
  }
  // A directory others can write to lets them replace the file (sticky /tmp included).
  auto st = check_trusted(dst, dir, "the directory holding the policy");
  if (!st) return st.error();
  // O_NONBLOCK: a FIFO put where the policy belongs must fail the S_ISREG check below, not
  // block every container start waiting for a writer.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid() && errno == EACCES && is_rootless(reader_identity())) {
    // Rootless engines: the administrator's policy is not replaced by the built-in one behind
    // their back; they make it readable (it holds no secret) or the user cannot run hardened.
    return make_error(ErrorCode::kPolicy, path + ": " + errno_text(EACCES) + " (oci-harden runs as host uid " +
                                              std::to_string(host_uid_of(reader_identity()).value_or(0)) +
                                              ", a rootless engine): make the policy world-readable "
                                              "(chmod 0644) for rootless engines to run hardened");
  }
  if (!fd.valid()) return make_error(ErrorCode::kPolicy, path + ": " + errno_text(errno));
  struct stat fst;
  if (::fstat(fd.get(), &fst) != 0) return make_error(ErrorCode::kPolicy, path + ": " + errno_text(errno));
  if (!S_ISREG(fst.st_mode)) return make_error(ErrorCode::kPolicy, path + ": not a regular file");
  st = check_trusted(fst, path, what);
  if (!st) return st.error();
  // Read what was checked: the same descriptor, not the path again.
  return read_fd_bounded(fd.get(), path, max_bytes, ErrorCode::kPolicy);
}

Status load_seccomp_profile(Policy* p, const std::string& origin) {
  std::string text;
  std::string where;
  if (p->seccomp_profile_path.empty()) {
    if (p->seccomp_profile_deferred) {  // issue 14.1: parsed on first use (seccomp_profile_json)
      p->seccomp_profile = Json();
      return Ok{};
    }
    text = std::string(embedded_file("seccomp-default.json"));
    where = "built-in seccomp-default.json";
  } else {
    p->seccomp_profile_deferred = false;
    std::string path = p->seccomp_profile_path;
    if (path[0] != '/') path = dir_name(origin) + "/" + path;
    auto bytes = read_trusted_file(path, kMaxProfileBytes, "the seccomp profile");
    if (!bytes) return Error{ErrorCode::kPolicy, "seccomp.profile: " + bytes.error().message};
    text = std::move(*bytes);
    where = path;
    p->seccomp_profile_path = path;
  }
  auto parsed = parse_json(text);
  if (!parsed) return make_error(ErrorCode::kPolicy, "seccomp.profile: " + where + ": " + parsed.error().message);
  const Json* action = parsed->get_exact("defaultAction");
  if (!parsed->is_object() || action == nullptr || !action->is_string()) {
    return make_error(ErrorCode::kPolicy, "seccomp.profile: " + where +
                                              ": not an OCI linux.seccomp object (no defaultAction)");
  }
  p->seccomp_profile = std::move(*parsed);
  return Ok{};
}

// "" means oci-harden-hook beside the running binary, when it is there; "none" turns it off.
Status resolve_hook(Policy* p) {
  if (p->hook_path == "none") {
    p->hook_path.clear();
    return Ok{};
  }
  if (!p->hook_path.empty()) {
    if (p->hook_path[0] != '/') {
      return make_error(ErrorCode::kPolicy, "hook: \"" + p->hook_path + "\" is not an absolute path");
    }
    return Ok{};
  }
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return Ok{};
  std::string exe(self, static_cast<size_t>(n));
  std::string dir = dir_name(exe);
  std::string candidate = (dir == "/" ? "" : dir) + "/oci-harden-hook";
  if (::access(candidate.c_str(), X_OK) == 0) p->hook_path = candidate;
  return Ok{};
}

Status read_learn_keys(ObjectReader& r, Policy* p);  // learn mode (issue 15), below
Status load_learned_profile(Policy* p, const std::string& origin);

Status apply_policy_json(const Json& root, Policy* p) {
  if (!root.is_object()) return make_error(ErrorCode::kPolicy, "expected a JSON object");
  ObjectReader r(root, "");
  Status st = Ok{};
  auto run = [&](const Status& s) {
    if (st && !s) st = s;
  };
  run(read_enum<Mode>(r, "mode", {{"enforce", Mode::kEnforce}, {"audit", Mode::kAudit}}, &p->mode));
  run(read_string(r, "runtime", &p->runtime));
  run(read_string(r, "audit_log", &p->audit_log));
  run(read_enum<AuditFailure>(r, "audit_failure",
                              {{"refuse", AuditFailure::kRefuse}, {"allow", AuditFailure::kAllow}},
                              &p->audit_failure));
  run(read_bool(r, "audit_syslog", &p->audit_syslog));
  run(read_strings(r, "disabled_rules", &p->disabled_rules));
  run(read_strings(r, "capabilities", &p->capabilities));
  run(read_object(r, "readonly_rootfs", [&](ObjectReader& sub) -> Status {
    auto s = read_strings(sub, "tmpfs", &p->readonly_tmpfs);
    if (!s) return s;
    s = check_absolute_paths(p->readonly_tmpfs, sub.where("tmpfs"));
    if (!s) return s;
    return read_int(sub, "tmpfs_size", 4096, &p->readonly_tmpfs_size);
  }));
  run(read_object(r, "limits", [&](ObjectReader& sub) -> Status {
    auto s = read_enum<AboveMax>(sub, "above_max",
                                 {{"clamp", AboveMax::kClamp}, {"refuse", AboveMax::kRefuse}},
                                 &p->above_max);
    if (!s) return s;
    s = read_limit(sub, "pids", 1, &p->pids, nullptr);
    if (!s) return s;
    s = read_limit(sub, "memory", 1, &p->memory, nullptr);
    if (!s) return s;
    return read_limit(sub, "cpu", 1000, &p->cpu, &p->cpu_period);
  }));
  run(read_object(r, "user_namespace", [&](ObjectReader& sub) -> Status {
    int64_t uid = p->userns_uid, gid = p->userns_gid, size = p->userns_size;
    auto s = read_int(sub, "uid", 1, &uid);
    if (!s) return s;
    s = read_int(sub, "gid", 1, &gid);
    if (!s) return s;
    s = read_int(sub, "size", 1, &size);
    if (!s) return s;
    if (uid + size > 0xFFFFFFFFLL || gid + size > 0xFFFFFFFFLL) {
      return make_error(ErrorCode::kPolicy, sub.where("size") + ": the range passes 4294967295");
    }
    p->userns_uid = static_cast<uint32_t>(uid);
    p->userns_gid = static_cast<uint32_t>(gid);
    p->userns_size = static_cast<uint32_t>(size);
    s = read_enum<UsernsUnavailable>(
        sub, "unavailable",
        {{"record", UsernsUnavailable::kRecord}, {"refuse", UsernsUnavailable::kRefuse}},
        &p->userns_unavailable);
    if (!s) return s;
    s = read_string(sub, "state_dir", &p->state_dir);
    if (!s) return s;
    return check_absolute_paths({p->state_dir}, sub.where("state_dir"));
  }));
  run(read_object(r, "seccomp", [&](ObjectReader& sub) -> Status {
    auto s = read_string(sub, "profile", &p->seccomp_profile_path);
    if (!s) return s;
    s = read_bool(sub, "replace", &p->seccomp_replace);
    if (!s) return s;
    s = read_enum<SeccompWeaker>(sub, "weaker",
                                 {{"replace", SeccompWeaker::kReplace}, {"refuse", SeccompWeaker::kRefuse}},
                                 &p->seccomp_weaker);
    if (!s) return s;
    s = read_strings(sub, "accepted_defaults", &p->seccomp_accepted_defaults);
    if (!s) return s;
    for (const std::string& name : p->seccomp_accepted_defaults) {
      if (embedded_file("engine-seccomp-" + name + ".json").empty())
        return make_error(ErrorCode::kPolicy, sub.where("accepted_defaults") + ": \"" + name +
                                                  "\" is not a built-in engine default (docker, podman)");
    }
    s = read_strings(sub, "allowed_listeners", &p->seccomp_allowed_listeners);
    if (!s) return s;
    return check_absolute_paths(p->seccomp_allowed_listeners, sub.where("allowed_listeners"));
  }));
  run(read_object(r, "apparmor", [&](ObjectReader& sub) -> Status {
    auto s = read_string(sub, "profile", &p->apparmor_profile);
    if (!s) return s;
    // Why refuse "unconfined": it names no profile, so setting it would only look like hardening;
    // disabled_rules is the honest way to turn the rule off.
    if (p->apparmor_profile == "unconfined") {
      return make_error(ErrorCode::kPolicy, sub.where("profile") +
                                                ": \"unconfined\" confines nothing; add \"apparmor\" to "
                                                "disabled_rules instead");
    }
    if (p->apparmor_profile.find_first_of(std::string("\n\0", 2)) != std::string::npos) {
      return make_error(ErrorCode::kPolicy, sub.where("profile") + ": not a profile name");
    }
    return read_enum<AppArmorUnconfined>(
        sub, "unconfined",
        {{"replace", AppArmorUnconfined::kReplace}, {"refuse", AppArmorUnconfined::kRefuse}},
        &p->apparmor_unconfined);
  }));
  run(read_strings(r, "sensitive_paths", &p->sensitive_paths));
  run(check_absolute_paths(p->sensitive_paths, "sensitive_paths"));
  run(read_strings(r, "allowed_paths", &p->allowed_paths));
  run(check_absolute_paths(p->allowed_paths, "allowed_paths"));
  run(read_strings(r, "allowed_readonly_paths", &p->allowed_readonly_paths));
  run(check_absolute_paths(p->allowed_readonly_paths, "allowed_readonly_paths"));
  run(read_strings(r, "engine_sockets", &p->engine_sockets));
  run(check_absolute_paths(p->engine_sockets, "engine_sockets"));
  run(read_strings(r, "allowed_mount_types", &p->allowed_mount_types));
  run(read_strings(r, "allowed_devices", &p->allowed_devices));
  run(read_strings(r, "allowed_sysctls", &p->allowed_sysctls));
  run(read_string(r, "opt_out_annotation", &p->opt_out_annotation));
  run(read_strings(r, "opt_out_allowed", &p->opt_out_allowed));
  run(read_enum<OptOutDenied>(r, "opt_out_denied",
                              {{"refuse", OptOutDenied::kRefuse}, {"ignore", OptOutDenied::kIgnore}},
                              &p->opt_out_denied));
  run(read_object(r, "exec", [&](ObjectReader& sub) -> Status {
    return read_enum<ExecEscalation>(
        sub, "escalation", {{"refuse", ExecEscalation::kRefuse}, {"clamp", ExecEscalation::kClamp}},
        &p->exec_escalation);
  }));
  run(read_string(r, "hook", &p->hook_path));
  run(read_enum<Verify>(r, "verify", {{"record", Verify::kRecord}, {"enforce", Verify::kEnforce}},
                        &p->verify));
  // oom-score-adj: the kernel's range is -1000..1000.
  run([&]() -> Status {
    const Json* v = r.take("oom_score_adj_min");
    int64_t n;
    if (v == nullptr) return Ok{};
    if (!v->to_int64(&n) || n < -1000 || n > 1000) {
      return type_error(r.where("oom_score_adj_min"), "an integer from -1000 to 1000");
    }
    p->oom_score_adj_min = n;
    return Ok{};
  }());
  // Hooks.
  run(read_strings(r, "allowed_hooks", &p->allowed_hooks));
  run(check_absolute_paths(p->allowed_hooks, "allowed_hooks"));
  // Mount identity (sensitive-mounts).
  run(read_strings(r, "refused_source_fstypes", &p->refused_source_fstypes));
  run(read_strings(r, "engine_binaries", &p->engine_binaries));
  run(read_enum<Binds>(r, "binds", {{"any", Binds::kAny}, {"allowed-only", Binds::kAllowedOnly}},
                       &p->binds));
  // Exceptions and trusted sources.
  run(read_strings(r, "opt_out_requires", &p->opt_out_requires));
  for (const std::string& w : p->opt_out_requires) {
    if (w != "owner" && w != "reason" && w != "until") {
      run(make_error(ErrorCode::kPolicy, "opt_out_requires: \"" + w + "\" is not one of \"owner\", "
                                         "\"reason\", \"until\""));
    }
  }
  run(read_strings(r, "allowed_registries", &p->allowed_registries));
  for (const std::string& entry : p->allowed_registries) {
    auto ok = check_registry_entry(entry);
    if (!ok) run(make_error(ErrorCode::kPolicy, "allowed_registries: " + ok.error().message));
  }
  run(read_enum<UnknownImage>(r, "unknown_image",
                              {{"record", UnknownImage::kRecord}, {"refuse", UnknownImage::kRefuse}},
                              &p->unknown_image));
  // GPUs and CDI (issue 17.2).
  {
    std::vector<std::string> numbers;
    run(read_strings(r, "allowed_device_numbers", &numbers));
    if (root.get_exact("allowed_device_numbers") != nullptr) p->allowed_device_numbers.clear();
    for (const std::string& n : numbers) {
      auto d = parse_device_numbers(n);
      if (!d) {
        run(d.error());
        break;
      }
      p->allowed_device_numbers.push_back(*d);
    }
  }
  run(read_hook_args(r, "allowed_hook_args", &p->allowed_hook_args));
  // One policy per workload: read by read_workload_policies() on the top-level object only.
  run(read_strings(r, "selector_labels", &p->selector_labels));
  // Rootless engines (issue 17.3): where a run that is not host root records its events.
  run(read_object(r, "rootless", [&](ObjectReader& sub) -> Status {
    auto s = read_string(sub, "audit_log", &p->rootless_audit_log);
    if (!s) return s;
    const std::string& v = p->rootless_audit_log;
    const bool expandable = (!v.empty() && v[0] == '/') || v.rfind("~/", 0) == 0 || v.rfind("$HOME/", 0) == 0 ||
                            v.rfind("$XDG_STATE_HOME/", 0) == 0;
    if (!expandable) {
      return make_error(ErrorCode::kPolicy, sub.where("audit_log") +
                                                ": expected an absolute path, or one starting with ~/, "
                                                "$HOME/ or $XDG_STATE_HOME/");
    }
    return Ok{};
  }));
  run(read_learn_keys(r, p));  // learn mode (issue 15)
  (void)r.take("policies");
  (void)r.take("selectors");
  if (!st) return st;
  return r.check_unknown();
}

Status validate_policy(Policy* p, const std::string& origin, bool load_profile = true) {
  for (const auto& cap : p->capabilities) {
    bool ok = cap.size() > 4 && cap.compare(0, 4, "CAP_") == 0 &&
              std::all_of(cap.begin(), cap.end(),
                          [](char c) { return (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9'); });
    if (!ok) return make_error(ErrorCode::kPolicy, "capabilities: \"" + cap + "\" is not a capability name (CAP_...)");
  }
  // A misspelt id would otherwise disable nothing, or allow nothing, without a word.
  for (const char* key : {"disabled_rules", "opt_out_allowed"}) {
    const auto& ids = std::string(key) == "disabled_rules" ? p->disabled_rules : p->opt_out_allowed;
    for (const auto& id : ids) {
      if (!is_rule_id(id)) {
        return make_error(ErrorCode::kPolicy, std::string(key) + ": \"" + id +
                                                  "\" is not a rule id (oci-hardenctl rules lists them)");
      }
    }
  }
  if (p->audit_log.empty() || p->audit_log[0] != '/') {
    return make_error(ErrorCode::kPolicy, "audit_log: expected an absolute path");
  }
  if (p->opt_out_annotation.empty()) {
    return make_error(ErrorCode::kPolicy, "opt_out_annotation: must not be empty");
  }
  if (p->runtime.empty()) {
    for (const char* candidate : {"/usr/bin/runc", "/usr/sbin/runc"}) {
      if (::access(candidate, X_OK) == 0) {
        p->runtime = candidate;
        break;
      }
    }
    if (p->runtime.empty()) {
      return make_error(ErrorCode::kRuntime,
                        "runtime: not set, and neither /usr/bin/runc nor /usr/sbin/runc exists");
    }
  } else if (p->runtime[0] != '/') {
    // Why this is safe: a name would be searched in $PATH, which differs between engines and
    // could resolve back to oci-harden itself.
    return make_error(ErrorCode::kPolicy, "runtime: \"" + p->runtime + "\" is not an absolute path");
  }
  auto st = resolve_hook(p);
  if (!st) return st;
  if (!load_profile) return Ok{};
  return load_seccomp_profile(p, origin);
}

}  // namespace

bool Policy::rule_enabled(const std::string& id) const {
  return std::find(disabled_rules.begin(), disabled_rules.end(), id) == disabled_rules.end();
}




namespace {

// One policy per workload: named policies ("policies": {"NAME": {"inherits": "PARENT", keys...}})
// and the selectors that choose among them.
const char* const kWorkloadKeys[] = {"policies", "selectors", "selector_labels"};
// Keys that are one per host: the runtime executed and the log every record goes to.
const char* const kHostWideKeys[] = {"runtime", "audit_log", "audit_syslog", "rootless"};
constexpr size_t kMaxNamedPolicies = 32;

// `over` merged onto `base`: objects key by key, recursively; anything else (lists included)
// replaced whole.
void deep_merge(Json* base, const Json& over) {
  if (!base->is_object() || !over.is_object()) {
    *base = over;
    return;
  }
  for (const auto& [key, value] : over.members()) {
    Json* mine = base->get_exact(key);
    if (mine != nullptr && mine->is_object() && value.is_object()) {
      deep_merge(mine, value);
    } else {
      base->set_exact(key, value);
    }
  }
}

class NamedPolicies {
 public:
  NamedPolicies(const Json& policies, Json top_level) : policies_(policies) {
    for (const char* k : kWorkloadKeys) {
      auto& m = top_level.members();
      m.erase(std::remove_if(m.begin(), m.end(), [&](const Json::Member& x) { return x.first == k; }), m.end());
    }
    resolved_.emplace("default", std::move(top_level));
  }

  // The whole JSON of policy `name`: its parent's (the top-level keys by default) with its own
  // keys merged on top.
  Result<Json> resolve(const std::string& name, std::vector<std::string>* chain) {
    if (auto it = resolved_.find(name); it != resolved_.end()) return it->second;
    const std::string where = "policies." + name;
    if (std::find(chain->begin(), chain->end(), name) != chain->end()) {
      std::string cycle;
      for (const auto& n : *chain) cycle += n + " -> ";
      return make_error(ErrorCode::kPolicy, "policies." + chain->back() + ".inherits: a cycle: " + cycle + name);
    }
    const Json* own = policies_.get_exact(name);
    if (own == nullptr || !own->is_object()) return make_error(ErrorCode::kPolicy, where + ": expected an object");
    std::string parent = "default";
    Json keys = *own;
    for (const char* k : kWorkloadKeys) {
      if (own->get_exact(k) != nullptr) {
        return make_error(ErrorCode::kPolicy, where + "." + k + ": only at the top level of the policy file");
      }
    }
    if (const Json* inherits = own->get_exact("inherits")) {
      if (!inherits->is_string()) return make_error(ErrorCode::kPolicy, where + ".inherits: expected a policy name");
      parent = inherits->text();
      if (parent != "default" && policies_.get_exact(parent) == nullptr) {
        return make_error(ErrorCode::kPolicy, where + ".inherits: \"" + parent + R"(" is not a policy of "policies" (nor "default"))");
      }
      auto& m = keys.members();
      m.erase(std::remove_if(m.begin(), m.end(), [](const Json::Member& x) { return x.first == "inherits"; }), m.end());
    }
    chain->push_back(name);
    auto base = resolve(parent, chain);
    chain->pop_back();
    if (!base) return base;
    Json merged = std::move(*base);
    deep_merge(&merged, keys);
    resolved_.emplace(name, merged);
    return merged;
  }

 private:
  const Json& policies_;
  std::map<std::string, Json> resolved_;
};

// Reads "policies" and "selectors" of the top-level object into `root`; `defaults` is the
// built-in policy each named one is applied onto, as the top-level keys were.
Status read_workload_policies(const Json& top_level, const Policy& defaults, Policy* root,
                              const std::string& origin, const std::string& root_profile_spelling) {
  auto st = check_selector_labels(root->selector_labels);
  if (!st) return st;
  std::vector<std::string> names{"default"};
  static const Json kNoPolicies = Json::object();
  const Json* policies = top_level.get_exact("policies");
  if (policies == nullptr) policies = &kNoPolicies;
  if (!policies->is_object()) return type_error("policies", "an object of named policies");
  // Bounded: each one is a whole policy, built and checked at every start.
  if (policies->members().size() > kMaxNamedPolicies) {
    return make_error(ErrorCode::kPolicy, "policies: more than " + std::to_string(kMaxNamedPolicies) + " named policies");
  }
  NamedPolicies resolver(*policies, top_level);
  for (const auto& [name, own] : policies->members()) {
    const std::string where = "policies." + name;
    if (name.empty() || name == "default" ||
        std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; })) {
      return make_error(ErrorCode::kPolicy, where + ": not a policy name (\"default\" is the top-level keys)");
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return make_error(ErrorCode::kPolicy, where + ": defined twice");
    }
    std::vector<std::string> chain;
    auto json = resolver.resolve(name, &chain);
    if (!json) return json.error();
    Policy p = defaults;
    st = apply_policy_json(*json, &p);
    if (st) {
      p.path = root->path;
      p.digest = root->digest;
      // The top level's profile, spelt the same from the same file: loaded once, shared.
      const bool same_profile = p.seccomp_profile_path == root_profile_spelling;
      st = validate_policy(&p, origin.empty() ? "/" : origin, !same_profile);
      if (st && same_profile) {
        p.seccomp_profile_path = root->seccomp_profile_path;
        p.seccomp_profile = root->seccomp_profile;
        p.seccomp_profile_deferred = root->seccomp_profile_deferred;
      }
      if (st) st = load_learned_profile(&p, origin.empty() ? "/" : origin);  // issue 15
    }
    if (!st) return std::move(st).context(where).error();
    for (const char* key : kHostWideKeys) {
      const bool same = std::string(key) == "runtime"     ? p.runtime == root->runtime
                        : std::string(key) == "audit_log" ? p.audit_log == root->audit_log
                        : std::string(key) == "rootless"  ? p.rootless_audit_log == root->rootless_audit_log
                                                          : p.audit_syslog == root->audit_syslog;
      if (!same) {
        return make_error(ErrorCode::kPolicy, where + "." + key + ": one for the whole host; set it at the top level only");
      }
    }
    if (p.userns_uid != root->userns_uid || p.userns_gid != root->userns_gid ||
        p.userns_size != root->userns_size || p.state_dir != root->state_dir) {
      return make_error(ErrorCode::kPolicy, where + ".user_namespace: the host's id range and state_dir are one for "
                                            "the whole host; set them at the top level only");
    }
    if (p.learn.annotation != root->learn.annotation || p.learn.dir != root->learn.dir) {  // learn mode
      return make_error(ErrorCode::kPolicy, where + ": learn_annotation and learn_dir are one for the whole host; "
                                            "set them at the top level only");
    }
    p.name = name;
    p.selector_labels.clear();
    root->named_policies.push_back(std::make_shared<const Policy>(std::move(p)));
    names.push_back(name);
  }
  if (const Json* selectors = top_level.get_exact("selectors")) {
    auto parsed = parse_selectors(*selectors, names, root->selector_labels);
    if (!parsed) return parsed.error();
    root->selectors = std::move(*parsed);
  }
  return Ok{};
}

Result<Policy> parse_onto(Policy base, const std::string& bytes, const std::string& origin) {
  auto json = parse_json(bytes);
  if (!json) return make_error(ErrorCode::kPolicy, json.error().message);
  const Policy defaults = base;
  auto st = apply_policy_json(*json, &base);
  if (!st) return st.error();
  base.path = origin;
  base.digest = "sha256:" + sha256_hex(bytes);
  const std::string profile_spelling = base.seccomp_profile_path;
  st = validate_policy(&base, origin.empty() ? "/" : origin);
  if (!st) return st.error();
  st = load_learned_profile(&base, origin.empty() ? "/" : origin);  // issue 15
  if (!st) return st.error();
  st = read_workload_policies(*json, defaults, &base, origin, profile_spelling);
  if (!st) return st.error();
  return base;
}

// Learn mode (issue 15): "learn", "learn_annotation", "learn_dir".
Status read_learn_keys(ObjectReader& r, Policy* p) {
  auto s = read_string(r, "learn", &p->learn.workload);
  if (!s) return s;
  if (!p->learn.workload.empty() && !valid_learn_name(p->learn.workload)) {
    return make_error(ErrorCode::kPolicy, r.where("learn") + ": \"" + p->learn.workload +
                                              "\" is not a workload name ([a-z0-9][a-z0-9._-]{0,62})");
  }
  s = read_bool(r, "learn_annotation", &p->learn.annotation);
  if (!s) return s;
  s = read_string(r, "learn_dir", &p->learn.dir);
  if (!s) return s;
  s = check_absolute_paths({p->learn.dir}, r.where("learn_dir"));
  if (!s) return s;
  return read_object(r, "seccomp_learned", [&](ObjectReader& sub) -> Status {
    std::string path = p->learn.learned_path;
    auto t = read_string(sub, "profile", &path);
    if (!t) return t;
    p->learn.learned_path = path;
    t = read_enum<bool>(sub, "mode", {{"enforce", false}, {"audit", true}}, &p->learn.learned_audit);
    if (!t) return t;
    return read_enum<bool>(sub, "action", {{"errno", false}, {"kill", true}}, &p->learn.learned_kill);
  });
}

// seccomp_learned.profile read (relative to the policy's folder) and judged by effect against the
// widest profile this policy installs (its own plus the capability groups of its capabilities):
// a learned profile never lets through a call the policy's profile denies.
Status load_learned_profile(Policy* p, const std::string& origin) {
  if (p->learn.learned_path.empty()) return Ok{};
  if (!p->learn.workload.empty()) {
    return make_error(ErrorCode::kPolicy, "learn and seccomp_learned: a policy records or enforces a learned profile, "
                                          "not both");
  }
  std::string path = p->learn.learned_path;
  if (path[0] != '/') path = dir_name(origin) + "/" + path;
  auto bytes = read_trusted_file(path, kMaxProfileBytes, "the learned seccomp profile");
  if (!bytes) return make_error(ErrorCode::kPolicy, "seccomp_learned.profile: " + bytes.error().message);
  auto parsed = parse_json(*bytes);
  if (!parsed) return make_error(ErrorCode::kPolicy, "seccomp_learned.profile: " + path + ": " + parsed.error().message);
  p->learn.learned_path = path;
  // The judgement reads the learned profile, the policy's profile, its capabilities (their
  // groups are the binary's own, which the store's names cover) and the host's architectures.
  std::string key = "learned-not-wider 1\n" + *bytes + "\n" + to_json(p->seccomp_profile_json()) + "\n";
  for (const std::string& c : p->capabilities) key += c + ",";
  key += "\n";
  for (const std::string& a : host_seccomp_architectures()) key += a + ",";
  const PolicyVerdictStore& store = verdict_store();
  const bool known = !p->state_dir.empty() && store.remembered && store.remembered(p->state_dir, key);
  if (!known) {
    std::string why = learned_profile_wider(*parsed, *p);
    if (!why.empty()) return make_error(ErrorCode::kPolicy, "seccomp_learned.profile: " + path + ": " + why);
    if (!p->state_dir.empty() && store.remember) store.remember(p->state_dir, key);
  }
  p->learn.learned = std::move(*parsed);
  return Ok{};
}

}  // namespace

const Policy& select_policy(const Policy& loaded, const Workload& workload, std::string* selected_by) {
  if (selected_by != nullptr) selected_by->clear();
  auto i = first_match(loaded.selectors, workload);
  if (!i) return loaded;
  if (selected_by != nullptr) *selected_by = loaded.selectors[*i].where;
  for (const auto& p : loaded.named_policies) {
    if (p->name == loaded.selectors[*i].policy) return *p;
  }
  return loaded;  // "default"
}

Result<Policy> builtin_policy() {
  auto p = parse_onto(Policy{}, std::string(embedded_file("policy-default.json")), "");
  if (!p) return std::move(p).context("built-in policy");
  return p;
}

namespace {

Result<Policy> parse_policy_as(const std::string& bytes, const std::string& origin, bool defer_profile) {
  // The built-in defaults are applied but not validated or resolved here: the file's policy is
  // validated whole below (runtime, hook and seccomp profile resolved once, for the file).
  // builtin_policy() validates the same defaults, and its unit tests hold it to that.
  auto defaults = parse_json(embedded_file("policy-default.json"));
  if (!defaults) return make_error(ErrorCode::kPolicy, "built-in policy: " + defaults.error().message);
  Policy base;
  base.seccomp_profile_deferred = defer_profile;
  auto applied = apply_policy_json(*defaults, &base);
  if (!applied) return std::move(applied).context("built-in policy").error();
  auto p = parse_onto(std::move(base), bytes, origin);
  if (!p) return std::move(p).context("policy " + (origin.empty() ? std::string("(built-in)") : origin));
  return p;
}

// The built-in seccomp profile, parsed once per process on first use. It is compiled in and
// held by builtin_policy()'s unit tests to parse with a defaultAction; should it ever not, the
// answer denies every call rather than none.
const Json& builtin_seccomp_profile() {
  static const Json profile = [] {
    auto parsed = parse_json(embedded_file("seccomp-default.json"));
    if (parsed && parsed->is_object() && parsed->get_exact("defaultAction") != nullptr) return std::move(*parsed);
    Json deny_all = Json::object();
    deny_all.set("defaultAction", Json::string("SCMP_ACT_ERRNO"));
    return deny_all;
  }();
  return profile;
}

}  // namespace

const Json& Policy::seccomp_profile_json() const {
  return seccomp_profile_deferred ? builtin_seccomp_profile() : seccomp_profile;
}

Result<Policy> parse_policy(const std::string& bytes, const std::string& origin) {
  return parse_policy_as(bytes, origin, false);
}

void set_policy_reader_identity(const ProcessIdentity& who) { reader_identity() = who; }

void set_policy_verdict_store(PolicyVerdictStore store) { verdict_store() = std::move(store); }

Result<Policy> load_policy_file(const std::string& path) {
  auto bytes = read_trusted_file(path, kMaxPolicyBytes, "the policy");
  if (!bytes) return std::move(Result<Policy>(bytes.error())).context("policy");
  return parse_policy_as(*bytes, path, true);
}

Result<Policy> load_policy() {
  if (const char* env = std::getenv("OCI_HARDEN_POLICY"); env != nullptr && *env != '\0') {
    return load_policy_file(env);
  }
  struct stat st;
  if (::stat(kDefaultPolicyPath, &st) == 0 || errno != ENOENT) return load_policy_file(kDefaultPolicyPath);
  return builtin_policy();
}

}  // namespace oci_harden
