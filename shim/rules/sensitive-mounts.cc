// Rule "sensitive-mounts": no container gets a bind of the engine's socket or of a sensitive host
// path (CIS Docker 5.5 sensitive host system directories, 5.31 the Docker socket; cheat-sheet
// practices 16 and 26; Pod Security baseline: no hostPath).
//
// Refused, one refusal per offending mount:
//   - a bind whose canonical source is a sensitive path (policy sensitive_paths, and the engine
//     sockets), lies under one, or is a parent of one: binding /var/run hands over
//     /run/docker.sock as surely as binding the socket does. "/" counts only as itself and as a
//     parent, or every path would lie under it;
//   - a bind whose destination is an engine socket path, whatever its source: the destination
//     shows the intent (a proxied socket has an innocent-looking source);
//   - a mount that is not a bind, of a type outside allowed_mount_types: ext4 of /dev/vda mounts
//     the host's disk, overlay with lowerdir=/etc exposes the host's /etc;
//   - a root filesystem that is "/", a sensitive path or a parent of one, or lies under /proc,
//     /sys or /dev (/proc/1/root resolves to /). Engines keep roots under their data
//     directories (/var/lib/docker/overlay2/<id>/merged), which stay allowed.
// Allowed: sources matching allowed_paths (the engines' per-container files, named volumes,
// kubelet pod volumes), unless they are a parent of a sensitive path; sources equal to or under
// allowed_readonly_paths when the bind is read-only.
//
// Canonical means as the kernel will resolve it: a relative source is joined to runc's working
// directory, the bundle (runc chdirs there and cleans the join lexically, as Go's filepath.Join
// does), then ".", "..", "//" and symlinks are resolved through the host (/var/run is a link to
// /run). Sensitive, allowed and read-only paths are canonicalised the same way, so both sides
// of every comparison are spelled alike.
//
// Limits, stated plainly: the host is read now and runc resolves the source again when it mounts
// it (a path the container's owner controls could change in between); and a bind-mount point on
// the host cannot be seen through, so a kubelet subPath under volume-subpaths is judged by its
// location, not by what kubelet bound there.

#include <algorithm>
#include <string>
#include <vector>

#include "../rule.hh"
#include "../spec.hh"

namespace oci_harden {

namespace {

using Parts = std::vector<std::string>;

// The components of a path, "", "." dropped and ".." applied lexically.
Parts lexical_parts(const std::string& path) {
  Parts parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string seg = path.substr(i, j - i);
    i = j + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(std::move(seg));
  }
  return parts;
}

std::string join_parts(const Parts& parts) {
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// "/" + path cleaned lexically: how runc places a destination, relative or not, in the rootfs.
std::string lexical(const std::string& path) { return join_parts(lexical_parts(path)); }

// child lies strictly under parent.
bool strictly_under(const std::string& parent, const std::string& child) {
  if (parent == "/") return child != "/";
  return child.size() > parent.size() && child.compare(0, parent.size(), parent) == 0 &&
         child[parent.size()] == '/';
}

bool same_or_under(const std::string& parent, const std::string& child) {
  return parent == child || strictly_under(parent, child);
}

// The path equals the pattern or lies under it; a "*" component matches exactly one component.
bool matches(const Parts& pattern, const Parts& path) {
  if (path.size() < pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != "*" && pattern[i] != path[i]) return false;
  }
  return true;
}

// runc applies mount options in order: "ro" sets MS_RDONLY and "rw" clears it, so the last of
// them wins; "rro"/"rrw" set and clear the recursive read-only attribute independently.
bool bind_is_readonly(const Json& mount) {
  bool ro = false, rro = false;
  for (const std::string& o : string_items(field(&mount, "options"))) {
    if (o == "ro") ro = true;
    if (o == "rw") ro = false;
    if (o == "rro") rro = true;
    if (o == "rrw") rro = false;
  }
  return ro || rro;
}

// A destination is an engine socket's when it names the same file inside the container; images
// link /var/run to /run (FHS), so the two spellings are one.
std::string socket_key(const std::string& path) {
  std::string p = lexical(path);
  return p.compare(0, 9, "/var/run/") == 0 ? p.substr(4) : p;
}

std::string shown(const std::string& given, const std::string& canon) {
  return given == canon ? given : given + " (canonical " + canon + ")";
}

std::string list_some(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += ", ...";
  return out;
}

class MountJudge {
 public:
  explicit MountJudge(RuleContext& ctx) : ctx_(ctx) {
    const Policy& policy = ctx.policy();
    for (const auto& s : policy.sensitive_paths) add_unique(&sensitive_, canonical_abs(s));
    for (const auto& s : policy.engine_sockets) {
      std::string c = canonical_abs(s);
      add_unique(&sockets_, c);
      add_unique(&sensitive_, c);  // a socket source is refused even if the list forgot it
    }
    for (const auto& p : policy.allowed_paths) allowed_.push_back(canonical_pattern(p));
    for (const auto& p : policy.allowed_readonly_paths) readonly_.push_back(canonical_abs(p));
    for (const char* p : {"/proc", "/sys", "/dev"}) add_unique(&pseudo_, canonical_abs(p));
  }

