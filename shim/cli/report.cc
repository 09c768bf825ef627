// `oci-hardenctl report`: audit logs in, per-container facts and totals out.
//
// Three steps, so that the data flows one way:
//   read       each log line by line (gzip detected by its magic bytes), each line parsed and
//              checked into a small Record; a bad line becomes a warning and is skipped;
//   summarise  the records sorted by time (rotated logs come newest first from a shell glob),
//              folded per container;
//   format     a 100-column table with the operator's questions in a footer, or one JSON object.
//
// What "the last start" means: a container's last create/run/restore record that was not
// refused. Its facts (root on the host, capabilities, seccomp) describe what actually ran, so in
// audit mode, where the record lists what *would* change, they are taken from the "before" side.

#include "shim/cli/prometheus_text.hh"
#include "shim/cli/report.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <type_traits>

#include "shim/host/clock.hh"
#include "shim/core/handles.hh"
#include "shim/core/json.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

constexpr size_t kMaxLine = 16 << 20;  // a record is a few KB; anything this long is not one
constexpr size_t kTableWidth = 100;

// ---- time ----

bool digits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// ---- reading: plain or gzip ----

// One log opened for reading: plain bytes through read(), or gzip through zlib.
class LogReader {
 public:
  static Result<LogReader> open(const std::string& path) {
    LogReader r;
    r.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!r.fd_.valid()) return make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
    struct stat st;
    if (::fstat(r.fd_.get(), &st) != 0) {
      return make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return make_error(ErrorCode::kIo, path + ": is a directory");
    unsigned char magic[2] = {0, 0};
    ssize_t n = ::pread(r.fd_.get(), magic, sizeof magic, 0);
    if (n < 0) return make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      r.gz_.reset(gzdopen(r.fd_.get(), "rb"));
      if (!r.gz_) return make_error(ErrorCode::kIo, path + ": cannot start gzip decompression");
      r.fd_.release();  // gzclose closes it from now on
      gzbuffer(r.gz_.get(), 128 << 10);
    }
    return r;
  }

  // Up to n bytes; 0 at the end. An OS error is an Error; damaged gzip data (truncated by a
  // crash during rotation, say) ends the log early and is described in *damage.
  Result<size_t> read(char* buf, size_t n, std::string* damage) {
    if (!gz_) {
      ssize_t got;
      do {
        got = ::read(fd_.get(), buf, n);
      } while (got < 0 && errno == EINTR);
      if (got < 0) return make_error(ErrorCode::kIo, std::strerror(errno));
      return static_cast<size_t>(got);
    }
    int got = gzread(gz_.get(), buf, static_cast<unsigned>(std::min<size_t>(n, INT_MAX)));
    int err = Z_OK;
    const char* msg = gzerror(gz_.get(), &err);
    if (err == Z_ERRNO) return make_error(ErrorCode::kIo, std::strerror(errno));
    if (err != Z_OK) {
      *damage = std::string("gzip: ") + (msg != nullptr ? msg : "damaged data");
      return static_cast<size_t>(got > 0 ? got : 0);
    }
    return static_cast<size_t>(got < 0 ? 0 : got);
  }

 private:
  UniqueFd fd_;
  GzFile gz_;
};

// ---- one record ----

// What the report needs from one audit line, checked and boiled down.
struct Record {
  int64_t time_us = 0;
  size_t seq = 0;  // input order, to keep equal times stable
  std::string event, decision, container, mode, engine, image;
  std::string policy_name;  // one policy per workload: the named policy applied
  std::string host, ns, pod;
  std::vector<std::string> changed_rules;
  bool hooked = false;  // a start whose spec got the verify hook (not audit mode)
  std::vector<std::string> caps_before;
  std::string root_reason, root_fix;
  std::vector<std::string> refused_rules;
  bool host_network = false;  // a host-namespaces refusal names the network namespace
  std::vector<std::string> granted, denied;
  std::optional<bool> root_on_host;
  bool caps_changed = false;
  std::vector<std::string> caps_after;
  std::string seccomp;
  int checks_failed = 0;
  std::vector<std::string> failed_checks;
  bool killed = false;
  // Exceptions (opt_outs.owner, reason, until, expires).
  std::string exc_owner, exc_reason, exc_until;
  std::optional<int64_t> exc_end_us;
  // Per workload (issue 15): the start's "seccomp", or a recorder's seccomp_learn/seccomp_watch.
  std::optional<WorkloadEvent> workload;
};

Error bad(const std::string& reason) { return make_error(ErrorCode::kSpec, reason); }

bool is_start(const std::string& event) {
  return event == "create" || event == "run" || event == "restore";
}

