// User namespaces made and read from outside: a namespace of a given mapping (for idmapped
// mounts: the idmapped rootfs and RealHost's probe of whether a filesystem can be idmapped),
// kept once per process; and the real uid/gid maps of a namespace a spec joins.

#include "shim/host/user_namespace.hh"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>

#include "shim/core/bounded_read.hh"

namespace oci_harden {

namespace {

Error os_error(const std::string& what, int err) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(err));
}

Status write_file(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return os_error("open " + path, errno);
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n < 0) return os_error("write " + path, errno);
  if (static_cast<size_t>(n) != text.size()) return make_error(ErrorCode::kIo, "short write to " + path);
  return Ok{};
}

// The child of make_user_namespace: it only waits for the pipe to close (or to be killed).
// It shares our memory (CLONE_VM), so it touches nothing but its own stack and makes only
// system calls.
int hold_namespace(void* arg) {
  const int* pipe_fds = static_cast<const int*>(arg);
  ::close(pipe_fds[1]);  // its copy of the write end: read() returns once ours is closed too
  char c;
  (void)!::read(pipe_fds[0], &c, 1);
  // cppcheck-suppress missingReturn ; _exit does not return
  ::_exit(0);
}

}  // namespace

Result<UniqueFd> make_user_namespace(uint32_t uid, uint32_t gid, uint32_t size) {
  if (size == 0) return make_error(ErrorCode::kIo, "user namespace: empty mapping");
  // The child is born in the new user namespace (CLONE_NEWUSER) and keeps it alive until its
  // maps are written and we hold a descriptor; then it is killed. CLONE_VM: the kernel copies no
  // page tables (a copy of the address space and its teardown cost milliseconds per container).
  // It blocks on a pipe, so it also goes away if we die first.
  std::optional<Pipe> hold = make_pipe();
  if (!hold) return os_error("pipe", errno);
  UniqueFd& hold_r = hold->read_end;
  UniqueFd& hold_w = hold->write_end;
  constexpr size_t kStack = 64 * 1024;
  // cppcheck-suppress invalidFunctionArg ; fd -1 is what MAP_ANONYMOUS asks for
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return os_error("mmap", errno);
  int pipe_fds[2] = {hold_r.get(), hold_w.get()};
  long pid = ::clone(hold_namespace, static_cast<char*>(stack) + kStack,
                     CLONE_NEWUSER | CLONE_VM | SIGCHLD, pipe_fds);
  if (pid < 0) {
    int err = errno;
    ::munmap(stack, kStack);
    return os_error("clone CLONE_NEWUSER", err);
  }
  hold_r.reset();
  std::string base = "/proc/" + std::to_string(pid);
  std::string range = " " + std::to_string(size) + "\n";
  Status st = write_file(base + "/uid_map", "0 " + std::to_string(uid) + range);
  if (st) st = write_file(base + "/gid_map", "0 " + std::to_string(gid) + range);
  UniqueFd ns;
  if (st) {
    ns.reset(::open((base + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) st = os_error("open " + base + "/ns/user", errno);
  }
  hold_w.reset();
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
  ::munmap(stack, kStack);
  if (!st) return std::move(st).context("user namespace").error();
  return ns;
}

namespace {

std::mutex shared_ns_mu;
std::map<std::array<uint32_t, 3>, UniqueFd>& shared_namespaces() {
  static std::map<std::array<uint32_t, 3>, UniqueFd> made;
  return made;
}

}  // namespace

Result<int> shared_user_namespace(uint32_t uid, uint32_t gid, uint32_t size) {
  std::lock_guard<std::mutex> lock(shared_ns_mu);
  const std::array<uint32_t, 3> key{uid, gid, size};
  auto it = shared_namespaces().find(key);
  if (it != shared_namespaces().end()) return it->second.get();
  auto ns = make_user_namespace(uid, gid, size);
  if (!ns) return ns.error();
  int fd = ns->get();
  shared_namespaces().emplace(key, std::move(*ns));
  return fd;
}

void drop_shared_user_namespaces() {
  std::lock_guard<std::mutex> lock(shared_ns_mu);
  shared_namespaces().clear();
}

// ---- joined user namespaces: their real maps (issue 18.4)

namespace {

// The child of read_user_namespace_map: enters the namespace, says how that went (0 or errno,
// one byte), then waits for the pipe to close. CLONE_VM as in hold_namespace: only syscalls.
struct EnterArgs {
  int ns_fd, ready_w, hold_r, hold_w;
};

int enter_namespace(void* arg) {
  const EnterArgs* a = static_cast<const EnterArgs*>(arg);
  ::close(a->hold_w);
  unsigned char result = ::setns(a->ns_fd, CLONE_NEWUSER) == 0 ? 0 : static_cast<unsigned char>(errno);
  (void)!::write(a->ready_w, &result, 1);
  char c;
  (void)!::read(a->hold_r, &c, 1);
  // cppcheck-suppress missingReturn ; _exit does not return
  ::_exit(0);
}

std::optional<std::string> read_proc_file(const std::string& path) {
  auto text = read_file_bounded(path, kMaxProcFileBytes);
  if (!text) return std::nullopt;
  return std::move(*text);
}

bool parse_u32(std::string_view word, uint32_t* out) {
  const char* end = word.data() + word.size();
  auto [ptr, ec] = std::from_chars(word.data(), end, *out);
  return ec == std::errc() && ptr == end && !word.empty();
}

}  // namespace

std::optional<std::vector<IdMapRange>> parse_id_map(const std::string& text) {
  // Split by hand: an istringstream here built the iostream locale in every oci-harden process
  // (issue 14: ~4% of a pass-through command's time, own_identity reads /proc/self/uid_map).
  std::vector<IdMapRange> out;
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
      if (i > start) words.push_back(line.substr(start, i - start));
    }
    if (words.empty()) continue;  // blank line
    IdMapRange r;
    if (words.size() != 3 || !parse_u32(words[0], &r.container) || !parse_u32(words[1], &r.host) ||
        !parse_u32(words[2], &r.size)) {
      return std::nullopt;
    }
    out.push_back(r);
  }
  return out;
}