  // Every canonical host path a spec path (source or root.path) can name. runc joins a relative
  // path to its working directory, which Go reports either as the bundle as given or as its
  // physical path; both are judged. Why this is safe: the worse answer of the two is used.
  std::vector<std::string> resolve(const std::string& path) const {
    if (!path.empty() && path[0] == '/') return {ctx_.host().canonical_path(path)};
    const std::string& bundle = ctx_.invocation().bundle;
    std::vector<std::string> out;
    for (const std::string& base : {bundle, ctx_.host().canonical_path(lexical(bundle))}) {
      add_unique(&out, ctx_.host().canonical_path(lexical(base + "/" + path)));
    }
    return out;
  }

  bool socket(const std::string& canon) const {
    return std::any_of(sockets_.begin(), sockets_.end(),
                       [&](const std::string& s) { return same_or_under(s, canon); });
  }

  // Why binding `canon` exposes the host, or "" when it does not.
  std::string danger(const std::string& canon) const {
    if (socket(canon)) return "the engine socket gives full control of the host";
    std::vector<std::string> below = sensitive_below(canon);
    if (canon == "/" && (sensitive(canon) || !below.empty())) {
      return "a parent of sensitive host paths";
    }
    if (sensitive(canon)) return "a sensitive host path";
    for (const auto& s : sensitive_) {
      if (s != "/" && strictly_under(s, canon)) return "under sensitive host path " + s;
    }
    if (below.size() == 1) return "a parent of sensitive host path " + below[0];
    if (!below.empty()) return "a parent of sensitive host paths (" + list_some(below, 3) + ")";
    return "";
  }

  // Sensitive paths strictly under `canon` ("/" itself never counts: it is under nothing).
  std::vector<std::string> sensitive_below(const std::string& canon) const {
    std::vector<std::string> out;
    for (const auto& s : sensitive_) {
      if (strictly_under(canon, s)) out.push_back(s);
    }
    return out;
  }

  bool allowed_path(const std::string& canon) const {
    Parts parts = lexical_parts(canon);
    return std::any_of(allowed_.begin(), allowed_.end(),
                       [&](const Parts& pattern) { return matches(pattern, parts); });
  }

  bool readonly_path(const std::string& canon) const {
    return std::any_of(readonly_.begin(), readonly_.end(),
                       [&](const std::string& p) { return same_or_under(p, canon); });
  }

  bool pseudo_filesystem(const std::string& canon) const {
    return std::any_of(pseudo_.begin(), pseudo_.end(),
                       [&](const std::string& p) { return same_or_under(p, canon); });
  }

  bool sensitive(const std::string& canon) const {
    return std::find(sensitive_.begin(), sensitive_.end(), canon) != sensitive_.end();
  }

  bool socket_destination(const std::string& dest) const {
    std::string key = socket_key(dest);
    return std::any_of(ctx_.policy().engine_sockets.begin(), ctx_.policy().engine_sockets.end(),
                       [&](const std::string& s) { return socket_key(s) == key; });
  }

 private:
  static void add_unique(std::vector<std::string>* list, std::string s) {
    if (std::find(list->begin(), list->end(), s) == list->end()) list->push_back(std::move(s));
  }

  std::string canonical_abs(const std::string& path) const {
    return ctx_.host().canonical_path(lexical(path));
  }

  // The literal prefix of a pattern (up to its first "*") is canonicalised like the sources it
  // is compared with, so a data root behind a symlink (/var/lib/docker -> /data/docker) still
  // matches.
  Parts canonical_pattern(const std::string& pattern) const {
    Parts parts = lexical_parts(pattern);
    auto star = std::find(parts.begin(), parts.end(), "*");
    Parts out = lexical_parts(canonical_abs(join_parts(Parts(parts.begin(), star))));
    out.insert(out.end(), star, parts.end());
    return out;
  }