void add_unique(std::vector<std::string>* v, const std::string& s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Our own format, written with exact keys: look them up exactly.
const Json* member(const Json* obj, const char* key) {
  if (obj == nullptr || !obj->is_object()) return nullptr;
  const Json* v = obj->get_exact(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

Result<std::string> required_string(const Json& obj, const char* key) {
  const Json* v = member(&obj, key);
  if (v == nullptr) return bad(std::string("no \"") + key + "\"");
  if (!v->is_string() || v->text().empty()) {
    return bad(std::string("\"") + key + "\" is not a non-empty string");
  }
  return v->text();
}

Result<std::string> optional_string(const Json& obj, const char* key) {
  const Json* v = member(&obj, key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return bad(std::string("\"") + key + "\" is not a string");
  return v->text();
}

// An array of objects (or absent); `what` names it in the reason.
Result<const Json*> object_array(const Json* v, const std::string& what) {
  if (v == nullptr) return static_cast<const Json*>(nullptr);
  if (!v->is_array()) return bad("\"" + what + "\" is not an array");
  for (size_t i = 0; i < v->items().size(); ++i) {
    if (!v->items()[i].is_object()) return bad(json_path_index(what, i) + " is not an object");
  }
  return v;
}

Result<std::vector<std::string>> string_list(const Json* obj, const char* key,
                                             const std::string& what) {
  const Json* v = member(obj, key);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (!v->is_array()) return bad("\"" + what + "\" is not an array");
  for (const Json& item : v->items()) {
    if (!item.is_string()) return bad("\"" + what + "\" holds a non-string");
    out.push_back(item.text());
  }
  return out;
}

// The image the engine says this container runs, where an annotation names one.
std::string image_of(const Json* annotations) {
  static const char* const kKeys[] = {
      "io.kubernetes.cri.image-name",   // containerd's CRI plugin
      "io.kubernetes.cri-o.ImageName",  // CRI-O
      "io.containerd.image.name",
  };
  for (const char* key : kKeys) {
    const Json* v = member(annotations, key);
    if (v != nullptr && v->is_string() && !v->text().empty()) return v->text();
  }
  // The OCI image-spec key may hold just a tag ("1.27"); only a full reference names an image.
  const Json* ref = member(annotations, "org.opencontainers.image.ref.name");
  if (ref != nullptr && ref->is_string() && ref->text().find_first_of("/:") != std::string::npos) {
    return ref->text();
  }
  return "";
}

std::string annotation(const Json* annotations, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const Json* v = member(annotations, key);
    if (v != nullptr && v->is_string() && !v->text().empty()) return v->text();
  }
  return "";
}

// Where the engine names them: the pod's namespace and name (containerd's CRI plugin, the
// kubelet's labels, CRI-O), else containerd's own namespace from the bundle path
// (<state>/io.containerd.runtime.v2.task/<namespace>/<id>; "moby" is dockerd's).
void namespace_and_pod(const Json* annotations, const std::string& bundle, Record* rec) {
  rec->ns = annotation(annotations, {"io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace",
                                     "io.kubernetes.cri-o.Namespace"});
  rec->pod = annotation(annotations, {"io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name",
                                      "io.kubernetes.cri-o.SandboxName"});
  if (!rec->ns.empty()) return;
  const std::string task_dir = "/io.containerd.runtime.v2.task/";
  size_t at = bundle.find(task_dir);
  if (at == std::string::npos) return;
  size_t start = at + task_dir.size();
  size_t slash = bundle.find('/', start);
  if (slash != std::string::npos && slash > start) rec->ns = bundle.substr(start, slash - start);
}

const Json* find_change(const Json* changes, const std::string& rule, const std::string& path) {
  if (changes == nullptr) return nullptr;
  for (const Json& c : changes->items()) {
    const Json* r = member(&c, "rule");
    const Json* p = member(&c, "path");
    if (r != nullptr && p != nullptr && r->is_string() && p->is_string() && r->text() == rule &&
        p->text() == path) {
      return &c;
    }
  }
  return nullptr;
}

// Facts of a start record as they hold for the process that ran. In audit mode nothing was
// changed, so each fact comes from the change's "before" side.
void start_facts(const Json& obj, const Json* changes, Record* rec) {
  bool audited = rec->decision == "audited";
  const Json* user = member(&obj, "user");
  const Json* root = member(user, "root_on_host");
  if (root != nullptr && root->is_bool()) rec->root_on_host = root->as_bool();
  // The user summary is taken from the hardened spec; in audit mode a mapping the
  // user-namespace rule would have added was never applied.
  const Json* userns = find_change(changes, "user-namespace", "linux.uidMappings");
  bool userns_not_applied = false;
  if (audited && userns != nullptr) {
    const Json* before = member(userns, "before");
    const Json* uid = member(user, "uid");
    int64_t n = -1;
    if ((before == nullptr || (before->is_array() && before->items().empty())) &&
        uid != nullptr && uid->to_int64(&n)) {
      rec->root_on_host = n == 0;
      userns_not_applied = true;
    }
  }

  const Json* caps = find_change(changes, "capabilities", "process.capabilities.bounding");
  if (caps != nullptr && !audited) {
    rec->caps_changed = true;
    rec->caps_after = string_items(member(caps, "after"));
    rec->caps_before = string_items(member(caps, "before"));
  }
  if (rec->root_on_host.value_or(false)) {
    const Json* reason = member(user, "root_on_host_reason");
    const Json* fix = member(user, "fix");
    if (reason != nullptr && reason->is_string()) rec->root_reason = reason->text();
    if (fix != nullptr && fix->is_string()) rec->root_fix = fix->text();
    if (rec->root_reason.empty()) {
      const Json* userns_flag = member(user, "user_namespace");
      bool in_userns = userns_flag != nullptr && userns_flag->is_bool() && userns_flag->as_bool();
      rec->root_reason = userns_not_applied ? "uid 0 and no user namespace (audit mode: user-namespace's mapping not applied)"
                         : in_userns        ? "uid 0 is mapped to the host's uid 0"
                                            : "uid 0 and no user namespace";
    }
  }
  if (changes != nullptr && !audited) {
    for (const Json& c : changes->items()) {
      const Json* r = member(&c, "rule");
      if (r == nullptr || !r->is_string()) continue;
      add_unique(&rec->changed_rules, r->text());
      rec->hooked = rec->hooked || r->text() == "verify-hook";
    }
  }

  const Json* seccomp = find_change(changes, "seccomp", "linux.seccomp");
  if (seccomp != nullptr) {
    bool had = member(seccomp, "before") != nullptr;
    bool has = member(seccomp, "after") != nullptr;
    if (audited) rec->seccomp = had ? "kept engine's" : "none";
    else rec->seccomp = !has ? "none" : had ? "replaced" : "installed";
  } else {
    // No change: the rule found the engine's profile, unless the rule was skipped.
    rec->seccomp = contains(rec->granted, "seccomp") ? "opted out" : "kept engine's";
  }
}

Status read_refusals(const Json* refused, Record* rec) {
  if (refused == nullptr) return Ok{};
  for (const Json& r : refused->items()) {
    auto rule = required_string(r, "rule");
    if (!rule) return bad("refused[]: " + rule.error().message);
    add_unique(&rec->refused_rules, *rule);
    if (*rule != "host-namespaces") continue;
    // The refusal's structured kind says which host namespace it is about. Records written
    // before refusals carried a kind (no "kind" member) are read by the reason host-namespaces
    // wrote then, which began with the namespace's type.
    const Json* kind = member(&r, "kind");
    const Json* reason = member(&r, "reason");
    if (kind != nullptr) {
      rec->host_network = rec->host_network || (kind->is_string() && kind->text() == "host-network-namespace");
    } else if (reason != nullptr && reason->is_string() && reason->text().rfind("network namespace", 0) == 0) {
      rec->host_network = true;
    }
  }
  return Ok{};
}

// A check counts as passed only when it says "ok": true.
void read_checks(const Json* checks, Record* rec) {
  if (checks == nullptr) return;
  for (const Json& c : checks->items()) {
    const Json* ok = member(&c, "ok");
    if (ok != nullptr && ok->is_bool() && ok->as_bool()) continue;
    ++rec->checks_failed;
    const Json* name = member(&c, "check");
    rec->failed_checks.push_back(name != nullptr && name->is_string() ? name->text() : "?");
  }
}

Result<Record> parse_record(const std::string& line) {
  auto parsed = parse_json(line);
  if (!parsed) return parsed.error();
  const Json& obj = *parsed;
  if (!obj.is_object()) return bad("not a JSON object");
  const Json* v = member(&obj, "v");
  int64_t version = 0;
  if (v == nullptr) return bad("no \"v\"");
  if (!v->to_int64(&version) || version != 1) {
    return bad("unsupported record version " + (v->is_number() ? v->text() : to_json(*v)));
  }
  Record rec;
  auto time = required_string(obj, "time");
  if (!time) return time.error();
  auto us = parse_rfc3339(*time);
  if (!us) return bad("\"time\": " + us.error().message);
  rec.time_us = *us;
  for (auto [key, out] : {std::pair{"event", &rec.event}, std::pair{"decision", &rec.decision},
                          std::pair{"container", &rec.container}}) {
    auto s = required_string(obj, key);
    if (!s) return s.error();
    *out = *s;
  }
  static const char* const kDecisions[] = {"applied", "unchanged", "refused", "audited"};
  if (std::none_of(std::begin(kDecisions), std::end(kDecisions),
                   [&](const char* d) { return rec.decision == d; })) {
    return bad("unknown decision \"" + rec.decision + "\"");
  }
  for (auto [key, out] : {std::pair{"mode", &rec.mode}, std::pair{"engine", &rec.engine},
                          std::pair{"policy_name", &rec.policy_name}}) {
    auto s = optional_string(obj, key);
    if (!s) return s.error();
    *out = *s;
  }
  const Json* annotations = member(&obj, "annotations");
  if (annotations != nullptr && !annotations->is_object()) {
    return bad("\"annotations\" is not an object");
  }
  rec.image = image_of(annotations);
  auto host = optional_string(obj, "host");
  if (!host) return host.error();
  rec.host = *host;
  auto bundle = optional_string(obj, "bundle");
  namespace_and_pod(annotations, bundle ? *bundle : std::string(), &rec);

  auto changes = object_array(member(&obj, "changes"), "changes");
  if (!changes) return changes.error();
  auto refused = object_array(member(&obj, "refused"), "refused");
  if (!refused) return refused.error();
  auto checks = object_array(member(&obj, "checks"), "checks");
  if (!checks) return checks.error();
  const Json* opt = member(&obj, "opt_outs");
  if (opt != nullptr && !opt->is_object()) return bad("\"opt_outs\" is not an object");
  auto granted = string_list(opt, "granted", "opt_outs.granted");
  if (!granted) return granted.error();
  auto denied = string_list(opt, "denied", "opt_outs.denied");
  if (!denied) return denied.error();
  rec.granted = std::move(*granted);
  rec.denied = std::move(*denied);
  if (opt != nullptr) {
    auto owner = optional_string(*opt, "owner");
    auto reason = optional_string(*opt, "reason");
    auto until = optional_string(*opt, "until");
    auto expires = optional_string(*opt, "expires");
    if (!owner || !reason || !until || !expires) return bad("\"opt_outs\" has a detail that is not a string");
    rec.exc_owner = std::move(*owner);
    rec.exc_reason = std::move(*reason);
    rec.exc_until = std::move(*until);
    if (!expires->empty()) {
      auto end = parse_rfc3339(*expires);
      if (!end) return bad("opt_outs.expires: " + end.error().message);
      rec.exc_end_us = *end;
    }
  }
  const Json* user = member(&obj, "user");
  if (user != nullptr && !user->is_object()) return bad("\"user\" is not an object");

  auto st = read_refusals(*refused, &rec);
  if (!st) return st.error();
  read_checks(*checks, &rec);
  const Json* killed = member(&obj, "killed");
  rec.killed = killed != nullptr && killed->is_bool() && killed->as_bool();
  if (is_start(rec.event) && rec.decision != "refused") start_facts(obj, *changes, &rec);
  auto workload = workload_event_of(obj, rec.event, rec.decision, rec.container, rec.time_us);
  if (!workload) return workload.error();
  rec.workload = std::move(*workload);
  return rec;
}

// ---- reading the logs ----

struct Reading {
  const ReportOptions& opts;
  std::vector<std::string>* warnings;
  std::vector<Record> records;
  int malformed = 0;

  void malformed_line(const std::string& log, size_t lineno, const std::string& reason) {
    ++malformed;
    warnings->push_back(log + ":" + std::to_string(lineno) + ": malformed record: " + reason);
  }

  void line(const std::string& log, size_t lineno, const std::string& text) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) return;  // blank: nothing said
    auto rec = parse_record(text);
    if (!rec) return malformed_line(log, lineno, rec.error().message);
    if (opts.since_us && rec->time_us < *opts.since_us) return;
    rec->seq = records.size();
    records.push_back(std::move(*rec));
  }

  Status log(const std::string& path) {
    auto reader = LogReader::open(path);
    if (!reader) return make_error(reader.error().code, "audit log " + reader.error().message);
    std::string pending;
    bool overlong = false;
    size_t lineno = 0;
    std::string damage;
    std::vector<char> buf(256 << 10);
    for (;;) {
      auto n = reader->read(buf.data(), buf.size(), &damage);
      if (!n) return make_error(ErrorCode::kIo, "audit log " + path + ": " + n.error().message);
      if (*n == 0) break;
      const char* p = buf.data();
      const char* end = p + *n;
      while (p < end) {
        auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        size_t len = static_cast<size_t>((nl != nullptr ? nl : end) - p);
        if (!overlong && pending.size() + len <= kMaxLine) {
          pending.append(p, len);
        } else {
          overlong = true;
          pending.clear();
        }
        if (nl == nullptr) break;
        finish_line(path, ++lineno, &pending, &overlong);
        p = nl + 1;
      }
      if (!damage.empty()) break;
    }
    if (!pending.empty() || overlong) finish_line(path, ++lineno, &pending, &overlong);
    if (!damage.empty()) {
      warnings->push_back(path + ": " + damage + "; the rest of this log was not read");
    }
    return Ok{};
  }

  void finish_line(const std::string& path, size_t lineno, std::string* text, bool* overlong) {
    if (*overlong) {
      malformed_line(path, lineno, "longer than " + std::to_string(kMaxLine >> 20) + " MiB");
    } else {
      line(path, lineno, *text);
    }
    text->clear();
    *overlong = false;
  }
};

// ---- summarising ----

void fold(ContainerReport* c, const Record& r) {
  c->last_us = r.time_us;
  if (!r.host.empty()) c->host = r.host;
  if (is_start(r.event)) {
    ++c->start_attempts;
    if (!r.engine.empty() && r.engine != "unknown") c->engine = r.engine;
    if (!r.image.empty()) c->image = r.image;
    if (!r.policy_name.empty()) c->policy = r.policy_name;
    if (!r.ns.empty()) c->ns = r.ns;
    if (!r.pod.empty()) c->pod = r.pod;
    c->last_decision = r.decision;
    for (const auto& g : r.granted) add_unique(&c->opt_outs_granted, g);
    for (const auto& d : r.denied) add_unique(&c->opt_outs_denied, d);
    if (r.decision == "refused") {
      ++c->refused_records;
      for (const auto& rule : r.refused_rules) add_unique(&c->refused_rules, rule);
      c->host_network_refused = c->host_network_refused || r.host_network;
      return;
    }
    for (const auto& rule : r.refused_rules) add_unique(&c->would_refuse, rule);
    c->exception = !r.granted.empty();
    c->exception_owner = r.exc_owner;
    c->exception_reason = r.exc_reason;
    c->exception_until = r.exc_until;
    c->exception_end_us = r.exc_end_us;
    c->host_network_ran = c->host_network_ran || r.host_network;
    c->started = true;
    c->start_facts = true;
    c->stopped = false;
    c->mode = r.mode;
    c->root_on_host = r.root_on_host;
    c->caps_as_requested = !r.caps_changed;
    c->capabilities = r.caps_changed ? r.caps_after : std::vector<std::string>{};
    c->seccomp = r.seccomp;
    c->caps_dropped.clear();
    c->caps_added.clear();
    for (const auto& cap : r.caps_before) {
      if (!contains(r.caps_after, cap)) c->caps_dropped.push_back(cap);
    }
    for (const auto& cap : r.caps_after) {
      if (!contains(r.caps_before, cap)) c->caps_added.push_back(cap);
    }
    c->root_reason = r.root_reason;
    c->root_fix = r.root_fix;
    c->hooked = r.hooked;
    for (const auto& rule : r.changed_rules) add_unique(&c->changed_rules, rule);
  } else if (r.event == "verify") {
    c->started = true;
    c->hooked = true;  // the hook ran: its stop record will come
    ++c->verify_records;
    c->verify_records_failed += r.checks_failed > 0;
    c->verify_failed = r.checks_failed;
    c->verify_failed_checks = r.failed_checks;
    c->killed = c->killed || r.killed;
  } else if (r.event == "stop") {
    c->stopped = true;
    c->hooked = true;
  } else if (r.event == "exec") {
    ++c->execs;
    if (r.decision == "refused") ++c->execs_refused;
  } else if (r.event == "update") {
    ++c->updates;
    if (r.decision == "refused") ++c->updates_refused;
  }
  // Other events (from a newer writer) still count as "seen".
}

std::string state_of(const ContainerReport& c) {
  if (c.stopped) return "stopped";
  if (c.started) return "started";
  if (c.refused_records > 0) return "refused";
  return "unknown";
}

ReportTotals totals_of(const std::vector<ContainerReport>& cs, int malformed) {
  ReportTotals t;
  t.containers = static_cast<int>(cs.size());
  t.malformed_lines = malformed;
  for (const ContainerReport& c : cs) {
    t.started += c.started;
    t.running += c.started && !c.stopped && c.hooked;
    t.running_unknown += c.started && !c.stopped && !c.hooked;
    t.refused += c.refused_records > 0;
    t.refused_records += c.refused_records;
    for (const auto& r : c.refused_rules) ++t.refused_by_rule[r];
    t.would_refuse += !c.would_refuse.empty();
    for (const auto& r : c.would_refuse) ++t.would_refuse_by_rule[r];
    t.host_root += c.root_on_host.value_or(false);
    t.opt_outs_granted += !c.opt_outs_granted.empty();
    t.opt_outs_denied += !c.opt_outs_denied.empty();
    t.audit_mode += c.mode == "audit";
    t.verify_failed += c.verify_failed > 0;
    t.execs += c.execs;
    t.execs_refused += c.execs_refused;
    t.exec_containers += c.execs > 0;
    t.host_network += c.host_network_refused || c.host_network_ran;
    t.host_network_refused += c.host_network_refused;
    std::string registry = image_registry(c.image);
    if (registry.empty()) ++t.image_unknown;
    else ++t.image_sources[registry];
  }
  return t;
}

Report summarise(std::vector<Record> records, int malformed) {
  std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    return a.time_us != b.time_us ? a.time_us < b.time_us : a.seq < b.seq;
  });
  std::map<std::string, ContainerReport> by_id;
  for (const Record& r : records) {
    auto [it, fresh] = by_id.try_emplace(r.container);
    ContainerReport& c = it->second;
    if (fresh) {
      c.id = r.container;
      c.first_us = r.time_us;
    }
    fold(&c, r);
  }
  Report report;
  for (auto& [id, c] : by_id) {
    c.state = state_of(c);
    report.containers.push_back(std::move(c));
  }
  std::stable_sort(report.containers.begin(), report.containers.end(),
                   [](const ContainerReport& a, const ContainerReport& b) {
                     return a.first_us != b.first_us ? a.first_us < b.first_us : a.id < b.id;
                   });
  report.totals = totals_of(report.containers, malformed);
  if (!records.empty()) report.totals.last_record_us = records.back().time_us;
  std::vector<WorkloadEvent> workload_events;
  for (const Record& r : records)
    if (r.workload) workload_events.push_back(*r.workload);
  report.workloads = summarise_workloads(workload_events);
  return report;
}

