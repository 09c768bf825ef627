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
#include <memory>
#include <type_traits>

#include "shim/host/clock.hh"
#include "shim/core/handles.hh"
#include "shim/core/json.hh"
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
  if (audited && userns != nullptr) {
    const Json* before = member(userns, "before");
    const Json* uid = member(user, "uid");
    int64_t n = -1;
    if ((before == nullptr || (before->is_array() && before->items().empty())) &&
        uid != nullptr && uid->to_int64(&n)) {
      rec->root_on_host = n == 0;
    }
  }

  const Json* caps = find_change(changes, "capabilities", "process.capabilities.bounding");
  if (caps != nullptr && !audited) {
    rec->caps_changed = true;
    rec->caps_after = string_items(member(caps, "after"));
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
  if (is_start(r.event)) {
    ++c->start_attempts;
    if (!r.engine.empty() && r.engine != "unknown") c->engine = r.engine;
    if (!r.image.empty()) c->image = r.image;
    if (!r.policy_name.empty()) c->policy = r.policy_name;
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
  } else if (r.event == "verify") {
    c->started = true;
    ++c->verify_records;
    c->verify_failed = r.checks_failed;
    c->verify_failed_checks = r.failed_checks;
    c->killed = c->killed || r.killed;
  } else if (r.event == "stop") {
    c->stopped = true;
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
    t.running += c.started && !c.stopped;
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
  return report;
}

// ---- the table ----

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

std::vector<std::string> caps_cell(const ContainerReport& c, size_t width) {
  if (!c.start_facts) return {"-"};
  if (c.caps_as_requested) return {"as requested"};
  if (c.capabilities.empty()) return {"none"};
  std::vector<std::string> names;
  for (const auto& n : c.capabilities) names.push_back(strip_cap(n));
  return wrap_list(names, width);
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
  out += "  Q7  containers running now (started, no stop record): " + n(t.running) +
         "; failed verification: " + n(t.verify_failed) + "\n";
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
  j.set("state", Json::string(c.state));
  j.set("start_attempts", Json::integer(c.start_attempts));
  j.set("root_on_host", c.root_on_host ? Json::boolean(*c.root_on_host) : Json());
  if (c.start_facts) {
    Json caps = Json::object();
    caps.set("as_requested", Json::boolean(c.caps_as_requested));
    caps.set("bounding", c.caps_as_requested ? Json() : strings(c.capabilities));
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
    std::string line = std::string(soon ? "! " : "  ") + c.id + "  " + when + "  owner " +
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
  count_exceptions(&report, opts.now_us);
  return report;
}

// One policy per workload: which containers each named policy applied to, when any but the
// default did (a third table; the two above are full at 100 columns).
std::string policies_block(const Report& report) {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_policy;
  bool named = false;
  for (const ContainerReport& c : report.containers) {
    if (c.policy.empty()) continue;
    named = named || c.policy != "default";
    auto it = std::find_if(by_policy.begin(), by_policy.end(), [&](const auto& p) { return p.first == c.policy; });
    if (it == by_policy.end()) it = by_policy.insert(by_policy.end(), {c.policy, {}});
    it->second.push_back(c.id.substr(0, 12));
  }
  if (!named) return "";
  const std::vector<Column> cols = {{"POLICY", 16}, {"CONTAINERS (last start)", 82}};
  std::string out = "\n" + header(cols);
  for (const auto& [name, ids] : by_policy) out += row(cols, {{clip(name, 16)}, wrap_list(ids, 82)});
  return out;
}

std::string format_report_table(const Report& report) {
  const std::vector<Column> who = {{"CONTAINER", 12}, {"ENGINE", 10},     {"MODE", 7},
                                   {"STATE", 7},      {"FIRST SEEN", 16}, {"LAST SEEN", 16},
                                   {"IMAGE", 20}};
  const std::vector<Column> what = {{"CONTAINER", 12},    {"ROOT", 4},     {"SECCOMP", 13},
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
  out += "Times are UTC. ROOT: root on the host at its last start. "
         "CAPABILITIES: bounding set kept.\n"
         "REFUSED rule*: audit mode, would be refused but ran. "
         "OPT-OUTS !rule: asked for, denied.\n";
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
  j.set("totals", std::move(totals));
  return to_json(j) + "\n";
}

Result<std::string> run_report(const ReportOptions& opts, std::vector<std::string>* warnings) {
  auto report = read_audit_logs(opts, warnings);
  if (!report) return report.error();
  return opts.format == ReportFormat::kJson ? format_report_json(*report)
                                            : format_report_table(*report);
}

}  // namespace oci_harden
