// The checks of a started container (see process_verify.hh): oci-harden-hook poststart, and
// `oci-harden create` under runc (container_verify.hh).

#include "shim/host/process_verify.hh"

#include <cap-ng.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <sstream>
#include <vector>

#include "shim/core/handles.hh"
#include "shim/core/mountinfo.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

constexpr size_t kMaxProcFile = 256 * 1024;

std::string read_small(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return "";
  std::string out;
  char buf[8192];
  while (out.size() < kMaxProcFile) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A mount table may be long (a host's can be megabytes): read whole up to its own bound;
// *over when the bound was reached.
constexpr size_t kMaxMountinfo = 16 * 1024 * 1024;

std::string read_bounded(const std::string& path, size_t limit, bool* over) {
  *over = false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return "";
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() >= limit) {
      *over = true;
      return "";
    }
  }
  return out;
}

// The mount point of the first mount whose optional fields (between the sixth field and "-")
// say "shared:N"; "" when none is shared.
std::string first_shared_mount(const std::string& mountinfo) {
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> f;
    std::string w;
    while (words >> w) f.push_back(w);
    for (size_t i = 6; i < f.size() && f[i] != "-"; ++i) {
      if (f[i].compare(0, 7, "shared:") == 0) return unescape_mountinfo(f[4]);
    }
  }
  return "";
}

// Whether a comma-separated option list has `name` as one whole option.
bool has_option(const std::string& options, const std::string& name) {
  size_t start = 0;
  while (start <= options.size()) {
    size_t comma = options.find(',', start);
    if (comma == std::string::npos) comma = options.size();
    if (options.compare(start, comma - start, name) == 0 && comma - start == name.size()) return true;
    start = comma + 1;
  }
  return false;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string status_field(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") == 0) {
      std::string v = line.substr(key.size() + 1);
      size_t b = v.find_first_not_of(" \t");
      return b == std::string::npos ? "" : v.substr(b);
    }
  }
  return "";
}

std::string hex16(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

Check make_check(const std::string& name, const std::string& expected, const std::string& actual) {
  return Check{name, expected, actual, expected == actual};
}

// The process's cgroup paths by controller, from /proc/PID/cgroup ("" key for v2).
std::map<std::string, std::string> cgroup_paths(int pid) {
  std::map<std::string, std::string> out;
  std::istringstream in(read_small("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    std::istringstream cs(controllers);
    std::string c;
    if (controllers.empty()) out[""] = path;
    while (std::getline(cs, c, ',')) out[c] = path;
  }
  return out;
}

}  // namespace

uint64_t capability_mask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const auto& n : names) {
    int c = capability_number(n);
    if (c >= 0 && c < 64) mask |= uint64_t(1) << c;
  }
  return mask;
}

ProcessView read_process_view(int pid) {
  ProcessView v;
  std::string base = "/proc/" + std::to_string(pid);
  v.status = read_small(base + "/status");
  v.readable = !v.status.empty();
  v.uid_map = read_small(base + "/uid_map");
  v.mountinfo = base + "/mountinfo";
  v.mountinfo_text = read_bounded(v.mountinfo, kMaxMountinfo, &v.mountinfo_over);
  auto paths = cgroup_paths(pid);
  auto v1 = [&](const char* controller, const char* file) {
    auto it = paths.find(controller);
    if (it == paths.end()) return;
    std::string value = trim(read_small(std::string("/sys/fs/cgroup/") + controller + it->second + "/" + file));
    if (!value.empty()) v.cgroup[std::string(controller) + "/" + file] = value;
  };
  v1("pids", "pids.max");
  v1("memory", "memory.limit_in_bytes");
  v1("cpu", "cpu.cfs_quota_us");
  auto unified = paths.find("");
  if (unified != paths.end()) {
    for (const char* f : {"pids.max", "memory.max", "cpu.max"}) {
      std::string root = ::access("/sys/fs/cgroup/unified", F_OK) == 0 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
      std::string value = trim(read_small(root + unified->second + "/" + f));
      if (!value.empty()) v.cgroup[f] = value;
    }
  }
  return v;
}

