// The seccomp recorder (hooks/seccomp_recorder.hh).

#include "hooks/seccomp_recorder.hh"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "shim/core/handles.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/seccomp_learn.hh"
#include "shim/core/split.hh"
#include "shim/host/audit.hh"
#include "shim/host/clock.hh"

namespace oci_harden {

namespace {

Status os_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
}

// How long the recorder waits for the runtime's connection: runc and crun connect during
// `create`, right after the container's init installs the filter.
constexpr int kAcceptTimeoutMs = 120 * 1000;

Result<unsigned> parse_index(const std::string& s) {
  if (s.size() != 1 || s[0] < '0' || s[0] > '5') return make_error(ErrorCode::kUsage, "record: bad argument index \"" + s + "\"");
  return static_cast<unsigned>(s[0] - '0');
}

Status parse_args_word(const std::string& word, std::map<std::string, std::vector<unsigned>>* out) {
  for (const std::string& item : split_at(word, ',')) {
    if (item.empty()) continue;
    size_t colon = item.find(':');
    if (colon == std::string::npos) return make_error(ErrorCode::kUsage, "record: --args: \"" + item + "\" is not NAME:I.J");
    std::vector<unsigned>& idx = (*out)[item.substr(0, colon)];
    for (const std::string& i : split_at(item.substr(colon + 1), '.')) {
      auto n = parse_index(i);
      if (!n) return n.error();
      idx.push_back(*n);
    }
  }
  return Ok{};
}

}  // namespace

Result<RecorderOptions> parse_recorder_args(const std::vector<std::string>& args) {
  RecorderOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) return make_error(ErrorCode::kUsage, "record: " + flag + " needs a value");
    const std::string& v = args[++i];
    if (flag == "--mode") {
      if (v == "learn") o.mode = RecorderMode::kLearn;
      else if (v == "watch-errno") o.mode = RecorderMode::kWatchErrno;
      else if (v == "watch-continue") o.mode = RecorderMode::kWatchContinue;
      else return make_error(ErrorCode::kUsage, "record: --mode \"" + v + "\" is not learn, watch-errno or watch-continue");
    } else if (flag == "--workload") {
      if (!valid_learn_name(v)) return make_error(ErrorCode::kUsage, "record: --workload \"" + v + "\" is not a workload name");
      o.workload = v;
    } else if (flag == "--container-id") {
      o.container_id = v;
    } else if (flag == "--out") {
      o.out = v;
    } else if (flag == "--digest") {
      o.digest = v;
    } else if (flag == "--arches") {
      for (const std::string& a : split_at(v, ',')) if (!a.empty()) o.arches.push_back(a);
    } else if (flag == "--args") {
      auto st = parse_args_word(v, &o.args);
      if (!st) return st.error();
    } else {
      return make_error(ErrorCode::kUsage, "record: unknown flag \"" + flag + "\"");
    }
  }
  if (o.workload.empty() || o.container_id.empty()) return make_error(ErrorCode::kUsage, "record: --workload and --container-id are required");
  if (o.mode == RecorderMode::kLearn && (o.out.empty() || o.out[0] != '/')) {
    return make_error(ErrorCode::kUsage, "record: learn mode needs --out with an absolute path");
  }
  return o;
}

std::string seccomp_arch_name(uint32_t audit_arch, int nr) {
  switch (audit_arch) {
    case AUDIT_ARCH_X86_64: return (static_cast<uint32_t>(nr) & 0x40000000U) != 0 ? "SCMP_ARCH_X32" : "SCMP_ARCH_X86_64";
    case AUDIT_ARCH_I386: return "SCMP_ARCH_X86";
    case AUDIT_ARCH_AARCH64: return "SCMP_ARCH_AARCH64";
    case AUDIT_ARCH_ARM: return "SCMP_ARCH_ARM";
    case AUDIT_ARCH_PPC64LE: return "SCMP_ARCH_PPC64LE";
    case AUDIT_ARCH_S390X: return "SCMP_ARCH_S390X";
    case AUDIT_ARCH_RISCV64: return "SCMP_ARCH_RISCV64";
    default: return "";
  }
}