std::optional<UserNamespaceMap> read_user_namespace_map(const std::string& path) {
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target.valid()) return std::nullopt;
  struct stat ts, own;
  if (::fstat(target.get(), &ts) != 0 || ::stat("/proc/self/ns/user", &own) != 0) return std::nullopt;
  if (ts.st_dev == own.st_dev && ts.st_ino == own.st_ino) {
    // setns refuses our own namespace (EINVAL); seen from itself every id is itself.
    IdMapRange all{0, 0, UINT32_MAX};
    return UserNamespaceMap{{all}, {all}};
  }
  std::optional<Pipe> ready = make_pipe();
  std::optional<Pipe> hold = make_pipe();
  if (!ready || !hold) return std::nullopt;
  UniqueFd& ready_r = ready->read_end;
  UniqueFd& ready_w = ready->write_end;
  UniqueFd& hold_r = hold->read_end;
  UniqueFd& hold_w = hold->write_end;
  constexpr size_t kStack = 64 * 1024;
  // cppcheck-suppress invalidFunctionArg ; fd -1 is what MAP_ANONYMOUS asks for
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return std::nullopt;
  EnterArgs args{target.get(), ready_w.get(), hold_r.get(), hold_w.get()};
  long pid = ::clone(enter_namespace, static_cast<char*>(stack) + kStack, CLONE_VM | SIGCHLD, &args);
  if (pid < 0) {
    ::munmap(stack, kStack);
    return std::nullopt;
  }
  ready_w.reset();
  hold_r.reset();
  unsigned char result = 1;
  ssize_t n;
  do {
    n = ::read(ready_r.get(), &result, 1);
  } while (n < 0 && errno == EINTR);
  std::optional<std::string> uid_text, gid_text;
  if (n == 1 && result == 0) {
    // Opened by us, in our namespace: the kernel shows the outside ids relative to the
    // opener's user namespace, whatever the depth of the joined one.
    std::string base = "/proc/" + std::to_string(pid);
    uid_text = read_proc_file(base + "/uid_map");
    gid_text = read_proc_file(base + "/gid_map");
  }
  hold_w.reset();
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
  ::munmap(stack, kStack);
  if (!uid_text || !gid_text) return std::nullopt;
  auto uid = parse_id_map(*uid_text);
  auto gid = parse_id_map(*gid_text);
  if (!uid || !gid) return std::nullopt;
  return UserNamespaceMap{std::move(*uid), std::move(*gid)};
}

bool fs_type_never_idmapped(int64_t f_type) {
  constexpr int64_t kOverlayfsMagic = 0x794c7630;  // OVERLAYFS_SUPER_MAGIC
  constexpr int64_t kProcMagic = 0x9fa0;           // PROC_SUPER_MAGIC
  return f_type == kOverlayfsMagic || f_type == kProcMagic;
}

bool filesystem_never_idmapped(const std::string& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) return false;
  return fs_type_never_idmapped(static_cast<int64_t>(fs.f_type));
}

}  // namespace oci_harden