std::vector<Check> verify_process(const Json& spec, const ProcessView& view) {
  std::vector<Check> checks;
  if (!view.readable) {
    checks.push_back(Check{"proc_status", "readable", "unreadable", false});
    return checks;
  }
  const Json* process = field(&spec, "process");
  if (bool_field(process, "noNewPrivileges").value_or(false)) {
    checks.push_back(make_check("no_new_privs", "1", status_field(view.status, "NoNewPrivs")));
  }
  if (field_at(spec, "linux.seccomp") != nullptr) {
    checks.push_back(make_check("seccomp", "2", status_field(view.status, "Seccomp")));
  }
  // Capabilities: the kernel's sets must not exceed the spec's (through libcap-ng's names).
  for (const auto& [set, key] : {std::pair<const char*, const char*>{"bounding", "CapBnd"},
                                 {"effective", "CapEff"}, {"permitted", "CapPrm"}}) {
    const Json* list = field_at(spec, std::string("process.capabilities.") + set);
    if (list == nullptr) continue;
    uint64_t promised = capability_mask(string_items(list));
    std::string actual_text = status_field(view.status, key);
    uint64_t actual = std::strtoull(actual_text.c_str(), nullptr, 16);
    Check c{std::string("cap_") + set, "within " + hex16(promised), actual_text,
            !actual_text.empty() && (actual & ~promised) == 0};
    checks.push_back(c);
  }
  // User namespace: container uid 0 maps where the spec says.
  const Json* uid_maps = field_at(spec, "linux.uidMappings");
  if (uid_maps != nullptr && !uid_maps->items().empty()) {
    const Json& m = uid_maps->items()[0];
    std::string expected = std::to_string(int_field(&m, "containerID").value_or(0)) + " " +
                           std::to_string(int_field(&m, "hostID").value_or(0)) + " " +
                           std::to_string(int_field(&m, "size").value_or(0));
    std::istringstream in(view.uid_map);
    std::string a, b, c;
    in >> a >> b >> c;
    checks.push_back(make_check("uid_map", expected, a.empty() ? "unreadable" : a + " " + b + " " + c));
  }
  // Mounts, from the process's own mountinfo with oci-harden's parser (shim/core/mountinfo: no
  // libmount, so the hook links as a static PIE and starts as fast as oci-harden, issue 14): the
  // root read-only, no shared propagation anywhere. A table over the bound is unreadable, never
  // judged on its first part.
  bool want_ro = bool_field(field(&spec, "root"), "readonly").value_or(false);
  const std::string& text = view.mountinfo_text;
  std::vector<MountEntry> mounts = view.mountinfo_over ? std::vector<MountEntry>{} : parse_mountinfo(text);
  if (mounts.empty()) {
    checks.push_back(Check{"mountinfo", "readable", "unreadable", false});
  } else {
    // The last mount on "/" in the process's own view is its root filesystem.
    const MountEntry* root = nullptr;
    for (const MountEntry& m : mounts) {
      if (m.mount_point == "/") root = &m;
    }
    if (want_ro) {
      bool ro = root != nullptr && has_option(root->options, "ro");
      checks.push_back(make_check("rootfs_readonly", "ro", root == nullptr ? "no root mount" : (ro ? "ro" : "rw")));
    }
    std::string shared = first_shared_mount(text);
    checks.push_back(make_check("no_shared_mounts", "none", shared.empty() ? "none" : shared));
  }
  // Limits in the process's cgroup (v1 names or v2 names, whichever the host has).
  auto limit = [&](const char* name, const std::string& expected, const char* v1, const char* v2) {
    auto a = view.cgroup.find(v1);
    auto b = view.cgroup.find(v2);
    std::string actual = a != view.cgroup.end() ? a->second : (b != view.cgroup.end() ? b->second : "unreadable");
    if (b != view.cgroup.end() && a == view.cgroup.end() && std::string(v2) == "cpu.max") {
      actual = actual.substr(0, actual.find(' '));
    }
    checks.push_back(make_check(name, expected, actual));
  };
  if (auto pids = int_field(field_at(spec, "linux.resources.pids"), "limit"); pids && *pids > 0) {
    limit("pids_limit", std::to_string(*pids), "pids/pids.max", "pids.max");
  }
  if (auto mem = int_field(field_at(spec, "linux.resources.memory"), "limit"); mem && *mem > 0) {
    limit("memory_limit", std::to_string(*mem), "memory/memory.limit_in_bytes", "memory.max");
  }
  if (auto quota = int_field(field_at(spec, "linux.resources.cpu"), "quota"); quota && *quota > 0) {
    limit("cpu_quota", std::to_string(*quota), "cpu/cpu.cfs_quota_us", "cpu.max");
  }
  return checks;
}

}  // namespace oci_harden