namespace {

// libseccomp's name of `nr` on `arch` (an OCI name), "" when it has none.
std::string syscall_name(const std::string& arch, int nr) {
  uint32_t token = 0;
  if (arch == "SCMP_ARCH_X86_64") token = SCMP_ARCH_X86_64;
  else if (arch == "SCMP_ARCH_X32") token = SCMP_ARCH_X32;
  else if (arch == "SCMP_ARCH_X86") token = SCMP_ARCH_X86;
  else if (arch == "SCMP_ARCH_AARCH64") token = SCMP_ARCH_AARCH64;
  else if (arch == "SCMP_ARCH_ARM") token = SCMP_ARCH_ARM;
  else if (arch == "SCMP_ARCH_PPC64LE") token = SCMP_ARCH_PPC64LE;
  else if (arch == "SCMP_ARCH_S390X") token = SCMP_ARCH_S390X;
  else if (arch == "SCMP_ARCH_RISCV64") token = SCMP_ARCH_RISCV64;
  else return "";
  std::unique_ptr<char, decltype(&std::free)> name(seccomp_syscall_resolve_num_arch(token, nr), &std::free);
  return name ? std::string(name.get()) : std::string();
}

}  // namespace

void Recording::add(uint32_t audit_arch, int nr, const uint64_t (&args)[6]) {
  ++notifications_;
  auto key = std::make_pair(audit_arch, nr);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry e;
    e.arch = seccomp_arch_name(audit_arch, nr);
    e.name = e.arch.empty() ? "" : syscall_name(e.arch, nr);
    if (e.name.empty()) {
      ++dropped_;  // answered, but it cannot be named in a recording
      return;
    }
    it = entries_.emplace(key, std::move(e)).first;
  }
  Entry& e = it->second;
  ++e.count;
  auto idx = args_.find(e.name);
  if (idx == args_.end()) return;
  for (unsigned i : idx->second) {
    std::vector<uint64_t>& seen = e.values[i];
    if (seen.size() < kMaxRecordedValues && std::find(seen.begin(), seen.end(), args[i]) == seen.end()) {
      seen.push_back(args[i]);
    }
  }
}

Json Recording::syscalls() const {
  std::vector<const Entry*> sorted;
  for (const auto& [key, e] : entries_) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry* a, const Entry* b) { return std::tie(a->arch, a->name) < std::tie(b->arch, b->name); });
  Json out = Json::array();
  for (const Entry* e : sorted) {
    Json j = Json::object();
    j.set("arch", Json::string(e->arch));
    j.set("name", Json::string(e->name));
    j.set("count", Json::unsigned_integer(e->count));
    if (!e->values.empty()) {
      Json args = Json::array();
      for (const auto& [index, values] : e->values) {
        std::vector<uint64_t> v = values;
        std::sort(v.begin(), v.end());
        Json a = Json::object();
        a.set("index", Json::unsigned_integer(index));
        Json vs = Json::array();
        for (uint64_t x : v) vs.push_back(Json::unsigned_integer(x));
        a.set("values", std::move(vs));
        args.push_back(std::move(a));
      }
      j.set("args", std::move(args));
    }
    out.push_back(std::move(j));
  }
  return out;
}

Json Recording::violations() const {
  Json out = Json::array();
  const Json all = syscalls();
  for (const Json& s : all.items()) {
    Json v = Json::object();
    v.set("name", *s.get("name"));
    v.set("arch", *s.get("arch"));
    v.set("count", *s.get("count"));
    out.push_back(std::move(v));
  }
  return out;
}

Json recording_json(const RecorderOptions& o, const Recording& r, const std::string& started,
                    const std::string& ended) {
  Json j = Json::object();
  j.set("oci_harden_recording", Json::integer(1));
  j.set("learn", Json::string(o.workload));
  j.set("container_id", Json::string(o.container_id));
  j.set("started", Json::string(started));
  j.set("ended", Json::string(ended));
  Json base = Json::object();
  base.set("digest", Json::string(o.digest));
  j.set("base_profile", std::move(base));
  Json arches = Json::array();
  for (const std::string& a : o.arches) arches.push_back(Json::string(a));
  j.set("architectures", std::move(arches));
  Json always = Json::array();
  for (const std::string& n : learn_always_allowed()) always.push_back(Json::string(n));
  j.set("always_allowed", std::move(always));
  j.set("syscalls", r.syscalls());
  j.set("notifications", Json::unsigned_integer(r.notifications()));
  j.set("dropped", Json::unsigned_integer(r.dropped()));
  return j;
}

