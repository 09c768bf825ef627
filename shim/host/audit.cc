// Building an audit record and appending it durably.

#include "shim/host/audit.hh"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "shim/core/handles.hh"
#include "shim/core/rfc3339.hh"
#include "shim/core/harden.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/refusal_fix.hh"
#include "shim/core/rootless.hh"
#include "shim/core/spec.hh"
#include "shim/host/clock.hh"
#include "shim/host/runc_log.hh"
#include "shim/host/process_identity.hh"

namespace oci_harden {

namespace {

Json str(const std::string& s) { return Json::string(s); }

Json strings(const std::vector<std::string>& v) { return string_array(v); }

// Host uid for a container uid under the spec's mappings; -1 when unmapped.
int64_t map_id(const Json* mappings, uint32_t id) {
  if (mappings == nullptr || !mappings->is_array() || mappings->items().empty()) return id;
  for (const Json& m : mappings->items()) {
    auto c = int_field(&m, "containerID"), h = int_field(&m, "hostID"), s = int_field(&m, "size");
    if (c && h && s && id >= *c && id < *c + *s) return *h + (id - *c);
  }
  return -1;
}

bool has_user_namespace(const Json& spec) {
  const Json* ns = field_at(spec, "linux.namespaces");
  if (ns == nullptr || !ns->is_array()) return false;
  for (const Json& n : ns->items()) {
    if (string_field(&n, "type").value_or("") == "user") return true;
  }
  return false;
}

}  // namespace

// The report: which node a record is from, once a fleet's logs are gathered in one place.
const std::string& audit_host_name() {
  static const std::string name = [] {
    struct utsname u = {};
    return ::uname(&u) == 0 ? std::string(u.nodename) : std::string();
  }();
  return name;
}

Json user_summary(const Json& spec) {
  const Json* process = field(&spec, "process");
  const Json* user = field(process ? process : &spec, "user");
  uint32_t uid = static_cast<uint32_t>(int_field(user, "uid").value_or(0));
  uint32_t gid = static_cast<uint32_t>(int_field(user, "gid").value_or(0));
  Json out = Json::object();
  out.set("uid", Json::integer(uid));
  out.set("gid", Json::integer(gid));
  bool userns = has_user_namespace(spec);
  int64_t host_uid = userns ? map_id(field_at(spec, "linux.uidMappings"), uid) : uid;
  out.set("user_namespace", Json::boolean(userns));
  out.set("host_uid", host_uid < 0 ? Json() : Json::integer(host_uid));
  out.set("root_on_host", Json::boolean(host_uid == 0));
  return out;
}

Json user_summary(const Json& spec, const std::vector<IdMapRange>& own_uid_map) {
  Json out = user_summary(spec);
  if (maps_host_root(own_uid_map) && outer_id(own_uid_map, 0) == 0u) return out;  // the host's ids
  // Rootless engines: the spec's ids are the engine's namespace's; through its map to the host.
  std::optional<int64_t> inner = int_field(&out, "host_uid");
  std::optional<uint32_t> host;
  if (inner && *inner >= 0 && *inner <= UINT32_MAX) host = outer_id(own_uid_map, static_cast<uint32_t>(*inner));
  out.set("host_uid", host ? Json::integer(*host) : Json());
  out.set("root_on_host", Json::boolean(host && *host == 0));
  out.set("rootless", Json::boolean(!maps_host_root(own_uid_map)));
  return out;
}

Json interesting_annotations(const Json& spec, const std::string& opt_out_key) {
  static const char* const kPrefixes[] = {
      "io.kubernetes.", "io.podman.", "io.containerd.", "org.opencontainers.image.", "com.docker.",
  };
  Json out = Json::object();
  const Json* ann = field(&spec, "annotations");
  if (ann == nullptr || !ann->is_object()) return out;
  for (const auto& [key, value] : ann->members()) {
    bool keep = key == opt_out_key;
    for (const char* p : kPrefixes) keep = keep || key.compare(0, std::strlen(p), p) == 0;
    // Bounded: an annotation is the container author's text, so cap what reaches the log.
    if (keep && value.is_string() && out.members().size() < 32) {
      out.set_exact(key, Json::string(value.text().substr(0, 1024)));
    }
  }
  return out;
}

std::string guess_engine(const Json& spec, const std::string& bundle) {
  const Json* ann = field(&spec, "annotations");
  if (ann != nullptr && ann->is_object()) {
    // Podman writes io.kubernetes.cri-o.* annotations too: look for its own marks first.
    bool kubernetes = false;
    for (const auto& [key, value] : ann->members()) {
      if (key.compare(0, 10, "io.podman.") == 0) return "podman";
      if (key == "io.container.manager" && value.is_string() && value.text() == "libpod") {
        return "podman";
      }
      if (key.compare(0, 14, "io.kubernetes.") == 0) kubernetes = true;
    }
    if (kubernetes) return "kubernetes";
  }
  const Json* hooks = field(&spec, "hooks");
  if (hooks != nullptr && to_json(*hooks).find("libnetwork-setkey") != std::string::npos) {
    return "docker";
  }
  auto root = string_field(field(&spec, "root"), "path").value_or("");
  if (root.find("/docker/") != std::string::npos) return "docker";
  if (root.find("/containers/storage/") != std::string::npos) return "podman";
  if (root.find("containerd") != std::string::npos) return "containerd";
  // Why the bundle: `ctr run` and containerd clients write root.path "rootfs" (relative) or
  // the caller's own directory, so the spec alone never says containerd. dockerd's containerd
  // keeps its tasks in the namespace "moby".
  const std::string task_dir = "/io.containerd.runtime.v2.task/";
  size_t at = bundle.find(task_dir);
  if (at != std::string::npos) {
    return bundle.compare(at + task_dir.size(), 5, "moby/") == 0 ? "docker" : "containerd";
  }
  return "unknown";
}

std::string audit_record(const AuditEvent& e, int64_t unix_time_us) {
  Json r = Json::object();
  r.set("v", Json::integer(1));
  r.set("time", str(rfc3339_utc(unix_time_us)));
  r.set("host", str(audit_host_name()));
  r.set("event", str(e.event));
  r.set("decision", str(e.decision));
  r.set("container", str(e.container));
  r.set("bundle", str(e.bundle));
  r.set("runtime", str(e.runtime));
  if (e.policy != nullptr) {
    r.set("mode", str(e.policy->mode == Mode::kAudit ? "audit" : "enforce"));
    Json pol = Json::object();
    pol.set("path", str(e.policy->path.empty() ? "(built-in)" : e.policy->path));
    pol.set("digest", str(e.policy->digest));
    r.set("policy", std::move(pol));
    r.set("policy_name", str(e.policy->name));
  }
  r.set("engine", str(e.engine));
  r.set("annotations", e.annotations);
  Json changes = Json::array();
  if (e.changes != nullptr) {
    for (const Change& c : *e.changes) {
      Json ch = Json::object();
      ch.set("rule", str(c.rule));
      ch.set("path", str(c.path));
      ch.set("before", c.before);
      ch.set("after", c.after);
      changes.push_back(std::move(ch));
    }
  }
  r.set("changes", std::move(changes));
  Json opt = Json::object();
  opt.set("requested", strings(e.opt_outs ? e.opt_outs->requested : std::vector<std::string>{}));
  opt.set("granted", strings(e.opt_outs ? e.opt_outs->granted : std::vector<std::string>{}));
  opt.set("denied", strings(e.opt_outs ? e.opt_outs->denied : std::vector<std::string>{}));
  // Exceptions: who owns an opt-out, why, and until when (only when the spec says).
  if (e.opt_outs != nullptr) {
    if (!e.opt_outs->owner.empty()) opt.set("owner", str(e.opt_outs->owner.substr(0, 1024)));
    if (!e.opt_outs->reason.empty()) opt.set("reason", str(e.opt_outs->reason.substr(0, 1024)));
    if (!e.opt_outs->until.empty()) opt.set("until", str(e.opt_outs->until.substr(0, 1024)));
    if (e.opt_outs->until_end) opt.set("expires", str(format_utc(*e.opt_outs->until_end)));
  }
  r.set("opt_outs", std::move(opt));
  Json refused = Json::array();
  const std::string engine_word = e.engine == "unknown" ? std::string() : e.engine;
  for (const Refusal& f : e.refused) {
    Json x = Json::object();
    x.set("rule", str(f.rule));
    x.set("reason", str(f.reason));
    if (!f.field.empty()) x.set("field", str(f.field));
    if (!f.kind.empty()) x.set("kind", str(f.kind));
    // What would make it pass (a refusal made outside a rule gets its fix here).
    x.set("fix", str(f.fix.empty() ? refusal_fix(f, e.policy, engine_word, nullptr) : f.fix));
    refused.push_back(std::move(x));
  }
  r.set("refused", std::move(refused));
  Json notes = Json::array();
  if (e.notes != nullptr) {
    for (const Note& n : *e.notes) {
      Json x = Json::object();
      x.set("rule", str(n.rule));
      x.set("note", str(n.text));
      notes.push_back(std::move(x));
    }
  }
  r.set("notes", std::move(notes));
  Json user = e.user.is_null() ? Json::object() : e.user;
  // A container that runs as host root says why, and what would give it a user namespace.
  if (const Json* root = user.get("root_on_host"); root != nullptr && root->is_bool() && root->as_bool()) {
    std::string why = root_on_host_reason(e.notes ? *e.notes : std::vector<Note>{}, e.opt_outs, e.policy);
    if (why.empty()) why = "no user namespace maps container root away from host root";
    user.set("root_on_host_reason", str(why));
    user.set("fix", str(root_on_host_fix(engine_word)));
  }
  r.set("user", std::move(user));
  if (e.extra.is_object()) {
    for (const auto& [k, v] : e.extra.members()) r.set(k, v);
  }
  r.set("duration_us", Json::integer(e.duration_us));
  return to_json(r);
}

Status append_audit_line(const std::string& path, const std::string& line) {
  std::string dir = dir_name(path);
  if (dir != "." && dir != "/") {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error(ErrorCode::kAudit, dir + ": " + std::strerror(errno));
    }
  }
  // Why O_NOFOLLOW: the log lives in a root-owned directory, but a symlink planted there must
  // not redirect root's appends into another file.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return make_error(ErrorCode::kAudit, path + ": " + std::strerror(errno));
  const int64_t before_lock = now_us();
  if (::flock(fd.get(), LOCK_EX) != 0) {
    return make_error(ErrorCode::kAudit, path + ": lock: " + std::strerror(errno));
  }
  const int64_t locked = now_us();
  std::string buf = line + "\n";
  // One write() of the whole record: with O_APPEND and the lock, no other writer can interleave.
  ssize_t n;
  do {
    n = ::write(fd.get(), buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 || static_cast<size_t>(n) != buf.size()) {
    int err = n < 0 ? errno : ENOSPC;
    // A short write leaves a partial line; cut it off again so the log stays line-valid.
    if (n > 0) {
      struct stat st;
      if (::fstat(fd.get(), &st) == 0 && st.st_size >= n) {
        (void)!::ftruncate(fd.get(), st.st_size - n);
      }
    }
    return make_error(ErrorCode::kAudit, path + ": write: " + std::strerror(err));
  }
  // The lock kept records whole (one write, or a partial one cut off again); the record's
  // durability is its own: fdatasync after the lock is released, so concurrent starts do not
  // queue behind each other's disk flush (the journal commits their records together).
  const int64_t written = now_us();
  (void)::flock(fd.get(), LOCK_UN);
  if (::fdatasync(fd.get()) != 0) {
    return make_error(ErrorCode::kAudit, path + ": fdatasync: " + std::strerror(errno));
  }
  // For bench/concurrency.sh (runc's --debug --log): how long this record waited for the other
  // writers, how long it held the lock, and its own flush.
  log_debug("audit record: lock waited " + std::to_string(locked - before_lock) + " us, held " +
            std::to_string(written - locked) + " us, fdatasync " + std::to_string(now_us() - written) + " us");
  return Ok{};
}

namespace {

// Rootless engines: the per-user log's missing parents (~/.local/state on a fresh account),
// each created 0700 like the log's own directory.
Status make_parent_dirs(const std::string& path) {
  std::string dir = dir_name(path);
  if (dir == "." || dir == "/") return Ok{};
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return Ok{};
  auto up = make_parent_dirs(dir);
  if (!up) return up;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kAudit, dir + ": " + std::strerror(errno));
  }
  return Ok{};
}

}  // namespace

