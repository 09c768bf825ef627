// exec and update at the edge.

#include "shim/cli/operation_command.hh"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <iterator>

#include "shim/core/bounded_read.hh"
#include "shim/host/atomic_file.hh"
#include "shim/host/audit.hh"
#include "shim/cli/exit_codes.hh"
#include "shim/core/handles.hh"
#include "shim/core/harden.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/stdio_chown.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {


Outcome stop(int code, std::string message) {
  Outcome o;
  o.exit_code = code;
  o.message = std::move(message);
  return o;
}

// Runs `runtime [--root R] state ID` and returns its stdout (bounded).
Result<std::string> runtime_state(const Policy& policy, const RuncArgs& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  UniqueFd rd(fds[0]), wr(fds[1]);
  std::vector<std::string> words = {policy.runtime};
  if (!args.root.empty()) words.insert(words.end(), {"--root", args.root});
  words.insert(words.end(), {"state", args.container_id()});
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(wr.get(), 1);
    int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::execv(policy.runtime.c_str(), argv.data());
    _exit(127);
  }
  wr.reset();
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < kMaxStateBytes) out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(ErrorCode::kRuntime, "container \"" + args.container_id() +
                                               "\": the runtime's state command failed");
  }
  return out;
}

// What the audit record says of the container: exec knows its bundle (and from it, and the
// spec, the engine); update does not look it up (that would cost a `runc state`).
struct Origin {
  std::string bundle;
  std::string engine = "unknown";
};

// The container's hardened spec: `state` names its bundle (put in *bundle_dir), whose
// config.json oci-harden wrote.
Result<Json> container_spec(const Policy& policy, const RuncArgs& args, std::string* bundle_dir) {
  auto state = runtime_state(policy, args);
  if (!state) return state.error();
  auto parsed = parse_json(*state);
  const Json* bundle = parsed ? parsed->get_exact("bundle") : nullptr;
  if (bundle == nullptr || !bundle->is_string() || bundle->text().empty()) {
    return make_error(ErrorCode::kRuntime, "container \"" + args.container_id() +
                                               "\": the runtime's state names no bundle");
  }
  auto file = AtomicFile::open(bundle->text(), "config.json", kMaxSpecBytes);
  if (!file) return file.error();
  auto spec = parse_spec(file->text());
  if (!spec) return std::move(spec).context(file->path());
  *bundle_dir = bundle->text();
  return spec;
}

Status record(const RuncArgs& args, const Policy& policy, const OperationDecision& d,
              const std::string& decision, Json extra, int64_t start, const Origin& origin) {
  AuditEvent e;
  e.event = args.command;
  e.decision = decision;
  e.container = args.container_id();
  e.runtime = policy.runtime;
  e.policy = &policy;
  e.changes = &d.changes;
  e.refused = d.refusals;
  e.extra = std::move(extra);
  e.bundle = origin.bundle;
  e.engine = origin.engine;
  e.duration_us = now_us() - start;
  std::string line = audit_record(e, now_us());
  auto st = append_audit_line(policy.audit_log, line);
  if (policy.audit_syslog) audit_to_syslog(line);
  if (!st && policy.audit_failure == AuditFailure::kAllow) return Ok{};
  return st;
}

std::string decision_word(const Policy& policy, const OperationDecision& d) {
  if (policy.mode == Mode::kAudit) return "audited";
  if (d.refused()) return "refused";
  return d.changes.empty() ? "unchanged" : "applied";
}

// Audits, then either stops (refused) or lets the runtime go on; shared by exec and update.
Outcome finish(const RuncArgs& args, const Policy& policy, const OperationDecision& d, Json extra,
               int64_t start, const Origin& origin) {
  std::string decision = decision_word(policy, d);
  auto st = record(args, policy, d, decision, std::move(extra), start, origin);
  if (!st) return stop(kExitAudit, "cannot write the audit record: " + st.error().message);
  if (decision == "refused") {
    std::vector<Refusal> r = d.refusals;
    return stop(kExitRefused, refusal_message(r));
  }
  Outcome o;
  o.exec_runtime = true;
  return o;
}

// With a user namespace, crun chowns its non-terminal standard streams to the container's root
// for exec too: the device ones are replaced by private nodes first (kPrivateStdio).
Outcome with_private_stdio(Outcome o, const Policy& policy, const Json& spec) {
  if (!o.exec_runtime || policy.mode != Mode::kEnforce) return o;
  const Json* maps = field_at(spec, "linux.uidMappings");
  if (maps == nullptr || !maps->is_array() || maps->items().empty()) return o;
  std::vector<HostAction> wanted{HostAction{HostAction::Kind::kPrivateStdio, "", "", 0, 0, 0}};
  std::vector<std::string> files = stdio_the_runtime_would_chown(wanted, policy.runtime);
  if (!files.empty()) {
    return stop(kExitRefused, "exec: refused by user-namespace: " + files.front());
  }
  Status st = private_stdio_devices();
  if (!st) return stop(kExitIo, "exec: " + st.error().message);
  return o;
}

}  // namespace