namespace {

// The runtime's one connection: the notify descriptor (SCM_RIGHTS) with the state JSON.
Result<UniqueFd> receive_notify_fd(int listen_fd) {
  pollfd p{listen_fd, POLLIN, 0};
  int n = 0;
  while ((n = ::poll(&p, 1, kAcceptTimeoutMs)) < 0 && errno == EINTR) {
  }
  if (n == 0) return make_error(ErrorCode::kIo, "no runtime connected within 120 s");
  if (n < 0) return os_error("poll", errno).error();
  UniqueFd conn(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid()) return os_error("accept", errno).error();
  char data[65536];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got = 0;
  while ((got = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (got < 0) return os_error("recvmsg", errno).error();
  UniqueFd notify;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (!notify.valid()) notify.reset(fd);
      else (void)::close(fd);
    }
  }
  if (!notify.valid()) return make_error(ErrorCode::kIo, "the runtime's message carried no descriptor");
  return notify;
}

// One notification of `notify_fd` read, recorded and answered. false at the end of the
// descriptor's life is not an error: the caller sees POLLHUP.
Status answer_one(int notify_fd, RecorderMode mode, Recording* rec, std::vector<char>* req_buf,
                  std::vector<char>* resp_buf) {
  auto* req = reinterpret_cast<seccomp_notif*>(req_buf->data());
  auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf->data());
  std::fill(req_buf->begin(), req_buf->end(), 0);
  if (::ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
    // ENOENT: the caller was interrupted first; its call is notified again when restarted.
    if (errno == EINTR || errno == ENOENT) return Ok{};
    return os_error("SECCOMP_IOCTL_NOTIF_RECV", errno);
  }
  uint64_t args[6];
  std::copy(std::begin(req->data.args), std::end(req->data.args), args);
  rec->add(req->data.arch, req->data.nr, args);
  std::fill(resp_buf->begin(), resp_buf->end(), 0);
  resp->id = req->id;
  if (mode == RecorderMode::kWatchErrno) {
    resp->error = -EPERM;
  } else {
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  }
  // ENOENT: the caller is gone (killed, or interrupted by a signal); nothing to answer.
  if (::ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, resp) != 0 && errno != ENOENT && errno != EINTR) {
    return os_error("SECCOMP_IOCTL_NOTIF_SEND", errno);
  }
  return Ok{};
}

