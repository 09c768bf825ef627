// exec and update at the edge.

#include "shim/cli/operation_command.hh"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <iterator>
#include <optional>

#include "shim/cli/edge_record.hh"
#include "shim/cli/exit_codes.hh"
#include "shim/core/bounded_read.hh"
#include "shim/host/atomic_file.hh"
#include "shim/host/audit.hh"
#include "shim/core/handles.hh"
#include "shim/core/harden.hh"
#include "shim/core/refusal_fix.hh"
#include "shim/host/host_actions.hh"
#include "shim/host/stdio_chown.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {


// Runs `runtime [--root R] state ID` and returns its stdout (bounded).
Result<std::string> runtime_state(const Policy& policy, const RuncArgs& args) {
  std::optional<Pipe> pipe = make_pipe();
  if (!pipe) return make_error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  UniqueFd& rd = pipe->read_end;
  UniqueFd& wr = pipe->write_end;
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

// What the runtime is handed, decided here once for exec and update: in audit mode the request
// as it came (argv, and stdin as read), in enforce mode the rule's argv and rewritten resources.
struct RuntimeInput {
  std::vector<std::string> argv;
  std::optional<std::string> stdin_data;  // update -r -: what the runtime reads on its stdin
};

RuntimeInput runtime_input(const RuncArgs& args, const Policy& policy, const OperationDecision& d,
                           const std::optional<std::string>& stdin_read) {
  if (policy.mode == Mode::kAudit) return RuntimeInput{args.argv, stdin_read};
  RuntimeInput in{d.argv, stdin_read};
  if (stdin_read && d.resources.is_object()) in.stdin_data = to_json(d.resources);
  return in;
}

// update -r -: the runtime reads the (possibly clamped) resources from stdin, which oci-harden
// has consumed; hand them over through a pipe made large enough to hold them whole.
Status hand_stdin(const std::string& data) {
  std::optional<Pipe> pipe = make_pipe();
  if (!pipe) return make_error(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  UniqueFd& rd = pipe->read_end;
  UniqueFd& wr = pipe->write_end;
  if (data.size() > 65536 && ::fcntl(wr.get(), F_SETPIPE_SZ, static_cast<int>(data.size())) < 0) {
    return make_error(ErrorCode::kIo, std::string("pipe size: ") + std::strerror(errno));
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(wr.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::kIo, "cannot pass the resources to the runtime's stdin");
    done += static_cast<size_t>(n);
  }
  wr.reset();
  if (::dup2(rd.get(), 0) < 0) return make_error(ErrorCode::kIo, std::string("stdin: ") + std::strerror(errno));
  return Ok{};
}

// A standard stream crun would chown on the host under the container's user namespace (a file,
// not a device): a refusal of rule user-namespace, judged with the decision. Enforce mode only.
void refuse_stdio_files(const Policy& policy, const Json& spec, OperationDecision* d) {
  if (policy.mode != Mode::kEnforce || d->refused()) return;
  const Json* maps = field_at(spec, "linux.uidMappings");
  if (maps == nullptr || !maps->is_array() || maps->items().empty()) return;
  std::vector<HostAction> wanted{HostAction{HostAction::Kind::kPrivateStdio, "", "", 0, 0, 0}};
  for (std::string& why : stdio_the_runtime_would_chown(wanted, policy.runtime)) {
    d->refusals.push_back(Refusal{"user-namespace", std::move(why), "process", "stdio-file"});
  }
}

// With a user namespace, crun chowns its non-terminal standard streams to the container's root
// for exec too: the device ones are replaced by private nodes first (kPrivateStdio).
bool wants_private_stdio(const Policy& policy, const Json& spec) {
  const Json* maps = field_at(spec, "linux.uidMappings");
  return policy.mode == Mode::kEnforce && maps != nullptr && maps->is_array() && !maps->items().empty();
}

// Records the decision; then stops (refused in enforce mode, or an audit log that failed) or
// goes on (nullopt).
std::optional<Outcome> record_decision(EdgeRecord& record, const Policy& policy, const OperationDecision& d) {
  AuditEvent& e = record.event();
  e.decision = decision_word(policy.mode, d.refused(), !d.changes.empty());
  e.changes = &d.changes;
  e.refused = d.refusals;
  Outcome stopped;
  if (!record.write_or(&stopped)) return stopped;
  if (d.refused() && policy.mode == Mode::kEnforce) return stop(kExitRefused, refusal_message_with_fixes(d.refusals));
  return std::nullopt;
}

}  // namespace

Outcome harden_exec_command(const RuncArgs& args, const Policy& loaded, const Host& host) {
  std::string bundle;
  auto found = container_spec(loaded, args, &bundle);
  if (!found) return stop(exit_code_for(found.error().code), "exec: " + found.error().message);
  const Json& spec = *found;
  // One policy per workload: the container's own, chosen from its bundle and spec as at create.
  const Policy& policy = select_policy(loaded, workload_of(spec, bundle, args.container_id(), loaded.selector_labels));
  EdgeRecord record(args, policy, bundle);
  record.event().engine = guess_engine(spec, bundle);
  Json& extra = record.event().extra = Json::object();

  const std::string* process_path = args.flag("process");
  std::optional<AtomicFile> file;
  OperationDecision d;
  if (process_path == nullptr) {
    d = harden_exec_flags(args, spec, policy, host);
    Json asked = Json::array();
    for (const auto& [k, v] : args.flags) asked.push_back(Json::string("--" + k + "=" + v));
    extra.set("requested", std::move(asked));
  } else {
    const std::string& path = *process_path;
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    auto opened = AtomicFile::open(dir, path.substr(slash == std::string::npos ? 0 : slash + 1), kMaxProcessBytes);
    if (!opened) return stop(kExitSpec, "exec: " + opened.error().message);
    file.emplace(std::move(*opened));
    auto process = parse_process(file->text());
    if (!process) return stop(kExitSpec, "exec: " + path + ": " + process.error().message);
    d = harden_exec_process(*process, spec, policy, host, args.argv);
    extra.set("requested", user_summary(*process, host.own_uid_map()));  // rootless: host ids
    extra.set("granted", user_summary(d.process, host.own_uid_map()));
  }
  refuse_stdio_files(policy, spec, &d);
  RuntimeInput in = runtime_input(args, policy, d, std::nullopt);

  // Prepared (written and fsynced) before the record, renamed after it, as create does.
  bool rewrite = file && policy.mode == Mode::kEnforce && !d.refused() && !d.changes.empty();
  if (rewrite) {
    auto st = file->prepare(to_json(d.process));
    if (!st) return record.fail_after_decision(kExitIo, "exec: cannot write the judged process: " + st.error().message);
  }
  if (auto stopped = record_decision(record, policy, d)) {
    // A standard-stream refusal names the operation it stopped, as it always has.
    if (d.refused() && d.refusals.front().kind == "stdio-file") stopped->message = "exec: " + stopped->message;
    return *stopped;
  }
  if (rewrite) {
    auto st = file->commit();
    if (!st) return record.fail_after_decision(kExitIo, "exec: cannot replace the process file: " + st.error().message);
  }
  if (wants_private_stdio(policy, spec)) {
    Status st = private_stdio_devices();
    if (!st) return record.fail_after_decision(kExitIo, "exec: " + st.error().message);
  }
  return record.proceed_with(std::move(in.argv));
}

namespace {

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
  const std::string* r = args.flag("resources");
  Json resources;
  std::optional<std::string> stdin_read;
  std::optional<AtomicFile> file;
  if (r != nullptr) {
    std::string text;
    if (*r == "-") {
      auto in = read_fd_bounded(0, "stdin", 1 << 20, ErrorCode::kSpec);
      if (!in) return stop(kExitSpec, "update -r -: " + in.error().message);
      stdin_read = std::move(*in);
      text = *stdin_read;
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
  EdgeRecord record(args, policy, "");
  // The container's spec, only where the policy lets a container opt out of "update" (one
  // `runtime state`, then its config.json).
  std::optional<Json> spec;
  if (update_needs_container_spec(policy)) {
    std::string bundle;
    auto found = container_spec(policy, args, &bundle);
    if (!found) return stop(exit_code_for(found.error().code), "update: " + found.error().message);
    spec = std::move(*found);
    record.event().bundle = bundle;
    record.event().engine = guess_engine(*spec, bundle);
  } else {
    record.event().engine = "unknown";
  }
  // The container's CPU bandwidth now, only for an update that names one of quota and period
  // (one `runtime state` for its pid, then its cgroup): the two are judged together.
  std::optional<Host::CpuBandwidth> current;
  if (update_needs_current_cpu(args, resources)) current = current_cpu_bandwidth(policy, args, host);
  OperationDecision d = harden_update(args, resources, policy, host, current, spec ? &*spec : nullptr);
  record.event().extra = Json::object();
  RuntimeInput in = runtime_input(args, policy, d, stdin_read);

  bool rewrite = file && policy.mode == Mode::kEnforce && !d.refused() && d.resources != resources;
  if (rewrite) {
    auto st = file->prepare(to_json(d.resources));
    if (!st) return record.fail_after_decision(kExitIo, "update: cannot write the judged resources: " + st.error().message);
  }
  if (auto stopped = record_decision(record, policy, d)) return *stopped;
  if (rewrite) {
    auto st = file->commit();
    if (!st) return record.fail_after_decision(kExitIo, "update: cannot replace the resources file: " + st.error().message);
  }
  if (in.stdin_data) {
    auto st = hand_stdin(*in.stdin_data);
    if (!st) return record.fail_after_decision(kExitIo, "update: " + st.error().message);
  }
  return record.proceed_with(std::move(in.argv));
}

}  // namespace oci_harden