Outcome harden_exec_command(const RuncArgs& args, const Policy& policy, const Host& host) {
  int64_t start = now_us();
  std::string bundle;
  auto found = container_spec(policy, args, &bundle);
  if (!found) return stop(exit_code_for(found.error().code), "exec: " + found.error().message);
  const Json& spec = *found;
  const Origin origin{bundle, guess_engine(spec, bundle)};

  const std::string* process_path = args.flag("process");
  if (process_path == nullptr) {
    OperationDecision d = harden_exec_flags(args, spec, policy, host);
    Json extra = Json::object();
    Json asked = Json::array();
    for (const auto& [k, v] : args.flags) asked.push_back(Json::string("--" + k + "=" + v));
    extra.set("requested", std::move(asked));
    Outcome o = finish(args, policy, d, std::move(extra), start, origin);
    if (o.exec_runtime && policy.mode == Mode::kEnforce) o.argv = d.argv;
    return with_private_stdio(std::move(o), policy, spec);
  }

  std::string path = *process_path;
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  auto file = AtomicFile::open(dir, path.substr(slash == std::string::npos ? 0 : slash + 1), kMaxProcessBytes);
  if (!file) return stop(kExitSpec, "exec: " + file.error().message);
  auto process = parse_process(file->text());
  if (!process) return stop(kExitSpec, "exec: " + path + ": " + process.error().message);
  OperationDecision d = harden_exec_process(*process, spec, policy, host, args.argv);
  Json extra = Json::object();
  extra.set("requested", user_summary(*process));
  extra.set("granted", user_summary(d.process));
  bool rewrite = policy.mode == Mode::kEnforce && !d.refused() && !d.changes.empty();
  if (rewrite) {
    auto st = file->prepare(to_json(d.process));
    if (!st) return stop(kExitIo, "exec: " + st.error().message);
  }
  Outcome o = finish(args, policy, d, std::move(extra), start, origin);
  if (o.exec_runtime && rewrite) {
    auto st = file->commit();
    if (!st) return stop(kExitIo, "exec: " + st.error().message);
  }
  return with_private_stdio(std::move(o), policy, spec);
}

namespace {

// `update -r -`: the resources from stdin, bounded. Plain read(2): <iostream> would put the
// iostream and locale set-up of the static libstdc++ on every oci-harden start.
Result<std::string> read_stdin(size_t max_bytes) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, std::string("stdin: ") + std::strerror(errno));
    }
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return make_error(ErrorCode::kSpec, "stdin: larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

// The running container's CPU bandwidth, from the pid `state` names; nullopt when unknown.
std::optional<Host::CpuBandwidth> current_cpu_bandwidth(const Policy& policy, const RuncArgs& args,
                                                        const Host& host) {
  auto state = runtime_state(policy, args);
  if (!state) return std::nullopt;
  auto parsed = parse_json(*state);
  const Json* pid = parsed ? parsed->get_exact("pid") : nullptr;
  int64_t n = 0;
  if (pid == nullptr || !pid->to_int64(&n) || n <= 0 || n > INT32_MAX) return std::nullopt;
  return host.cpu_bandwidth_of(static_cast<pid_t>(n));
}

}  // namespace

Outcome harden_update_command(const RuncArgs& args, const Policy& policy, const Host& host) {
  int64_t start = now_us();
  const std::string* r = args.flag("resources");
  Json resources;
  std::string stdin_text;
  std::optional<AtomicFile> file;
  if (r != nullptr) {
    std::string text;
    if (*r == "-") {
      auto in = read_stdin(1 << 20);
      if (!in) return stop(kExitSpec, "update -r -: " + in.error().message);
      stdin_text = std::move(*in);
      text = stdin_text;
    } else {
      size_t slash = r->rfind('/');
      std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : r->substr(0, slash));
      auto f = AtomicFile::open(dir, r->substr(slash == std::string::npos ? 0 : slash + 1), 1 << 20);
      if (!f) return stop(kExitSpec, "update: " + f.error().message);
      text = f->text();
      file.emplace(std::move(*f));
    }
    auto parsed = parse_json(text);
    if (!parsed || !parsed->is_object()) {
      return stop(kExitSpec, "update: resources: " + (parsed ? std::string("expected a JSON object") : parsed.error().message));
    }
    resources = std::move(*parsed);
  }
  // The container's CPU bandwidth now, only for an update that names one of quota and period
  // (one `runtime state` for its pid, then its cgroup): the two are judged together.
  std::optional<Host::CpuBandwidth> current;
  if (update_needs_current_cpu(args, resources)) current = current_cpu_bandwidth(policy, args, host);
  OperationDecision d = harden_update(args, resources, policy, host, current);
  Outcome o = finish(args, policy, d, Json::object(), start, Origin{});
  if (!o.exec_runtime || policy.mode == Mode::kAudit) {
    if (o.exec_runtime && r != nullptr && *r == "-") {
      o.replace_stdin = true;  // what we read from stdin must still reach the runtime
      o.stdin_data = stdin_text;
    }
    return o;
  }
  o.argv = d.argv;
  if (r != nullptr && *r == "-") {
    o.replace_stdin = true;
    o.stdin_data = d.resources.is_object() ? to_json(d.resources) : stdin_text;
  } else if (file && d.resources != resources) {
    auto st = file->prepare(to_json(d.resources));
    if (st) st = file->commit();
    if (!st) return stop(kExitIo, "update: " + st.error().message);
  }
  return o;
}

}  // namespace oci_harden