// Answers every notification of the container's filter, and of the filters of processes later
// exec'd into it (`runc exec` installs the container's profile, listener included, for each: it
// connects to the same socket), until the container's own filter has no more users and no
// exec'd one is left.
Status serve(UniqueFd init_fd, int listen_fd, RecorderMode mode, Recording* rec) {
  seccomp_notif_sizes sizes{};
  if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return os_error("SECCOMP_GET_NOTIF_SIZES", errno);
  std::vector<char> req_buf(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> resp_buf(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  std::vector<UniqueFd> fds;
  fds.push_back(std::move(init_fd));
  bool init_alive = true;
  while (init_alive || !fds.empty()) {
    std::vector<pollfd> p;
    for (const UniqueFd& f : fds) p.push_back(pollfd{f.get(), POLLIN, 0});
    const bool listening = init_alive && listen_fd >= 0;
    if (listening) p.push_back(pollfd{listen_fd, POLLIN, 0});
    if (::poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return os_error("poll", errno);
    }
    UniqueFd more;
    if (listening && (p.back().revents & POLLIN) != 0) {
      auto got = receive_notify_fd(listen_fd);  // ready: answers at once
      if (got) more = std::move(*got);
    }
    std::vector<UniqueFd> alive;
    // Only the descriptors polled: a new one joins after them, to be polled next time (reading a
    // notification from a descriptor that has none would block every other).
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((p[i].revents & POLLIN) != 0) {
        auto st = answer_one(fds[i].get(), mode, rec, &req_buf, &resp_buf);
        if (!st) return st;
        alive.push_back(std::move(fds[i]));
      } else if ((p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
        if (i == 0) init_alive = false;  // no task uses the container's filter any more
      } else {
        alive.push_back(std::move(fds[i]));
      }
    }
    if (more.valid()) alive.push_back(std::move(more));
    fds = std::move(alive);
  }
  return Ok{};
}

Status write_fully(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("write", errno);
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

Status make_dirs(const std::string& path, mode_t mode) {
  if (path.empty() || path == "/") return Ok{};
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return Ok{};
  if (errno != ENOENT) return os_error("mkdir " + path, errno);
  auto st = make_dirs(dir_name(path), mode);
  if (!st) return st;
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return Ok{};
  return os_error("mkdir " + path, errno);
}

// The workload's directory and learn_dir above it: real directories of this user that no one
// else may write. A symlink in place of either would have the recorder write as root wherever it
// points (the breaker's find, with learn_dir bound into a container; learn_dir is a sensitive
// path now, and this holds should it be reachable anyway).
Status check_own_dir(const std::string& dir) {
  struct stat st = {};
  if (::lstat(dir.c_str(), &st) != 0) return os_error("lstat " + dir, errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return make_error(ErrorCode::kIo, dir + " is not a directory of this user that no one else may write "
                                            "(a symlink, another owner or group/other write): no recording written there");
  }
  return Ok{};
}

// temp + fsync + rename + fsync of the directory; mode 0600.
Status write_recording(const std::string& path, const std::string& text) {
  const std::string dir = dir_name(path);
  auto st = make_dirs(dir, 0700);
  if (!st) return st;
  for (const std::string& d : {dir_name(dir), dir}) {
    st = check_own_dir(d);
    if (!st) return st;
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return os_error("open " + tmp, errno);
  st = write_fully(fd.get(), text + "\n");
  if (st && ::fsync(fd.get()) != 0) st = os_error("fsync " + tmp, errno);
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0) st = os_error("rename " + tmp, errno);
  if (!st) {
    (void)::unlink(tmp.c_str());
    return st;
  }
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.valid()) (void)::fsync(d.get());
  return Ok{};
}

}  // namespace

Status run_recorder(const RecorderOptions& o, int listen_fd) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  const int64_t start = now_us();
  const std::string started = rfc3339_utc(start);
  auto policy = load_policy();  // for the audit log; the recording's path came from oci-harden
  auto notify = receive_notify_fd(listen_fd);
  // The socket stays for the runtime's exec'd processes while the container lives.
  auto close_socket = [listen_fd] {
    sockaddr_un addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.sun_path[0] == '/') {
      (void)::unlink(addr.sun_path);
    }
    (void)::close(listen_fd);
  };
  if (!notify) {
    close_socket();
    return notify.error();
  }
  Recording rec(o.args);
  Status served = serve(std::move(*notify), listen_fd, o.mode, &rec);
  close_socket();
  const std::string ended = rfc3339_utc(now_us());
  AuditEvent e;
  e.container = o.container_id;
  e.decision = "unchanged";  // as verify and stop: the record changes nothing (audit log schema)
  e.extra = Json::object();
  e.extra.set("workload", Json::string(o.workload));
  Status written = Ok{};
  if (o.mode == RecorderMode::kLearn) {
    e.event = "seccomp_learn";
    written = write_recording(o.out, to_json(recording_json(o, rec, started, ended)));
    e.extra.set("recording", Json::string(o.out));
    e.extra.set("syscalls", Json::unsigned_integer(rec.distinct()));
  } else {
    e.event = "seccomp_watch";
    e.extra.set("violations", rec.violations());
    e.extra.set("action", Json::string(o.mode == RecorderMode::kWatchErrno ? "denied" : "recorded"));
  }
  e.extra.set("notifications", Json::unsigned_integer(rec.notifications()));
  e.extra.set("dropped", Json::unsigned_integer(rec.dropped()));
  if (!served) e.extra.set("recorder_error", Json::string(served.error().message));
  if (!written) e.extra.set("recording_error", Json::string(written.error().message));
  if (!policy) return std::move(policy).context("the recorder's audit record").error();
  auto st = record_event(*policy, e, start);
  if (!st) return st;
  if (!served) return served;
  return written;
}

}  // namespace oci_harden