Result<std::string> audit_log_path(const Policy& policy) {
  if (!is_rootless(own_identity())) return policy.audit_log;
  auto path = expand_user_path(policy.rootless_audit_log, own_user_dirs());
  if (!path) return path;
  auto made = make_parent_dirs(dir_name(*path));
  if (!made) return made.error();
  return path;
}

Status record_event(const Policy& policy, AuditEvent& e, int64_t start_us, std::string* let_pass) {
  e.policy = &policy;
  e.runtime = policy.runtime;
  e.duration_us = now_us() - start_us;
  std::string line = audit_record(e, now_us());
  auto path = audit_log_path(policy);
  Status st = path ? append_audit_line(*path, line) : Status(path.error());
  if (policy.audit_syslog) audit_to_syslog(line);
  if (!st && policy.audit_failure == AuditFailure::kAllow) {
    if (let_pass != nullptr) *let_pass = st.error().message;
    return Ok{};
  }
  return st;
}

std::string decision_word(Mode mode, bool refused, bool changed) {
  if (mode == Mode::kAudit) return "audited";
  if (refused) return "refused";
  return changed ? "applied" : "unchanged";
}

void audit_to_syslog(const std::string& line) {
  openlog("oci-harden", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
  syslog(LOG_NOTICE, "%s", line.c_str());
  closelog();
}

}  // namespace oci_harden
