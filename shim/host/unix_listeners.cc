// sock_diag dump of listening UNIX sockets, then a walk of /proc/<pid>/fd (see unix_listeners.hh).

#include "shim/host/unix_listeners.hh"

#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <set>

#include "shim/core/handles.hh"

namespace oci_harden {

namespace {

constexpr int kTcpListen = 10;  // TCP_LISTEN: the state sock_diag reports for listening sockets

// One sock_diag dump of the listening UNIX sockets bound to files: socket inode -> the name it
// was bound to ("" when the kernel gives none) and the file (device, inode) it is bound to.
std::map<ino_t, UnixListener> listening_sockets_bound_to_files() {
  std::map<ino_t, UnixListener> out;
  UniqueFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!fd.valid()) return out;
  struct {
    nlmsghdr nlh;
    unix_diag_req req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.req.sdiag_family = AF_UNIX;
  msg.req.udiag_states = 1U << kTcpListen;
  msg.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS;
  if (::send(fd.get(), &msg, sizeof msg, 0) != static_cast<ssize_t>(sizeof msg)) return out;
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) return out;
    auto len = static_cast<unsigned int>(n);  // NLMSG_OK compares it with the u32 nlmsg_len
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return out;
      auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
      int alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
      UnixListener l;
      bool has_vfs = false;
      for (auto* a = reinterpret_cast<rtattr*>(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
        if (a->rta_type == UNIX_DIAG_NAME && RTA_PAYLOAD(a) > 0) {
          const char* name = static_cast<const char*>(RTA_DATA(a));
          if (name[0] != '\0') l.path.assign(name, strnlen(name, RTA_PAYLOAD(a)));
        }
        if (a->rta_type == UNIX_DIAG_VFS && RTA_PAYLOAD(a) >= sizeof(unix_diag_vfs)) {
          unix_diag_vfs v;
          std::memcpy(&v, RTA_DATA(a), sizeof v);
          // The kernel's dev_t (20-bit minor), not the encoding stat() returns.
          l.dev = ::makedev(v.udiag_vfs_dev >> 20, v.udiag_vfs_dev & 0xfffff);
          l.ino = v.udiag_vfs_ino;
          has_vfs = true;
        }
      }
      if (has_vfs) out.emplace(m->udiag_ino, std::move(l));
    }
  }
}

// The socket inodes of the listening UNIX sockets bound to the file (dev, ino).
std::set<ino_t> listening_socket_inodes(dev_t dev, ino_t ino) {
  std::set<ino_t> out;
  for (const auto& [sock, l] : listening_sockets_bound_to_files()) {
    if (l.dev == dev && l.ino == ino) out.insert(sock);
  }
  return out;
}

// The same dump, the sockets whose bound name the kernel gives.
std::map<ino_t, UnixListener> named_listening_sockets() {
  std::map<ino_t, UnixListener> out = listening_sockets_bound_to_files();
  for (auto it = out.begin(); it != out.end();) {
    it = it->second.path.empty() ? out.erase(it) : std::next(it);
  }
  return out;
}

bool all_digits(const char* s) {
  if (*s == '\0') return false;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

std::string read_link(const std::string& path) {
  char target[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), target, sizeof target);
  return n > 0 && static_cast<size_t>(n) < sizeof target ? std::string(target, static_cast<size_t>(n)) : "";
}

}  // namespace

std::vector<std::string> unix_socket_listeners(dev_t dev, ino_t ino) {
  std::vector<std::string> exes;
  std::set<ino_t> socks = listening_socket_inodes(dev, ino);
  if (socks.empty()) return exes;
  std::set<std::string> wanted;
  for (ino_t s : socks) wanted.insert("socket:[" + std::to_string(s) + "]");
  UniqueDir proc(::opendir("/proc"));
  if (!proc) return exes;
  while (dirent* p = ::readdir(proc.get())) {
    if (!all_digits(p->d_name)) continue;
    std::string base = std::string("/proc/") + p->d_name;
    UniqueDir fds(::opendir((base + "/fd").c_str()));
    if (!fds) continue;
    while (dirent* f = ::readdir(fds.get())) {
      if (!all_digits(f->d_name) || wanted.count(read_link(base + "/fd/" + f->d_name)) == 0) continue;
      std::string exe = read_link(base + "/exe");
      if (!exe.empty() && std::find(exes.begin(), exes.end(), exe) == exes.end()) exes.push_back(exe);
      break;
    }
  }
  return exes;
}

std::vector<UnixListener> all_unix_listeners() {
  std::map<ino_t, UnixListener> socks = named_listening_sockets();
  std::vector<UnixListener> out;
  if (socks.empty()) return out;
  std::map<std::string, ino_t> wanted;
  for (const auto& [ino, l] : socks) wanted.emplace("socket:[" + std::to_string(ino) + "]", ino);
  UniqueDir proc(::opendir("/proc"));
  if (!proc) return out;
  while (dirent* p = ::readdir(proc.get())) {
    if (!all_digits(p->d_name)) continue;
    std::string base = std::string("/proc/") + p->d_name;
    UniqueDir fds(::opendir((base + "/fd").c_str()));
    if (!fds) continue;
    std::string exe;
    while (dirent* f = ::readdir(fds.get())) {
      if (!all_digits(f->d_name)) continue;
      auto it = wanted.find(read_link(base + "/fd/" + f->d_name));
      if (it == wanted.end()) continue;
      if (exe.empty()) exe = read_link(base + "/exe");
      std::vector<std::string>& exes = socks[it->second].exes;
      if (!exe.empty() && std::find(exes.begin(), exes.end(), exe) == exes.end()) exes.push_back(exe);
    }
  }
  for (auto& [ino, l] : socks) out.push_back(std::move(l));
  return out;
}

}  // namespace oci_harden