// ---- the table ----

// Container ids: 12 characters like docker ps, whole with --wide.
size_t id_width(const Report& report) {
  size_t w = 12;  // like docker ps
  if (!report.wide) return w;
  for (const ContainerReport& c : report.containers) w = std::max(w, c.id.size());
  return w;
}

std::string shown_id(const Report& report, const std::string& id) { return id.substr(0, id_width(report)); }


// Why: ids and images come from annotations, the container author's text. Control bytes or
// escape sequences printed raw would let it rewrite the operator's terminal.
std::string printable(const std::string& s) {
  std::string out = s;
  for (char& ch : out) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u >= 0x7f) ch = '?';
  }
  return out;
}

std::string clip(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  return s.substr(0, width - 2) + "..";
}

// Keeps the end (name and tag), which tells images apart better than the registry does.
std::string clip_left(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  return ".." + s.substr(s.size() - (width - 2));
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// As many items as fit, then "+N" for the rest.
std::string fit_list(const std::vector<std::string>& items, size_t width,
                     const std::string& sep = ",") {
  if (items.empty()) return "-";
  for (size_t k = items.size() + 1; k-- > 0;) {
    std::vector<std::string> shown(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(k));
    if (k < items.size()) shown.push_back("+" + std::to_string(items.size() - k));
    std::string s = join(shown, sep);
    if (s.size() <= width) return s;
  }
  return clip(items[0], width);
}

// The items packed into lines of at most `width` ("a,b," / "c"); an item too long is clipped.
std::vector<std::string> wrap_list(const std::vector<std::string>& items, size_t width) {
  if (items.empty()) return {"-"};
  std::vector<std::string> lines{""};
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (!lines.back().empty() && lines.back().size() + item.size() > width) lines.emplace_back();
    lines.back() += item.size() > width ? clip(item, width) : item;
  }
  return lines;
}

