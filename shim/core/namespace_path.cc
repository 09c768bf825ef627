// Pinning linux.namespaces[].path: see namespace_path.hh.
//
// Why this is safe. runc opens the path by name after oci-harden has judged it, so what the name
// leads to must not change in between:
//   - no symlink is left on the path (the directories are canonicalised and a final symlink is
//     followed), so a link its owner re-points (the adversary's /tmp/x/nslink) is out of the
//     picture: runc is handed the target judged, not the link;
//   - no directory on the path may be writable by a non-root user: whoever can write a directory
//     can rename an entry in it away and put a symlink (or another directory) in its place. A
//     directory owned by a non-root user counts as writable (its owner may chmod it), except
//     under /proc, where the kernel owns the modes. A root-owned sticky directory (/tmp) is
//     allowed only where the next entry on the path is root-owned too (a user may rename only
//     their own entries there) or is the final entry: a namespace file is either a bind mount
//     of nsfs (renaming or unlinking over a mount point fails with EBUSY, and only root mounts
//     on the host) or a magic link in a /proc/<pid>/ns directory, which nobody writes.
// Known limit: /proc/<pid>/ns/<type> names a process, not a namespace; if that process exits and
// its pid is reused before runc opens the path, runc joins the new process's namespace.
#include "shim/core/namespace_path.hh"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>

#include "shim/core/lexical_path.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

constexpr int kMaxLinks = 40;  // the kernel's limit on symlinks in one lookup

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

// /proc/<pid>/ns or /proc/<pid>/task/<tid>/ns (canonical).
bool is_proc_ns_dir(const std::string& dir) {
  std::vector<std::string> p = lexical_parts(dir);
  if (p.size() == 3) return p[0] == "proc" && all_digits(p[1]) && p[2] == "ns";
  if (p.size() == 5) {
    return p[0] == "proc" && all_digits(p[1]) && p[2] == "task" && all_digits(p[3]) && p[4] == "ns";
  }
  return false;
}

bool under_proc(const std::string& dir) { return strictly_under("/proc", dir); }

// A non-root user can write `d`, or make it writable.
bool writable_by_non_root(const DirAccess& d) {
  if (d.uid != 0 && !under_proc(d.path)) return true;
  return (d.mode & (S_IWGRP | S_IWOTH)) != 0 || (d.uid != 0 && (d.mode & S_IWUSR) != 0);
}

}  // namespace

std::optional<std::string> resolved_namespace_path(const Host& host, const std::string& abs) {
  std::string path = abs;
  for (int links = 0; links <= kMaxLinks; ++links) {
    std::string base = base_name(path);
    if (base.empty() || base == "." || base == "..") return host.canonical_path(path);
    std::string dir = host.canonical_path(dir_name(path));
    path = (dir == "/" ? "" : dir) + "/" + base;
    if (is_proc_ns_dir(dir)) return path;
    std::optional<std::string> target = host.symlink_target(path);
    if (!target) return path;
    path = (*target)[0] == '/' ? *target : dir + "/" + *target;
  }
  return std::nullopt;
}

std::string redirectable_by(const std::vector<DirAccess>& dirs) {
  for (size_t i = 0; i < dirs.size(); ++i) {
    const DirAccess& d = dirs[i];
    if (!writable_by_non_root(d)) continue;
    bool sticky_root = d.uid == 0 && (d.mode & S_ISVTX) != 0;
    bool next_safe = i + 1 == dirs.size() || dirs[i + 1].uid == 0;
    if (sticky_root && next_safe) continue;
    if (sticky_root) {
      return "directory " + dirs[i + 1].path + " belongs to uid " + std::to_string(dirs[i + 1].uid) +
             " in the sticky " + d.path + ", who can rename it and put something else in its place";
    }
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(d.mode & 07777));
    return "directory " + d.path + " (uid " + std::to_string(d.uid) + ", gid " + std::to_string(d.gid) +
           ", mode " + mode + ") is writable by a non-root user, who can put something else at the path";
  }
  return "";
}

std::optional<std::string> pin_namespace_path(RuleContext& ctx, size_t index) {
  Json* list = field_at(ctx.spec(), "linux.namespaces");
  if (list == nullptr || !list->is_array() || index >= list->items().size()) return std::nullopt;
  Json& entry = list->items()[index];
  std::string spelled = string_field(&entry, "path").value_or("");
  std::string type = string_field(&entry, "type").value_or("");
  std::string where = json_path_index("linux.namespaces", index);
  std::string named = type + " namespace " + spelled + " (" + where + ")";
  // runc opens a relative path from the bundle directory, where it runs.
  std::string abs = spelled[0] == '/' ? spelled : ctx.invocation().bundle + "/" + spelled;
  std::optional<std::string> pinned = resolved_namespace_path(ctx.host(), abs);
  if (!pinned) {
    ctx.refuse(named + ": too many symlinks to resolve");
    return std::nullopt;
  }
  std::vector<DirAccess> dirs = ctx.host().ancestors(*pinned);
  if (dirs.empty()) {
    ctx.refuse(named + ": the directories of " + *pinned + " cannot be inspected");
    return std::nullopt;
  }
  std::string why = redirectable_by(dirs);
  if (!why.empty()) {
    ctx.refuse(named + " resolves to " + *pinned + ", which a non-root user can redirect before runc opens it: " +
               why);
    return std::nullopt;
  }
  if (*pinned != spelled) ctx.set(entry, "path", Json::string(*pinned), where + ".path");
  return pinned;
}

}  // namespace oci_harden
