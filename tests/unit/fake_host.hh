// A Host for unit tests: every answer is a field the test sets, nothing touches the machine.
#pragma once

#include <map>
#include <set>
#include <string>

#include "shim/host.hh"

namespace oci_harden {

class FakeHost : public Host {
 public:
  int last_cap = 40;
  int64_t memory = 8LL << 30;  // 8 GiB
  int cpus = 4;
  std::map<std::string, std::string> symlinks;      // absolute path -> absolute target
  std::map<std::string, NamespaceId> ns_paths;       // path -> namespace
  std::map<std::string, NamespaceId> own_ns;         // type -> namespace
  std::map<std::string, NamespaceId> init_ns;        // type -> namespace (absent = unreadable)
  std::set<std::string> idmap_dirs;                  // dirs that support idmapped mounts
  std::set<std::string> unsearchable_dirs;           // dirs the mapped uid cannot search
  bool apparmor = false;
  std::set<std::string> apparmor_profiles;           // loaded AppArmor profiles
  std::set<int> not_in_own_bounding;                 // capabilities the engine itself lacks

  int cap_last_cap() const override { return last_cap; }
  int64_t memory_bytes() const override { return memory; }
  int cpu_count() const override { return cpus; }
  std::string canonical_path(const std::string& path) const override;
  std::optional<NamespaceId> namespace_at(const std::string& path) const override {
    auto it = ns_paths.find(path);
    if (it == ns_paths.end()) return std::nullopt;
    return it->second;
  }
  std::optional<NamespaceId> own_namespace(const std::string& type) const override {
    auto it = own_ns.find(type);
    if (it == own_ns.end()) return std::nullopt;
    return it->second;
  }
  std::optional<NamespaceId> init_namespace(const std::string& type) const override {
    auto it = init_ns.find(type);
    if (it == init_ns.end()) return std::nullopt;
    return it->second;
  }
  bool supports_idmapped_mount(const std::string& dir, uint32_t, uint32_t, uint32_t) const override {
    return idmap_dirs.count(dir) > 0;
  }
  bool searchable_by(const std::string& dir, uint32_t, uint32_t) const override {
    for (const auto& d : unsearchable_dirs) {
      if (dir == d || dir.compare(0, d.size() + 1, d + "/") == 0) return false;
    }
    return true;
  }
  bool apparmor_enabled() const override { return apparmor; }
  bool apparmor_profile_loaded(const std::string& name) const override {
    return apparmor_profiles.count(name) > 0;
  }
  bool in_own_bounding_set(int cap) const override {
    return cap >= 0 && cap <= last_cap && not_in_own_bounding.count(cap) == 0;
  }

  // Hooks: canonical path (after the symlink table) -> the binary there.
  std::map<std::string, Binary> binaries;
  std::optional<Binary> binary_at(const std::string& path) const override {
    auto it = binaries.find(canonical_path(path));
    if (it == binaries.end()) return std::nullopt;
    return it->second;
  }
  // Update: pid -> its cgroup's CPU bandwidth (absent = unreadable).
  std::map<pid_t, CpuBandwidth> cpu_bandwidths;
  std::optional<CpuBandwidth> cpu_bandwidth_of(pid_t pid) const override {
    auto it = cpu_bandwidths.find(pid);
    if (it == cpu_bandwidths.end()) return std::nullopt;
    return it->second;
  }
};

// Lexical canonicalisation with the fake symlink table (a link's target is absolute).
inline std::string FakeHost::canonical_path(const std::string& path) const {
  std::vector<std::string> parts;
  std::string pending = path;
  int hops = 0;
  for (;;) {
    parts.clear();
    std::string out;
    size_t i = 0;
    bool restarted = false;
    while (i <= pending.size()) {
      size_t j = pending.find('/', i);
      if (j == std::string::npos) j = pending.size();
      std::string seg = pending.substr(i, j - i);
      i = j + 1;
      if (seg.empty() || seg == ".") continue;
      if (seg == "..") {
        if (!parts.empty()) parts.pop_back();
        continue;
      }
      parts.push_back(seg);
      std::string so_far;
      for (const auto& p : parts) so_far += "/" + p;
      auto link = symlinks.find(so_far);
      if (link != symlinks.end() && hops < 40) {
        ++hops;
        pending = link->second + "/" + (i <= pending.size() ? pending.substr(i) : "");
        restarted = true;
        break;
      }
    }
    if (!restarted) break;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

}  // namespace oci_harden