struct Column {
  const char* header;
  size_t width;
};

// One table row; a cell may take several lines, and the row is as tall as its tallest cell.
using Cells = std::vector<std::vector<std::string>>;

std::string row(const std::vector<Column>& cols, const Cells& cells) {
  size_t height = 1;
  for (const auto& c : cells) height = std::max(height, c.size());
  std::string out;
  for (size_t line = 0; line < height; ++line) {
    std::string text;
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string cell = line < cells[i].size() ? printable(cells[i][line]) : "";
      cell = cell.substr(0, cols[i].width);
      text += cell;
      if (i + 1 < cols.size()) text += std::string(cols[i].width - cell.size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

std::string header(const std::vector<Column>& cols) {
  Cells cells;
  for (const Column& c : cols) cells.push_back({c.header});
  return row(cols, cells);
}

std::string minute(int64_t us) {
  std::string t = rfc3339_utc(us);  // 2026-11-28T18:19:14.123456Z
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

// Docker's familiar form: "docker.io/library/nginx:1.27" is shown as "nginx:1.27".
std::string familiar(const std::string& image) {
  for (const char* prefix : {"docker.io/library/", "docker.io/"}) {
    size_t n = std::strlen(prefix);
    if (image.compare(0, n, prefix) == 0) return image.substr(n);
  }
  return image;
}

std::string strip_cap(const std::string& name) {
  return name.compare(0, 4, "CAP_") == 0 ? name.substr(4) : name;
}

// The difference from what the engine asked for: "-NET_RAW" dropped, "+CHOWN" added.
std::vector<std::string> caps_diff(const ContainerReport& c, bool strip) {
  std::vector<std::string> out;
  for (const auto& n : c.caps_dropped) out.push_back("-" + (strip ? strip_cap(n) : n));
  for (const auto& n : c.caps_added) out.push_back("+" + (strip ? strip_cap(n) : n));
  return out;
}

std::vector<std::string> caps_cell(const ContainerReport& c, size_t width) {
  if (!c.start_facts) return {"-"};
  if (c.caps_as_requested) return {"as requested"};
  std::vector<std::string> diff = caps_diff(c, true);
  if (!diff.empty()) return wrap_list(diff, width);
  if (c.capabilities.empty()) return {"none"};
  return {"as requested"};
}

std::string default_root_fix(const std::string& engine) {
  if (engine == "docker") return "run it in a user namespace: dockerd --userns-remap=default";
  if (engine == "podman") return "run it in a user namespace: podman run --userns=auto";
  if (engine == "kubernetes") return "run it in a user namespace: the pod's spec.hostUsers: false";
  return "run it in a user namespace (linux.uidMappings), or as a non-root user";
}

std::string verify_cell(const ContainerReport& c) {
  if (c.verify_records == 0) return "-";
  if (c.verify_failed == 0) return "ok";
  return std::to_string(c.verify_failed) + " failed";
}

std::string root_cell(const ContainerReport& c) {
  if (!c.start_facts) return "-";
  if (!c.root_on_host) return "?";
  return *c.root_on_host ? "yes" : "no";
}

std::string counts(const std::map<std::string, int>& m) {
  std::vector<std::string> parts;
  for (const auto& [k, n] : m) parts.push_back(k + " " + std::to_string(n));
  return join(parts, ", ");
}

int with_rule(const std::vector<ContainerReport>& cs, const std::string& rule, bool enforced_only) {
  int n = 0;
  for (const auto& c : cs) {
    n += contains(c.refused_rules, rule) || (!enforced_only && contains(c.would_refuse, rule));
  }
  return n;
}

std::string footer(const Report& r) {
  const ReportTotals& t = r.totals;
  const auto& cs = r.containers;
  auto n = [](int v) { return std::to_string(v); };
  std::vector<std::string> sources;
  for (const auto& [registry, count] : t.image_sources) {
    sources.push_back(registry + " " + n(count));
  }
  sources.push_back("unknown " + n(t.image_unknown));
  std::string out = "Operator questions (docker-security-cheat-sheet.txt):\n";
  out += "  Q4  containers that asked for sensitive host mounts: " +
         n(with_rule(cs, "sensitive-mounts", false)) + " (refused " +
         n(with_rule(cs, "sensitive-mounts", true)) + "); secrets in images: not logged\n";
  out += "  Q5  containers that ran as host root: " + n(t.host_root) +
         "; asked for privileged: " + n(with_rule(cs, "privileged", false)) + " (refused " +
         n(with_rule(cs, "privileged", true)) + ")\n";
  out += "  Q6  containers that asked for the host's network: " + n(t.host_network) +
         " (refused " + n(t.host_network_refused) + "); network policies: not logged\n";
  // Q7 is answered by the hook's stop records: without the hook (policy "hook": "none", audit
  // mode) no stop is ever recorded, and "no stop record" does not mean "running".
  bool any_hooked = std::any_of(cs.begin(), cs.end(), [](const ContainerReport& c) { return c.hooked; });
  if (t.running_unknown > 0 && !any_hooked) {
    out += "  Q7  containers running now: cannot know, the verify hook was off for all " +
           n(t.running_unknown) + " started; failed verification: " + n(t.verify_failed) + "\n";
  } else if (t.running_unknown > 0) {
    out += "  Q7  containers running now (started, no stop record): " + n(t.running) +
           "; failed verification: " + n(t.verify_failed) + "\n";
    out += "      cannot know for " + n(t.running_unknown) +
           " more, started without the verify hook (\"hook\": \"none\", or audit mode)\n";
  } else {
    out += "  Q7  containers running now (started, no stop record): " + n(t.running) +
           "; failed verification: " + n(t.verify_failed) + "\n";
  }
  out += "  Q8  image sources: " + fit_list(sources, kTableWidth - 22, ", ") + "\n";
  out += "  Q10 processes started by exec: " + n(t.execs) + " (refused " + n(t.execs_refused) +
         ") in " + n(t.exec_containers) + " container(s); other processes: not logged\n";
  return out;
}

std::string totals_block(const ReportTotals& t) {
  auto line = [](const std::string& what, int v, const std::string& more) {
    std::string s = "  " + what + std::string(24 - what.size(), ' ') + std::to_string(v);
    if (!more.empty()) s += "  (" + more + ")";
    return clip(s, kTableWidth) + "\n";
  };
  std::string out = "Totals:\n";
  out += line("containers seen", t.containers, "");
  out += line("started", t.started, std::to_string(t.running) + " with no stop record, " +
                                        (t.running_unknown > 0 ? std::to_string(t.running_unknown) +
                                                                     " without the verify hook, "
                                                               : std::string()) +
                                        std::to_string(t.audit_mode) + " in audit mode");
  out += line("refused", t.refused, counts(t.refused_by_rule));
  out += line("ran, would be refused", t.would_refuse, counts(t.would_refuse_by_rule));
  out += line("running as host root", t.host_root, "");
  out += line("with opt-outs granted", t.opt_outs_granted, "");
  out += line("with opt-outs denied", t.opt_outs_denied, "");
  out += line("failed verification", t.verify_failed, "");
  out += line("exec into containers", t.execs, std::to_string(t.execs_refused) + " refused");
  out += line("malformed lines", t.malformed_lines, "");
  return out;
}

// ---- JSON ----

Json strings(const std::vector<std::string>& v) { return string_array(v); }

Json opt_string(const std::string& s) { return s.empty() ? Json() : Json::string(s); }

Json count_map(const std::map<std::string, int>& m) {
  Json o = Json::object();
  for (const auto& [k, v] : m) o.set_exact(k, Json::integer(v));
  return o;
}

Json container_json(const ContainerReport& c) {
    Json j = Json::object();
  j.set("id", Json::string(c.id));
  j.set("first_seen", Json::string(rfc3339_utc(c.first_us)));
  j.set("last_seen", Json::string(rfc3339_utc(c.last_us)));
  j.set("engine", Json::string(c.engine));
  j.set("image", opt_string(c.image));
  j.set("registry", opt_string(image_registry(c.image)));
  j.set("mode", opt_string(c.mode));
  j.set("policy", opt_string(c.policy));
  j.set("host", opt_string(c.host));
  j.set("namespace", opt_string(c.ns));
  j.set("pod", opt_string(c.pod));
  j.set("state", Json::string(c.state));
  j.set("last_decision", opt_string(c.last_decision));
  j.set("verify_hook", Json::boolean(c.hooked));
  j.set("start_attempts", Json::integer(c.start_attempts));
  j.set("root_on_host", c.root_on_host ? Json::boolean(*c.root_on_host) : Json());
  if (c.root_on_host.value_or(false)) {
    j.set("root_on_host_reason", opt_string(c.root_reason));
    j.set("fix", Json::string(!c.root_fix.empty() ? c.root_fix : default_root_fix(c.engine)));
  }
  if (c.start_facts) {
    Json caps = Json::object();
    caps.set("as_requested", Json::boolean(c.caps_as_requested));
    caps.set("bounding", c.caps_as_requested ? Json() : strings(c.capabilities));
    caps.set("dropped", strings(c.caps_dropped));
    caps.set("added", strings(c.caps_added));
    j.set("capabilities", std::move(caps));
  } else {
    j.set("capabilities", Json());
  }
  j.set("seccomp", opt_string(c.seccomp));
  Json refused = Json::object();
  refused.set("records", Json::integer(c.refused_records));
  refused.set("rules", strings(c.refused_rules));
  j.set("refused", std::move(refused));
  j.set("would_refuse", strings(c.would_refuse));
  Json opt = Json::object();
  opt.set("granted", strings(c.opt_outs_granted));
  opt.set("denied", strings(c.opt_outs_denied));
  j.set("opt_outs", std::move(opt));
  if (c.verify_records > 0) {
    Json v = Json::object();
    v.set("records", Json::integer(c.verify_records));
    v.set("failed", Json::integer(c.verify_failed));
    v.set("failed_checks", strings(c.verify_failed_checks));
    v.set("killed", Json::boolean(c.killed));
    j.set("verify", std::move(v));
  } else {
    j.set("verify", Json());
  }
  Json exec = Json::object();
  exec.set("total", Json::integer(c.execs));
  exec.set("refused", Json::integer(c.execs_refused));
  j.set("exec", std::move(exec));
  Json update = Json::object();
  update.set("total", Json::integer(c.updates));
  update.set("refused", Json::integer(c.updates_refused));
  j.set("update", std::move(update));
  return j;
}

Json totals_json(const ReportTotals& t) {
  Json j = Json::object();
  j.set("containers", Json::integer(t.containers));
  j.set("started", Json::integer(t.started));
  j.set("running", Json::integer(t.running));
  j.set("running_unknown", Json::integer(t.running_unknown));
  Json refused = Json::object();
  refused.set("containers", Json::integer(t.refused));
  refused.set("records", Json::integer(t.refused_records));
  refused.set("by_rule", count_map(t.refused_by_rule));
  j.set("refused", std::move(refused));
  j.set("would_refuse_by_rule", count_map(t.would_refuse_by_rule));
  j.set("host_root", Json::integer(t.host_root));
  Json opt = Json::object();
  opt.set("granted", Json::integer(t.opt_outs_granted));
  opt.set("denied", Json::integer(t.opt_outs_denied));
  j.set("opt_outs", std::move(opt));
  j.set("audit_mode", Json::integer(t.audit_mode));
  j.set("verify_failed", Json::integer(t.verify_failed));
  j.set("would_refuse", Json::integer(t.would_refuse));
  Json network = Json::object();
  network.set("asked", Json::integer(t.host_network));
  network.set("refused", Json::integer(t.host_network_refused));
  j.set("host_network", std::move(network));
  Json exec = Json::object();
  exec.set("total", Json::integer(t.execs));
  exec.set("refused", Json::integer(t.execs_refused));
  exec.set("containers", Json::integer(t.exec_containers));
  j.set("exec", std::move(exec));
  j.set("image_sources", count_map(t.image_sources));
  j.set("image_unknown", Json::integer(t.image_unknown));
  j.set("malformed_lines", Json::integer(t.malformed_lines));
  j.set("last_record", t.last_record_us > 0 ? Json::string(rfc3339_utc(t.last_record_us)) : Json());
  return j;
}

}  // namespace

namespace {

// ---- exceptions ----

constexpr int64_t kDayUs = 86400LL * 1000000;

// Whole days from now to the exception's end (0 on its last day); nullopt without an end or clock.
std::optional<int64_t> days_left(const ContainerReport& c, std::optional<int64_t> now_us) {
  if (!c.exception_end_us || !now_us) return std::nullopt;
  return (*c.exception_end_us - *now_us) / kDayUs;
}

bool exception_live(const ContainerReport& c, std::optional<int64_t> now_us) {
  if (!c.exception) return false;
  return !c.exception_end_us || !now_us || *c.exception_end_us >= *now_us;
}

void count_exceptions(Report* report, std::optional<int64_t> now_us) {
  report->now_us = now_us;
  for (const ContainerReport& c : report->containers) {
    if (!exception_live(c, now_us)) continue;
    ++report->totals.exceptions_live;
    auto left = days_left(c, now_us);
    report->totals.exceptions_expiring += left && *c.exception_end_us - *now_us < 7 * kDayUs;
  }
}

// One line per live exception: container, owner, reason, end, days left; those ending within a
// week marked.
std::string exceptions_block(const Report& report) {
  std::string out;
  for (const ContainerReport& c : report.containers) {
    if (!exception_live(c, report.now_us)) continue;
    auto left = days_left(c, report.now_us);
    std::string when = c.exception_until.empty() ? "no end" : "until " + c.exception_until;
    if (left) when += " (" + std::to_string(*left) + (*left == 1 ? " day left)" : " days left)");
    bool soon = left && *c.exception_end_us - *report.now_us < 7 * kDayUs;
    std::string line = std::string(soon ? "! " : "  ") + shown_id(report, c.id) + "  " + when + "  owner " +
                       (c.exception_owner.empty() ? "-" : c.exception_owner) + "  skips " +
                       join(c.opt_outs_granted, ",");
    out += clip(line, kTableWidth) + "\n";
    // The reason is the author's free text: a line of its own, clipped to the width.
    out += clip("    reason: " + (c.exception_reason.empty() ? "-" : c.exception_reason), kTableWidth) + "\n";
  }
  if (out.empty()) return out;
  return "Live exceptions (! ends within a week): " + std::to_string(report.totals.exceptions_live) +
         " live, " + std::to_string(report.totals.exceptions_expiring) + " ending within a week\n" + out;
}

Json exception_json(const ContainerReport& c, std::optional<int64_t> now_us) {
  if (!c.exception) return Json();
  Json e = Json::object();
  e.set("owner", opt_string(c.exception_owner));
  e.set("reason", opt_string(c.exception_reason));
  e.set("until", opt_string(c.exception_until));
  e.set("expires", c.exception_end_us ? Json::string(rfc3339_utc(*c.exception_end_us)) : Json());
  e.set("live", Json::boolean(exception_live(c, now_us)));
  auto left = days_left(c, now_us);
  e.set("days_left", left ? Json::integer(*left) : Json());
  return e;
}

}  // namespace

Result<int64_t> parse_rfc3339(const std::string& text) {
  auto fail = [&](const std::string& why) -> Error {
    return make_error(ErrorCode::kUsage, "\"" + text + "\" is not an RFC 3339 time (" + why +
                                             "; e.g. 2026-11-28T18:00:00Z)");
  };
  int y, mo, d, h, mi, s;
  if (!digits(text, 0, 4, &y) || text.size() < 19 || text[4] != '-' || !digits(text, 5, 2, &mo) ||
      text[7] != '-' || !digits(text, 8, 2, &d) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text, 11, 2, &h) || text[13] != ':' || !digits(text, 14, 2, &mi) ||
      text[16] != ':' || !digits(text, 17, 2, &s)) {
    return fail("expected YYYY-MM-DDTHH:MM:SS");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60) {
    return fail("a field is out of range");
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start < 6) micros = micros * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return fail("no digits after '.'");
    for (size_t k = pos - start; k < 6; ++k) micros *= 10;
  }
  int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!digits(text, pos + 1, 2, &oh) || text.size() < pos + 6 || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return fail("bad UTC offset");
    }
    offset_s = (text[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return fail("no time zone (Z or +HH:MM)");
  }
  if (pos != text.size()) return fail("trailing text");
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  time_t t = timegm(&tm);
  return (static_cast<int64_t>(t) - offset_s) * 1000000 + micros;
}

std::string image_registry(const std::string& image) {
  if (image.empty()) return "";
  size_t slash = image.find('/');
  if (slash == std::string::npos) return "docker.io";  // "nginx:1.27", "nginx@sha256:…"
  std::string first = image.substr(0, slash);
  bool is_host = first.find_first_of(".:") != std::string::npos || first == "localhost";
  if (!is_host) return "docker.io";  // "library/nginx", "user/app"
  if (first == "index.docker.io" || first == "registry-1.docker.io") return "docker.io";
  return first;
}

Result<Report> read_audit_logs(const ReportOptions& opts, std::vector<std::string>* warnings) {
  Reading reading{opts, warnings, {}, 0};
  for (const std::string& log : opts.logs) {
    auto st = reading.log(log);
    if (!st) return st.error();
  }
  Report report = summarise(std::move(reading.records), reading.malformed);
  report.wide = opts.wide;
  count_exceptions(&report, opts.now_us);
  return report;
}

// One policy per workload: which containers each named policy applied to, when any but the
// default did (a third table; the two above are full at 100 columns).
// Per rule, how many containers it changed, refused, would have refused (audit mode) and how
// many opted out of it: what an operator looks at before moving a rule from audit to enforce.
struct RolloutCounts {
  int changed = 0, refused = 0, would = 0, opted = 0;
};

std::map<std::string, RolloutCounts> rollout_counts(const Report& report) {
  std::map<std::string, RolloutCounts> by_rule;
  for (const ContainerReport& c : report.containers) {
    for (const auto& r : c.changed_rules) ++by_rule[r].changed;
    for (const auto& r : c.refused_rules) ++by_rule[r].refused;
    for (const auto& r : c.would_refuse) ++by_rule[r].would;
    for (const auto& r : c.opt_outs_granted) ++by_rule[r].opted;
  }
  return by_rule;
}

Json rollout_json(const Report& report) {
  Json j = Json::object();
  for (const auto& [rule, n] : rollout_counts(report)) {
    Json r = Json::object();
    r.set("changed", Json::integer(n.changed));
    r.set("refused", Json::integer(n.refused));
    r.set("would_refuse", Json::integer(n.would));
    r.set("opted_out", Json::integer(n.opted));
    j.set_exact(rule, std::move(r));
  }
  return j;
}

std::string rollout_block(const Report& report) {
  std::map<std::string, RolloutCounts> by_rule = rollout_counts(report);
  if (by_rule.empty()) return "";
  const std::vector<Column> cols = {{"RULE", 24}, {"CHANGED", 8}, {"REFUSED", 8},
                                    {"AUDIT: WOULD REFUSE", 19}, {"OPTED OUT", 9}};
  std::string out = "Rollout, containers per rule:\n" + header(cols);
  for (const auto& [rule, n] : by_rule) {
    out += row(cols, {{clip(rule, 24)}, {std::to_string(n.changed)}, {std::to_string(n.refused)},
                      {std::to_string(n.would)}, {std::to_string(n.opted)}});
  }
  return out;
}

// Where the records say: the node, and the pod's namespace and name (or containerd's namespace).
std::string placement_block(const Report& report) {
  bool any = false;
  for (const ContainerReport& c : report.containers) any = any || !c.host.empty() || !c.ns.empty() || !c.pod.empty();
  if (!any) return "";
  size_t idw = id_width(report);
  const std::vector<Column> cols = {{"CONTAINER", idw}, {"HOST", 20}, {"NAMESPACE", 20}, {"POD", 36}};
  std::string out = header(cols);
  for (const ContainerReport& c : report.containers) {
    out += row(cols, {{c.id}, {c.host.empty() ? "-" : clip(c.host, 20)}, {c.ns.empty() ? "-" : clip(c.ns, 20)},
                      {c.pod.empty() ? "-" : clip(c.pod, 36)}});
  }
  return out;
}

// Containers that ran as root on the host: why, and what would avoid it.
std::string host_root_block(const Report& report) {
  std::string out;
  for (const ContainerReport& c : report.containers) {
    if (!c.root_on_host.value_or(false)) continue;
    out += clip("  " + shown_id(report, c.id) + "  " + c.engine + "  " + (c.root_reason.empty() ? "-" : c.root_reason),
                report.wide ? std::string::npos : kTableWidth) + "\n";
    std::string fix = !c.root_fix.empty() ? c.root_fix : default_root_fix(c.engine);
    out += clip("      fix: " + fix, report.wide ? std::string::npos : kTableWidth) + "\n";
  }
  if (out.empty()) return out;
  return "Running as host root (" + std::to_string(report.totals.host_root) + "): reason, and the fix\n" + out;
}

std::string policies_block(const Report& report) {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_policy;
  bool named = false;
  for (const ContainerReport& c : report.containers) {
    if (c.policy.empty()) continue;
    named = named || c.policy != "default";
    auto it = std::find_if(by_policy.begin(), by_policy.end(), [&](const auto& p) { return p.first == c.policy; });
    if (it == by_policy.end()) it = by_policy.insert(by_policy.end(), {c.policy, {}});
    it->second.push_back(shown_id(report, c.id));
  }
  if (!named) return "";
  const std::vector<Column> cols = {{"POLICY", 16}, {"CONTAINERS (last start)", 82}};
  std::string out = "\n" + header(cols);
  for (const auto& [name, ids] : by_policy) out += row(cols, {{clip(name, 16)}, wrap_list(ids, 82)});
  return out;
}

std::string format_report_table(const Report& report) {
  size_t idw = id_width(report);
  const std::vector<Column> who = {{"CONTAINER", idw}, {"ENGINE", 10},     {"MODE", 7},
                                   {"STATE", 7},      {"FIRST SEEN", 16}, {"LAST SEEN", 16},
                                   {"IMAGE", 20}};
  const std::vector<Column> what = {{"CONTAINER", idw},    {"ROOT", 4},     {"SECCOMP", 13},
                                    {"CAPABILITIES", 18}, {"REFUSED", 17}, {"OPT-OUTS", 16},
                                    {"VERIFY", 8}};
  std::string out = header(who);
  for (const ContainerReport& c : report.containers) {
    out += row(who, {{c.id}, {c.engine}, {c.mode.empty() ? "-" : c.mode}, {c.state},
                     {minute(c.first_us)}, {minute(c.last_us)},
                     {c.image.empty() ? "-" : clip_left(familiar(c.image), 20)}});
  }
  out += "\n" + header(what);
  for (const ContainerReport& c : report.containers) {
    std::vector<std::string> refused = c.refused_rules;
    for (const auto& r : c.would_refuse) refused.push_back(r + "*");
    std::vector<std::string> opt = c.opt_outs_granted;
    for (const auto& d : c.opt_outs_denied) opt.push_back("!" + d);
    out += row(what, {{c.id}, {root_cell(c)}, {c.start_facts ? c.seccomp : "-"}, caps_cell(c, 18),
                      wrap_list(refused, 17), wrap_list(opt, 16), {verify_cell(c)}});
  }
  out += policies_block(report);
  if (std::string place = placement_block(report); !place.empty()) out += "\n" + place;
  out += "Times are UTC. ROOT: root on the host at its last start. "
         "CAPABILITIES: -dropped +added.\n"
         "REFUSED rule*: audit mode, would be refused but ran. "
         "OPT-OUTS !rule: asked for, denied.\n";
  if (std::string rollout = rollout_block(report); !rollout.empty()) out += "\n" + rollout;
  if (std::string root = host_root_block(report); !root.empty()) out += "\n" + root;
  if (std::string workloads = format_workloads_table(report.workloads); !workloads.empty()) out += "\n" + workloads;
  out += "\n" + totals_block(report.totals);
  if (std::string exc = exceptions_block(report); !exc.empty()) out += "\n" + exc;
  out += "\n" + footer(report);
  return out;
}

std::string format_report_json(const Report& report) {
  Json containers = Json::array();
  for (const ContainerReport& c : report.containers) {
    Json cj = container_json(c);
    if (c.exception) cj.set("exception", exception_json(c, report.now_us));
    containers.push_back(std::move(cj));
  }
  Json j = Json::object();
  j.set("containers", std::move(containers));
  Json totals = totals_json(report.totals);
  Json exc = Json::object();
  exc.set("live", Json::integer(report.totals.exceptions_live));
  exc.set("ending_within_week", Json::integer(report.totals.exceptions_expiring));
  totals.set("exceptions", std::move(exc));
  totals.set("rollout", rollout_json(report));
  j.set("totals", std::move(totals));
  if (!report.workloads.empty()) j.set("workloads", workloads_json(report.workloads));
  return to_json(j) + "\n";
}

Result<std::string> run_report(const ReportOptions& opts, std::vector<std::string>* warnings) {
  auto report = read_audit_logs(opts, warnings);
  if (!report) return report.error();
  switch (opts.format) {
    case ReportFormat::kJson: return format_report_json(*report);
    case ReportFormat::kPrometheus: return format_report_prometheus(*report);
    case ReportFormat::kTable: break;
  }
  return format_report_table(*report);
}

Result<int64_t> parse_since(const std::string& text, int64_t now_us) {
  // A relative age: digits and one unit.
  if (text.size() >= 2 && text.find_first_not_of("0123456789") == text.size() - 1) {
    static const std::pair<char, int64_t> kUnits[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    for (const auto& [unit, seconds] : kUnits) {
      if (text.back() != unit) continue;
      if (text.size() > 10) break;  // more than 999999999 units: not an age anyone means
      int64_t n = std::stoll(text.substr(0, text.size() - 1));
      return now_us - n * seconds * 1000000;
    }
  }
  auto abs = parse_rfc3339(text);
  if (abs) return abs;
  return make_error(ErrorCode::kUsage, "\"" + text + "\" is neither an age (30m, 24h, 7d) nor an RFC 3339 time "
                                       "(e.g. 2026-11-28T18:00:00Z)");
}

std::string no_audit_log_message(const ReportOptions& opts) {
  if (opts.logs.empty()) return "";
  for (const std::string& log : opts.logs) {
    struct stat st;
    if (::stat(log.c_str(), &st) == 0 || errno != ENOENT) return "";
  }
  std::string names;
  for (const std::string& log : opts.logs) names += (names.empty() ? "" : ", ") + log;
  return "no audit log at " + names +
         " yet: no container has started through oci-harden on this host, or the policy's "
         "audit_log points elsewhere";
}

namespace {

// Prometheus text exposition: label values through prometheus_label; HELP text escapes \\ and
// newline.

struct PromWriter {
  std::string out;
  void family(const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels,
              const std::string& value) {
    out += name;
    if (!labels.empty()) {
      out += "{";
      for (size_t i = 0; i < labels.size(); ++i) {
        out += (i > 0 ? "," : "") + labels[i].first + "=\"" + prometheus_label(labels[i].second) + "\"";
      }
      out += "}";
    }
    out += " " + value + "\n";
  }
};

}  // namespace

std::string format_report_prometheus(const Report& report) {
  const ReportTotals& t = report.totals;
  auto n = [](int64_t v) { return std::to_string(v); };
  PromWriter w;
  w.family("oci_harden_decisions_total", "counter",
           "Containers in the audit log per rule and decision (changed, refused, would_refuse in audit mode, opted_out).");
  for (const auto& [rule, c] : rollout_counts(report)) {
    w.sample("oci_harden_decisions_total", {{"rule", rule}, {"decision", "changed"}}, n(c.changed));
    w.sample("oci_harden_decisions_total", {{"rule", rule}, {"decision", "refused"}}, n(c.refused));
    w.sample("oci_harden_decisions_total", {{"rule", rule}, {"decision", "would_refuse"}}, n(c.would));
    w.sample("oci_harden_decisions_total", {{"rule", rule}, {"decision", "opted_out"}}, n(c.opted));
  }
  w.family("oci_harden_containers_total", "counter",
           "Containers in the audit log by the decision of their last start (applied, unchanged, refused, audited).");
  std::map<std::string, int> by_decision = {{"applied", 0}, {"unchanged", 0}, {"refused", 0}, {"audited", 0}};
  for (const ContainerReport& c : report.containers) {
    if (!c.last_decision.empty()) ++by_decision[c.last_decision];
  }
  for (const auto& [decision, count] : by_decision) {
    w.sample("oci_harden_containers_total", {{"decision", decision}}, n(count));
  }
  w.family("oci_harden_containers_host_root", "gauge",
           "Containers whose last start ran as root on the host (no user namespace, or uid 0 mapped to 0).");
  w.sample("oci_harden_containers_host_root", {}, n(t.host_root));
  w.family("oci_harden_containers_running", "gauge",
           "Containers started with no stop record; state=\"unknown\": started without the verify hook.");
  w.sample("oci_harden_containers_running", {{"state", "running"}}, n(t.running));
  w.sample("oci_harden_containers_running", {{"state", "unknown"}}, n(t.running_unknown));
  int64_t failed = 0;
  for (const ContainerReport& c : report.containers) failed += c.verify_records_failed;
  w.family("oci_harden_verifications_failed_total", "counter",
           "Verify records (oci-harden-hook poststart) with a failed check.");
  w.sample("oci_harden_verifications_failed_total", {}, n(failed));
  w.family("oci_harden_report_malformed_lines_total", "counter", "Audit log lines that are not a record.");
  w.sample("oci_harden_report_malformed_lines_total", {}, n(t.malformed_lines));
  w.family("oci_harden_report_last_record_timestamp_seconds", "gauge",
           "Time of the newest record read (Unix seconds; 0: no record).");
  std::string last = n(t.last_record_us / 1000000);
  if (t.last_record_us % 1000000 != 0) {
    std::string frac = std::to_string(t.last_record_us % 1000000 + 1000000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    last += "." + frac;
  }
  w.sample("oci_harden_report_last_record_timestamp_seconds", {}, last);
  return w.out + format_workloads_prometheus(report.workloads);
}

Status write_report_file(const std::string& path, const std::string& contents) {
  std::string dir = dir_name(path);
  std::string tmpl = (dir.empty() ? std::string(".") : dir) + "/." + base_name(path) + ".XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  UniqueFd fd(::mkstemp(name.data()));
  if (!fd.valid()) return make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  std::string tmp(name.data());
  auto fail = [&](const std::string& what) -> Status {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(err));
  };
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), 0644) != 0) return fail("chmod");
  if (::fsync(fd.get()) != 0) return fail("fsync");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  return Ok{};
}

}  // namespace oci_harden