  RuleContext& ctx_;
  std::vector<std::string> sensitive_;  // canonical, engine sockets included
  std::vector<std::string> sockets_;    // canonical
  std::vector<Parts> allowed_;          // canonical patterns
  std::vector<std::string> readonly_;   // canonical
  std::vector<std::string> pseudo_;     // /proc, /sys, /dev, canonical
};

// Returns whether the source was refused.
bool judge_bind_source(RuleContext& ctx, const MountJudge& judge, const Json& mount,
                       const std::string& where) {
  std::string source = string_field(&mount, "source").value_or("");
  std::string dest = string_field(&mount, "destination").value_or("");
  for (const std::string& canon : judge.resolve(source)) {
    std::string why = judge.danger(canon);
    if (why.empty()) continue;
    // Why this is safe: an allowance never covers an engine socket, nor a source with a
    // sensitive path below it, so no pattern (however broad) admits /var or /run; it only admits
    // paths that are themselves inside an engine's tree, like /var/lib/docker/containers/<id>.
    bool never = judge.socket(canon) || !judge.sensitive_below(canon).empty();
    if (!never && judge.allowed_path(canon)) continue;
    bool readonly = bind_is_readonly(mount);
    if (!never && judge.readonly_path(canon)) {
      if (readonly) continue;
      ctx.refuse(shown(source, canon) + " is mounted read-write at " + dest + " (" + where +
                 "): the policy allows it only read-only (:ro)");
      return true;
    }
    ctx.refuse(shown(source, canon) + " is mounted at " + dest + " (" + where + "): " + why);
    return true;
  }
  return false;
}

void judge_bind(RuleContext& ctx, const MountJudge& judge, const Json& mount,
                const std::string& where) {
  if (judge_bind_source(ctx, judge, mount, where)) return;
  std::string dest = string_field(&mount, "destination").value_or("");
  if (judge.socket_destination(dest)) {
    std::string source = string_field(&mount, "source").value_or("");
    ctx.refuse(source + " is mounted at " + dest + " (" + where +
               "): that is an engine socket's path, and binds there are refused whatever their "
               "source");
  }
}

void judge_other_mount(RuleContext& ctx, const Json& mount, const std::string& where) {
  const auto& types = ctx.policy().allowed_mount_types;
  std::optional<std::string> type = string_field(&mount, "type");
  if (type && std::find(types.begin(), types.end(), *type) != types.end()) return;
  std::vector<std::string> shown_types;
  for (const auto& t : types) {
    if (t != "bind") shown_types.push_back(t);
  }
  std::string what = type ? "a filesystem of type \"" + *type + "\"" : "a filesystem with no type";
  std::string source = string_field(&mount, "source").value_or("");
  ctx.refuse(what + (source.empty() ? "" : " (source " + source + ")") + " is mounted at " +
             string_field(&mount, "destination").value_or("") + " (" + where +
             "): the policy allows bind mounts and " +
             list_some(shown_types, shown_types.size()) + " (allowed_mount_types)");
}

void judge_root(RuleContext& ctx, const MountJudge& judge) {
  std::optional<std::string> path = string_field(field(&ctx.spec(), "root"), "path");
  if (!path) return;
  for (const std::string& canon : judge.resolve(*path)) {
    std::string why;
    std::vector<std::string> below = judge.sensitive_below(canon);
    if (canon == "/") {
      why = "the host's root directory";
    } else if (judge.pseudo_filesystem(canon)) {
      why = "inside /proc, /sys or /dev";
    } else if (judge.sensitive(canon)) {
      why = "a sensitive host path";
    } else if (!below.empty()) {
      why = "a parent of sensitive host paths (" + list_some(below, 3) + ")";
    }
    if (why.empty()) continue;
    ctx.refuse("root.path " + shown(*path, canon) + " is " + why +
               ": the container would run on the host's own files");
    return;
  }
}

}  // namespace

void rule_sensitive_mounts(RuleContext& ctx) {
  MountJudge judge(ctx);
  judge_root(ctx, judge);
  const Json* mounts = field(&ctx.spec(), "mounts");
  if (mounts == nullptr) return;
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    const Json& mount = mounts->items()[i];
    if (!mount.is_object()) continue;  // null decodes to an empty mount, which runc rejects
    std::string where = json_path_index("mounts", i);
    if (is_bind_mount(mount)) {
      judge_bind(ctx, judge, mount, where);
    } else {
      judge_other_mount(ctx, mount, where);
    }
  }
}

}  // namespace oci_harden
