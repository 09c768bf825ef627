// Rule "sysctls": a container sets only the kernel parameters the policy lists (Pod Security
// baseline: the "safe" sysctls, which are namespaced and cannot affect other containers or the
// host). Refused: a linux.sysctl entry whose name is not in allowed_sysctls (an entry ending in
// "*" allows every name starting with what precedes it), and a name that is not well formed.
//
// runc writes a sysctl by turning the name's dots into slashes under /proc/sys, and accepts "/"
// as a separator too (sysctl(8) style), so "kernel/shm_rmid_forced" and "kernel.shm_rmid_forced"
// reach the same file. Names are therefore compared with every "/" read as ".". Why this is safe:
// after that, a name made of non-empty components can only name the file its components spell;
// a leading or trailing separator, "//", ".." or "." would leave an empty component and is
// refused, so no spelling reaches a file the allowed name does not.

#include <string>
#include <vector>

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

std::string dotted(std::string name) {
  for (char& c : name) {
    if (c == '/') c = '.';
  }
  return name;
}

bool well_formed(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  return name.find("..") == std::string::npos;
}

bool allowed(const std::string& name, const std::vector<std::string>& list) {
  for (const std::string& entry : list) {
    std::string pattern = dotted(entry);
    if (!pattern.empty() && pattern.back() == '*') {
      pattern.pop_back();
      if (name.compare(0, pattern.size(), pattern) == 0) return true;
    } else if (name == pattern) {
      return true;
    }
  }
  return false;
}

}  // namespace

void rule_sysctls(RuleContext& ctx) {
  const Json* sysctl = field_at(ctx.spec(), "linux.sysctl");
  if (sysctl == nullptr) return;
  for (const auto& member : sysctl->members()) {
    const std::string& key = member.first;
    std::string name = dotted(key);
    std::string shown = name == key ? key : key + " (read as " + name + ")";
    if (!well_formed(name)) {
      ctx.refuse("linux.sysctl", "malformed", "sysctl \"" + key +
                 "\" (linux.sysctl) is not a well-formed name: it has an empty component");
    } else if (!allowed(name, ctx.policy().allowed_sysctls)) {
      ctx.refuse("linux.sysctl", "not-allowed", "sysctl " + shown + " (linux.sysctl) is not in the policy's allowed_sysctls");
    }
  }
}

}  // namespace oci_harden
