// Rule "sensitive-mounts": no container gets a bind of the engine's socket, of a sensitive host
// path or of the runtimes' own state (CIS Docker 5.5 sensitive host system directories, 5.31 the
// Docker socket; cheat-sheet practices 16 and 26; Pod Security baseline: no hostPath).
//
// A bind source is judged by what it IS on the host, not by how it is spelled (path_identity.hh):
// its canonical path (symlinks followed, relative paths joined to the bundle as runc does), then
// the file the kernel would bind (device, inode, type), the mount that holds it and its TRUE
// PATH, the same directory as reached through its filesystem's principal mount. A Docker named
// volume created with "-o type=none -o o=bind -o device=/" has the spelling
// /var/lib/docker/volumes/hostroot/_data and the true path "/"; it is judged as "/".
//
// Refused, one refusal per offending mount:
//   - a source that goes through /proc/self, /proc/thread-self or /proc/<pid> at any depth
//     (judged on the words as written: runc resolves them in its own process at mount time, so
//     /proc/self/cwd is the bundle and <root>/proc/1/root is runc init's root, the host's /);
//   - a source inside the container's own root filesystem (runc mounts /proc there first);
//   - a source on a filesystem type that exposes the host (refused_source_fstypes: a procfs or
//     sysfs at a volume path is refused whatever the path);
//   - a UNIX socket on which a process of an engine binary listens (engine_binaries), wherever
//     the socket file is: found by the file's (device, inode) in sock_diag and the socket's
//     holders in /proc/<pid>/fd, so another path, a hard link or a bind of it changes nothing;
//   - a source that is the same file (device, inode) as a sensitive path, or whose true path is
//     a sensitive path (policy sensitive_paths, the engine sockets, oci-harden's state_dir,
//     its audit_log file, its learn_dir and the runtime's --root), lies under one, or is a parent of one:
//     binding /var/log (or /var/log/oci-harden) hands over the audit trail (a log collector
//     binds /var/log/containers or /var/log/pods, which stay allowed), binding /var/run hands over
//     /run/docker.sock as surely as binding the socket does. "/" counts only as itself and as a
//     parent, or every path would lie under it. A "*" component matches one component
//     (/run/user/*/docker.sock);
//   - a file (not a directory) with more than one hard link, unless its true path is on the
//     allowed lists: its other names cannot be judged (a link of /etc/shadow at /srv/x);
//   - a directory off the allowed lists that holds a socket on which an engine listens: bound
//     under it (its name from sock_diag, resolved to a true path), or with names on the
//     directory's filesystem that cannot be seen (a hard link of it, a renamed socket file);
//   - with rbind, a mount below the source whose true path is refused by the same rules;
//   - with "binds": "allowed-only", any source whose true path is not on the allowed lists;
//   - a bind whose destination is an engine socket path, whatever its source: the destination
//     shows the intent (a proxied socket has an innocent-looking source);
//   - a mount with the option "remount" (runc remounts what is already at the destination: an
//     earlier read-only bind made writable) or "idmap"/"ridmap" (crun: an idmapped bind of a
//     host directory, where the container's root writes files owned by host uid 0);
//   - a mount that is not a bind, of a type outside allowed_mount_types: ext4 of /dev/vda mounts
//     the host's disk, overlay with lowerdir=/etc exposes the host's /etc;
//   - a root filesystem that is "/", a sensitive path or a parent of one, or lies under /proc,
//     /sys or /dev (/proc/1/root resolves to /). Engines keep roots under their data
//     directories (/var/lib/docker/overlay2/<id>/merged), which stay allowed.
// Allowed: true paths matching allowed_paths (the engines' per-container files, named volumes,
// kubelet pod volumes; a "{id}" component matches only this container's id from the command
// line, so another container's directory is not an engine file), unless they are a parent of a
// sensitive path; true paths equal to or under allowed_readonly_paths when the bind is
// read-only (an entry may hold shell globs within a component, as CDI's driver libraries need:
// /usr/lib/x86_64-linux-gnu/libnvidia-*.so.*; matched on the canonical true path). An allowance is judged on the true path, never on the spelling: a named volume that
// shows "/" is not a named volume's directory.
//
// Sensitive, allowed and read-only paths are canonicalised the same way as sources, and a
// literal sensitive path that is itself a bind (a data root bound from /data/docker) is also
// judged by its true path, so both sides of every comparison are spelled alike. The host is
// asked (identities, mountinfo) only when the spec has a bind, once per path per process.
//
// A bind that passes has its source rewritten to the canonical path judged (relative ones made
// absolute), so a symlink flipped between judgement and runc's mount changes nothing.
//
// Limits, stated plainly: the host is read now and runc resolves the source again when it mounts
// it (a directory on the canonical path renamed or replaced by its owner in between could name
// another file); a socket's listeners are
// seen in oci-harden's network namespace only (sock_diag), where the engines that call it live;
// a HOST symlink whose target goes through /proc/self/cwd is resolved from oci-harden's working
// directory, not runc's (only the words of the spec are checked for /proc/<pid|self>); and any
// directory named "proc" with a numeric child is refused as if it were one.

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/lexical_path.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

using Parts = std::vector<std::string>;

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

// A path pattern: canonical literal components, "*" (one component) or "{id}" (this container's
// id). A literal one (no wildcard) names one file, whose device and inode can be compared.
struct Pattern {
  Parts parts;
  std::string text;  // as the policy wrote it, for messages
  bool literal = true;
};

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "/proc/<x>" when the path goes through a process's /proc directory, else "". Components as
// written, ".." kept: "/proc/self/cwd/../../etc" goes through /proc/self even though its
// lexical form (/proc/etc) does not.
std::string proc_traversal(const std::string& path) {
  Parts parts = written_parts(path);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& next = parts[i + 1];
    if (parts[i] == "proc" && (next == "self" || next == "thread-self" || all_digits(next))) {
      return "/proc/" + next;
    }
  }
  return "";
}

std::string exe_name(std::string exe) {
  const std::string deleted = " (deleted)";  // the binary was replaced while it runs
  if (exe.size() > deleted.size() && exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) == 0) {
    exe.resize(exe.size() - deleted.size());
  }
  return base_name(exe);
}

// "ext4 /dev/vda": what a filesystem is, for messages.
std::string filesystem_of(const PathIdentity& id) {
  if (id.fstype.empty()) return "unknown filesystem";
  return id.fstype + (id.fs_source.empty() || id.fs_source == id.fstype ? "" : " " + id.fs_source);
}

class MountJudge {
 public:
  explicit MountJudge(RuleContext& ctx) : ctx_(ctx) {
    const Policy& policy = ctx.policy();
    for (const auto& s : policy.sensitive_paths) add_pattern(&sensitive_, s);
    for (const auto& s : policy.engine_sockets) {
      add_pattern(&sockets_, s);
      add_pattern(&sensitive_, s);  // a socket source is refused even if the list forgot it
    }
    // The runtimes' own state: oci-harden's idmapped roots, the runtime's --root.
    if (!policy.state_dir.empty()) add_pattern(&sensitive_, policy.state_dir);
    if (!ctx.invocation().runtime_root.empty()) add_pattern(&sensitive_, ctx.invocation().runtime_root);
    // The directories of the programs that run as host root for every container: the runtime
    // oci-harden execs and its hook. A container that could write them runs code in the next.
    for (const std::string& bin : {policy.runtime, policy.hook_path}) {
      std::string dir = dir_name(bin);
      if (dir != "." && dir != "/") add_pattern(&sensitive_, dir);
    }
    // The audit log: a container that can write it, or its directory (where it can be replaced
    // by rename), rewrites the record of what it did. As a sensitive path the file makes its
    // directory and every parent (/var/log, /var) refused as parents, while its siblings
    // (/var/log/containers, /var/log/pods, a test's volumes beside it) stay bindable.
    if (!policy.audit_log.empty() && policy.audit_log[0] == '/') add_pattern(&sensitive_, policy.audit_log);
    // Learn mode's recordings (issue 15): a container that could write them widens the profile
    // `profile learn` makes for another workload (the breaker's find), or, by a symlink in
    // place of a workload's directory, has the recorder write as root where it points.
    if (!policy.learn.dir.empty() && policy.learn.dir[0] == '/') add_pattern(&sensitive_, policy.learn.dir);
    for (const auto& p : policy.allowed_paths) allowed_.push_back(canonical_pattern(p).parts);
    for (const auto& p : policy.allowed_readonly_paths) readonly_.push_back(canonical_glob(p));
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

  // The path as runc will read it: relative ones from the bundle.
  std::string as_runc_sees(const std::string& path) const {
    return !path.empty() && path[0] == '/' ? path : ctx_.invocation().bundle + "/" + path;
  }

  bool socket(const std::string& canon) const { return any_covers(sockets_, canon); }

  // Why binding `canon` exposes the host, or "" when it does not.
  std::string danger(const std::string& canon) const {
    identify_host();
    if (socket(canon)) return "the engine socket gives full control of the host";
    std::vector<std::string> below = sensitive_below(canon);
    if (canon == "/" && (sensitive(canon) || !below.empty())) {
      return "a parent of sensitive host paths";
    }
    if (sensitive(canon)) return "a sensitive host path";
    Parts parts = lexical_parts(canon);
    for (const auto& s : sensitive_) {
      if (!s.parts.empty() && parts.size() > s.parts.size() && matches(s.parts, parts)) {
        return "under sensitive host path " + s.text;
      }
    }
    if (below.size() == 1) return "a parent of sensitive host path " + below[0];
    if (!below.empty()) return "a parent of sensitive host paths (" + list_some(below, 3) + ")";
    return "";
  }

  // Sensitive paths strictly under `canon` ("/" itself never counts: it is under nothing).
  std::vector<std::string> sensitive_below(const std::string& canon) const {
    Parts parts = lexical_parts(canon);
    std::vector<std::string> out;
    for (const auto& s : sensitive_) {
      if (s.parts.size() > parts.size() && prefix_of(parts, s.parts)) add_unique(&out, s.text);
    }
    return out;
  }

  bool allowed_path(const std::string& canon) const {
    identify_host();
    Parts parts = lexical_parts(canon);
    return std::any_of(allowed_.begin(), allowed_.end(),
                       [&](const Parts& pattern) { return matches(pattern, parts); });
  }

  bool readonly_path(const std::string& canon) const {
    identify_host();
    // Each pattern is cut into components once (issue 14.1), not once per source judged.
    if (readonly_parts_.size() != readonly_.size()) {
      readonly_parts_.clear();
      for (const std::string& r : readonly_) readonly_parts_.push_back(lexical_parts(r));
    }
    const Parts path = lexical_parts(canon);
    return std::any_of(readonly_parts_.begin(), readonly_parts_.end(),
                       [&](const Parts& p) { return glob_covers(p, path); });
  }

  bool pseudo_filesystem(const std::string& canon) const {
    return std::any_of(pseudo_.begin(), pseudo_.end(),
                       [&](const std::string& p) { return same_or_under(p, canon); });
  }

  bool sensitive(const std::string& canon) const {
    Parts parts = lexical_parts(canon);
    return std::any_of(sensitive_.begin(), sensitive_.end(), [&](const Pattern& s) {
      return s.parts.size() == parts.size() && matches(s.parts, parts);
    });
  }

  bool socket_destination(const std::string& dest) const {
    std::string key = socket_key(dest);
    return std::any_of(ctx_.policy().engine_sockets.begin(), ctx_.policy().engine_sockets.end(),
                       [&](const std::string& s) { return socket_key(s) == key; });
  }

  // The sensitive path that is the very file `id` is (device and inode), or "". The literal
  // sensitive paths are identified on first use, so a spec without binds asks the host nothing.
  // `truth` was judged by path already: a sensitive path spelled as itself is not repeated here.
  std::string same_file_as_sensitive(const PathIdentity& id, const std::string& truth) const {
    identify_host();
    for (const auto& [text, sid] : sensitive_ids_) {
      if (sid.same_file(id) && sid.true_path != truth) return text;
    }
    return "";
  }

  bool refused_fstype(const std::string& fstype) const {
    const auto& types = ctx_.policy().refused_source_fstypes;
    return std::find(types.begin(), types.end(), fstype) != types.end();
  }

  // The engine binary listening on the socket `id`, or "".
  std::string engine_listener(const PathIdentity& id) const {
    return engine_of(ctx_.host().socket_listeners(id.dev, id.ino));
  }

  // An engine's listening socket the directory `truth` (on device `dev`) holds, described, or
  // "": one bound at a path under it (its name resolved to a true path), or one whose file has
  // names that cannot be seen on the directory's filesystem (a hard link of it, or a socket
  // renamed since it was bound). The host's listeners are read once, on the first such source.
  std::string engine_socket_below(const std::string& truth, dev_t dev) const {
    for (const UnixListener& l : ctx_.host().unix_listeners()) {
      std::string exe = engine_of(l.exes);
      if (exe.empty()) continue;
      std::string named = " (on which " + exe + " listens, engine_binaries)";
      std::optional<PathIdentity> id;
      std::string canon;
      if (!l.path.empty() && l.path[0] == '/') {
        canon = ctx_.host().canonical_path(lexical(l.path));
        id = ctx_.host().path_identity(canon);
      }
      bool current = id && id->dev == l.dev && id->ino == l.ino;
      if (current && (same_or_under(truth, id->true_path) || same_or_under(truth, canon))) {
        return "the socket " + shown(l.path, id->true_path) + named;
      }
      if (l.dev != dev) continue;  // a hard link lives on its file's own filesystem
      if (!current) return "perhaps the socket bound as " + l.path + named + ", whose file is no longer there";
      if (id->nlink > 1) {
        return "perhaps a hard link of the socket " + l.path + named + ": it has " +
               std::to_string(id->nlink) + " names on this filesystem";
      }
    }
    return "";
  }

 private:
  std::string engine_of(const std::vector<std::string>& exes) const {
    const auto& engines = ctx_.policy().engine_binaries;
    for (const std::string& exe : exes) {
      if (std::find(engines.begin(), engines.end(), exe_name(exe)) != engines.end()) return exe;
    }
    return "";
  }

  static void add_unique(std::vector<std::string>* list, std::string s) {
    if (std::find(list->begin(), list->end(), s) == list->end()) list->push_back(std::move(s));
  }

  // The pattern covers the path: equal to it or above it ("*" and "{id}" as one component).
  bool any_covers(const std::vector<Pattern>& patterns, const std::string& canon) const {
    Parts parts = lexical_parts(canon);
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const Pattern& p) { return matches(p.parts, parts); });
  }

  // One pattern component against one path component: "*" matches any, "{id}" only this
  // container's id (and nothing when the id is unknown).
  bool component_matches(const std::string& p, const std::string& c) const {
    if (p == "*") return true;
    if (p == "{id}") return !ctx_.invocation().container_id.empty() && c == ctx_.invocation().container_id;
    return p == c;
  }

  // The path equals the pattern or lies under it.
  bool matches(const Parts& pattern, const Parts& path) const {
    if (path.size() < pattern.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (!component_matches(pattern[i], path[i])) return false;
    }
    return true;
  }

  // The path's components are the pattern's first ones (the path is a parent of, or equal to,
  // a path the pattern matches).
  bool prefix_of(const Parts& path, const Parts& pattern) const {
    if (path.size() > pattern.size()) return false;
    for (size_t i = 0; i < path.size(); ++i) {
      if (!component_matches(pattern[i], path[i])) return false;
    }
    return true;
  }

  // GPUs and CDI (issue 17.2): allowed_readonly_paths may hold shell globs ("*", "?", "[...]")
  // inside a component, matched one component at a time (fnmatch, no "/" crossed, a leading "."
  // only by a "." in the pattern) against the canonical true path, so a glob is never reached
  // through a symlink or ".." (both are gone from the path judged). The literal prefix, up to the
  // first component with a glob, is canonicalised as the sources are.
  static bool has_glob(const std::string& component) {
    return component.find_first_of("*?[") != std::string::npos;
  }
  std::string canonical_glob(const std::string& text) const {
    Parts parts = lexical_parts(text);
    auto glob = std::find_if(parts.begin(), parts.end(), has_glob);
    Parts out = lexical_parts(canonical_abs(join_parts(Parts(parts.begin(), glob))));
    out.insert(out.end(), glob, parts.end());
    return join_parts(out);
  }
  // The canonical path equals a path the pattern matches or lies under one.
  static bool glob_covers(const Parts& pat, const Parts& path) {
    if (path.size() < pat.size()) return false;
    for (size_t i = 0; i < pat.size(); ++i) {
      bool ok = has_glob(pat[i]) ? ::fnmatch(pat[i].c_str(), path[i].c_str(), FNM_PERIOD) == 0
                                 : pat[i] == path[i];
      if (!ok) return false;
    }
    return true;
  }

  std::string canonical_abs(const std::string& path) const {
    return ctx_.host().canonical_path(lexical(path));
  }

  // The literal prefix of a pattern (up to its first wildcard) is canonicalised like the sources
  // it is compared with, so a data root behind a symlink (/var/lib/docker -> /data/docker) still
  // matches.
  Pattern canonical_pattern(const std::string& text) const {
    Parts parts = lexical_parts(text);
    auto star = std::find_if(parts.begin(), parts.end(),
                             [](const std::string& p) { return p == "*" || p == "{id}"; });
    Pattern out;
    out.text = text;
    out.literal = star == parts.end();
    out.parts = lexical_parts(canonical_abs(join_parts(Parts(parts.begin(), star))));
    out.parts.insert(out.parts.end(), star, parts.end());
    return out;
  }

  void add_pattern(std::vector<Pattern>* list, const std::string& text) {
    Pattern p = canonical_pattern(text);
    bool seen = std::any_of(list->begin(), list->end(), [&](const Pattern& q) { return q.parts == p.parts; });
    if (!seen) list->push_back(std::move(p));
  }

  // The true path of a pattern's literal prefix, or "" when it is its own (or cannot be opened).
  // `id` (when given) receives the identity of the literal prefix.
  std::string true_prefix(const Parts& parts, size_t* literal_len,
                          std::optional<PathIdentity>* id_out = nullptr) const {
    auto star = std::find_if(parts.begin(), parts.end(),
                             [](const std::string& p) { return p == "*" || p == "{id}"; });
    *literal_len = static_cast<size_t>(star - parts.begin());
    std::string canon = join_parts(Parts(parts.begin(), star));
    std::optional<PathIdentity> id = ctx_.host().path_identity(canon);
    std::string truth = id && id->true_path != canon ? id->true_path : "";
    if (id_out != nullptr) *id_out = std::move(id);
    return truth;
  }

  // Asked of the host once, on the first bind: the literal sensitive paths' (device, inode); and
  // every sensitive, allowed and read-only path whose literal prefix is itself a bind (a data
  // root bound from /data/docker) also stands under its true path, so that both sides of a
  // comparison of true paths are spelled alike.
  void identify_host() const {
    if (identified_) return;
    identified_ = true;
    std::vector<Pattern> extra;
    for (const Pattern& s : sensitive_) {
      size_t n = 0;
      std::optional<PathIdentity> id;
      std::string truth = true_prefix(s.parts, &n, &id);
      if (s.literal && id) sensitive_ids_.emplace_back(s.text, std::move(*id));
      if (truth.empty()) continue;
      Parts parts = lexical_parts(truth);
      parts.insert(parts.end(), s.parts.begin() + static_cast<std::ptrdiff_t>(n), s.parts.end());
      extra.push_back(Pattern{parts, s.text + " (" + join_parts(parts) + ")", s.literal});
    }
    sensitive_.insert(sensitive_.end(), extra.begin(), extra.end());
    std::vector<Parts> more;
    for (const Parts& a : allowed_) {
      size_t n = 0;
      std::string truth = true_prefix(a, &n);
      if (truth.empty()) continue;
      Parts parts = lexical_parts(truth);
      parts.insert(parts.end(), a.begin() + static_cast<std::ptrdiff_t>(n), a.end());
      more.push_back(parts);
    }
    allowed_.insert(allowed_.end(), more.begin(), more.end());
    std::vector<std::string> ro;
    for (const std::string& r : readonly_) {
      Parts parts = lexical_parts(r);
      auto glob = std::find_if(parts.begin(), parts.end(), has_glob);
      std::string prefix = join_parts(Parts(parts.begin(), glob));
      std::optional<PathIdentity> id = ctx_.host().path_identity(prefix);
      if (!id || id->true_path == prefix) continue;
      Parts truth = lexical_parts(id->true_path);
      truth.insert(truth.end(), glob, parts.end());
      ro.push_back(join_parts(truth));
    }
    readonly_.insert(readonly_.end(), ro.begin(), ro.end());
  }

  RuleContext& ctx_;
  mutable std::vector<Pattern> sensitive_;     // canonical, engine sockets and state included
  std::vector<Pattern> sockets_;               // canonical
  mutable std::vector<Parts> allowed_;         // canonical patterns
  mutable std::vector<std::string> readonly_;  // canonical
  mutable std::vector<Parts> readonly_parts_;  // readonly_, each cut into components
  std::vector<std::string> pseudo_;         // /proc, /sys, /dev, canonical
  mutable bool identified_ = false;
  mutable std::vector<std::pair<std::string, PathIdentity>> sensitive_ids_;
};

// What the judge needs of one bind, and how to word a refusal of it.
struct BindView {
  std::string source, dest, where;
  bool readonly = false;
  bool recursive = false;
};

// "<source> is mounted at <dest> (mounts[i])" for a source that is its own true path; the true
// path and filesystem for one that is not.
std::string described(const BindView& b, const std::string& canon, const std::string& truth,
                      const std::optional<PathIdentity>& id) {
  if (truth == canon || !id) {
    return shown(b.source, canon) + " is mounted at " + b.dest + " (" + b.where + ")";
  }
  return b.where + " source " + b.source + " is a bind of the host's " + truth + " (" +
         filesystem_of(*id) + "), mounted at " + b.dest;
}

// Judges one true path against the sensitive and allowed lists; returns the refusal or "".
std::string judge_truth(const MountJudge& judge, const BindView& b, const std::string& truth,
                        const std::string& what) {
  auto read_write = [&] {
    std::string w = what;
    size_t at = w.find(" is mounted at ");
    if (at != std::string::npos) w.replace(at, 15, " is mounted read-write at ");
    return w;
  };
  std::string why = judge.danger(truth);
  // Why this is safe: an allowance never covers an engine socket, nor a source with a sensitive
  // path below it, so no pattern (however broad) admits /var or /run; it only admits paths that
  // are themselves inside an engine's tree, like /var/lib/docker/containers/<this id>. And it is
  // judged on the true path: a volume that shows "/" is "/".
  bool never = judge.socket(truth) || !judge.sensitive_below(truth).empty();
  bool allowed = !never && judge.allowed_path(truth);
  bool readonly_ok = !never && judge.readonly_path(truth);
  if (!why.empty()) {
    if (allowed) return "";
    if (readonly_ok) {
      if (b.readonly) return "";
      return read_write() + ": the policy allows it only read-only (:ro)";
    }
    return what + ": " + why;
  }
  return "";
}

std::string judge_allowed_only(const MountJudge& judge, const BindView& b, const std::string& truth,
                               const std::string& what) {
  if (judge.allowed_path(truth) || (b.readonly && judge.readonly_path(truth))) return "";
  return what + ": only the allowed lists may be bound (binds: allowed-only; allowed_paths, " +
         (judge.readonly_path(truth) ? "and read-only allowed_readonly_paths)" : "allowed_readonly_paths)");
}

// A file (not a directory: those cannot be hard-linked) with more than one name is refused
// unless its true path is on the allowed lists: its other names (a link of /etc/shadow made by
// a backup tool) cannot be judged, and the kernel binds the inode they share. Zoneinfo files,
// often hard-linked, pass as /etc/localtime's target (allowed_readonly_paths, read-only);
// engines' per-container files have one name.
std::string judge_hard_links(const MountJudge& judge, const BindView& b, const PathIdentity& id,
                             const std::string& truth, const std::string& what) {
  if (id.type == S_IFDIR || id.nlink <= 1) return "";
  if (judge.allowed_path(truth) || (b.readonly && judge.readonly_path(truth))) return "";
  return what + ": it is a file with " + std::to_string(id.nlink) +
         " hard links, whose other names cannot be judged (only files on the allowed lists may "
         "have more than one)";
}

// A directory off the allowed lists that holds an engine's listening socket hands over the
// engine as the socket itself does (a --exec-root of its own, a hard link of docker.sock put
// there by a docker-group user). Engines' own binds are on the allowed lists and cost nothing.
std::string judge_engine_socket_below(const MountJudge& judge, const PathIdentity& id,
                                      const std::string& truth, const std::string& what) {
  if (id.type != S_IFDIR || judge.allowed_path(truth)) return "";
  std::string sock = judge.engine_socket_below(truth, id.dev);
  if (sock.empty()) return "";
  return what + ": it holds " + sock + "; the engine socket gives full control of the host";
}

// Returns the refusal of one canonical spelling of a bind source, or "".
std::string judge_canonical(const RuleContext& ctx, const MountJudge& judge, const BindView& b,
                            const std::string& canon, const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (root != "/" && same_or_under(root, canon)) {
      return shown(b.source, canon) + " is mounted at " + b.dest + " (" + b.where +
             "): it lies inside the container's own root filesystem (" + root +
             "), which runc fills (/proc first) before it binds";
    }
  }
  std::optional<PathIdentity> id = ctx.host().path_identity(canon);
  std::string truth = id ? id->true_path : canon;
  std::string what = described(b, canon, truth, id);
  if (id) {
    if (judge.refused_fstype(id->fstype)) {
      return what + ": it is on a " + filesystem_of(*id) +
             " filesystem, which exposes the host's kernel (refused_source_fstypes)";
    }
    if (id->type == S_IFSOCK) {
      std::string exe = judge.engine_listener(*id);
      if (!exe.empty()) {
        return what + ": it is a socket on which " + exe +
               " listens (engine_binaries); the engine socket gives full control of the host";
      }
    }
  }
  std::string r = judge_truth(judge, b, truth, what);
  if (!r.empty()) return r;
  if (id) {
    std::string same = judge.same_file_as_sensitive(*id, truth);
    // Why this is safe: no allowed path is itself a sensitive path, so the very file of one is
    // never an engine file (a hard link of /run/docker.sock is the socket).
    if (!same.empty()) return what + ": it is the same file as sensitive host path " + same;
    r = judge_hard_links(judge, b, *id, truth, what);
    if (!r.empty()) return r;
    r = judge_engine_socket_below(judge, *id, truth, what);
    if (!r.empty()) return r;
  }
  if (ctx.policy().binds == Binds::kAllowedOnly) {
    r = judge_allowed_only(judge, b, truth, what);
    if (!r.empty()) return r;
  }
  if (!b.recursive || !id) return "";
  // An rbind carries the mounts below the source along: each is judged by what it shows.
  for (const PathIdentity& sub : ctx.host().submount_identities(canon)) {
    std::string sub_what = what + ", carrying the mount at " + sub.mount_point + " (" +
                           (sub.true_path == sub.mount_point ? "" : "the host's " + sub.true_path + ", ") +
                           filesystem_of(sub) + ")";
    if (judge.refused_fstype(sub.fstype)) {
      return sub_what + ": a " + sub.fstype +
             " filesystem exposes the host's kernel (refused_source_fstypes)";
    }
    r = judge_truth(judge, b, sub.true_path, sub_what);
    if (!r.empty()) return r;
    r = judge_engine_socket_below(judge, sub, sub.true_path, sub_what);
    if (!r.empty()) return r;
  }
  return "";
}

// Returns whether the source was refused.
bool judge_bind_source(RuleContext& ctx, const MountJudge& judge, const Json& mount,
                       const std::string& where, const std::vector<std::string>& roots) {
  BindView b;
  b.source = string_field(&mount, "source").value_or("");
  b.dest = string_field(&mount, "destination").value_or("");
  b.where = where;
  b.readonly = bind_is_readonly(mount);
  for (const std::string& o : string_items(field(&mount, "options"))) {
    if (o == "rbind") b.recursive = true;
  }
  std::string via = proc_traversal(judge.as_runc_sees(b.source));
  if (!via.empty()) {
    ctx.refuse(where + ".source", "sensitive-source", b.source + " is mounted at " + b.dest + " (" + where + "): it goes through " + via +
               ", which runc resolves in its own process when it mounts (/proc/self/cwd is the "
               "bundle, <root>/proc/1/root the host's /)");
    return true;
  }
  for (const std::string& canon : judge.resolve(b.source)) {
    std::string refusal = judge_canonical(ctx, judge, b, canon, roots);
    if (refusal.empty()) continue;
    ctx.refuse(where + ".source", "sensitive-source", refusal);
    return true;
  }
  return false;
}

// A bind that passed gets the source that was judged: runc resolves the spelling again when it
// mounts, and a symlink on it flipped in between (to /etc) would bind what was never judged. A
// relative source is judged from the bundle and written absolute, from the bundle's physical
// path (where runc's chdir lands). Why this is safe: the canonical path has no symlink left to
// flip; only a directory on it renamed by its owner could still change what it names.
void pin_bind_source(RuleContext& ctx, const MountJudge& judge, Json& mount, const std::string& where) {
  std::optional<std::string> source = string_field(&mount, "source");
  if (!source || source->empty()) return;
  std::vector<std::string> canons = judge.resolve(*source);
  if (canons.empty() || canons.back() == *source) return;
  ctx.set(mount, "source", Json::string(canons.back()), where + ".source");
}

void judge_bind(RuleContext& ctx, const MountJudge& judge, Json& mount,
                const std::string& where, const std::vector<std::string>& roots) {
  if (judge_bind_source(ctx, judge, mount, where, roots)) return;
  std::string dest = string_field(&mount, "destination").value_or("");
  if (judge.socket_destination(dest)) {
    std::string source = string_field(&mount, "source").value_or("");
    ctx.refuse(where + ".destination", "engine-socket-destination", source + " is mounted at " + dest + " (" + where +
               "): that is an engine socket's path, and binds there are refused whatever their "
               "source");
    return;
  }
  pin_bind_source(ctx, judge, mount, where);
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
  ctx.refuse(where + ".type", "mount-type", what + (source.empty() ? "" : " (source " + source + ")") + " is mounted at " +
             string_field(&mount, "destination").value_or("") + " (" + where +
             "): the policy allows bind mounts and " +
             list_some(shown_types, shown_types.size()) + " (allowed_mount_types)");
}

// Why a root filesystem at `canon` would be the host's own files, or "".
std::string root_danger(const MountJudge& judge, const std::string& canon) {
  std::vector<std::string> below = judge.sensitive_below(canon);
  if (canon == "/") return "the host's root directory";
  if (judge.pseudo_filesystem(canon)) return "inside /proc, /sys or /dev";
  if (judge.sensitive(canon)) return "a sensitive host path";
  if (!below.empty()) return "a parent of sensitive host paths (" + list_some(below, 3) + ")";
  return "";
}

// The root is judged by its spelling, then by what it is: a directory that is a bind of "/" (or
// a procfs) is the host's root (or its /proc) whatever it is called.
void judge_root(RuleContext& ctx, const MountJudge& judge) {
  std::optional<std::string> path = string_field(field(&ctx.spec(), "root"), "path");
  if (!path) return;
  for (const std::string& canon : judge.resolve(*path)) {
    std::string why = root_danger(judge, canon);
    if (why.empty()) {
      std::optional<PathIdentity> id = ctx.host().path_identity(canon);
      if (id && judge.refused_fstype(id->fstype)) {
        why = "on a " + filesystem_of(*id) + " filesystem (refused_source_fstypes)";
      } else if (id && id->true_path != canon) {
        std::string truth_why = root_danger(judge, id->true_path);
        if (!truth_why.empty()) {
          why = "a bind of the host's " + id->true_path + " (" + filesystem_of(*id) + "), " + truth_why;
        }
      }
    }
    if (why.empty()) continue;
    ctx.refuse("root.path", "host-root", "root.path " + shown(*path, canon) + " is " + why +
               ": the container would run on the host's own files");
    return;
  }
}

// Mount options that change what a mount does to the host, whatever its source:
//   - "remount" makes runc 1.1.5 mount with MS_REMOUNT: the entry changes the flags of the mount
//     already at its destination instead of making one, so a later {"options": ["bind",
//     "remount", "rw"]} turns an earlier read-only bind (an allowed_readonly_paths source, a :ro
//     volume, the engine's /etc/hosts) writable. runc matches options exactly.
//   - "idmap" and "ridmap" (crun 1.8, with or without "=uids=...;gids=..."): an idmapped bind of
//     a host directory, through which what the container's mapped root writes is owned by host
//     uid 0 on disk, a setuid-root file included (user-namespace idmaps only a root filesystem no
//     host user can reach; a bind source is anyone's directory).
// No engine writes any of them. Returns whether the mount was refused.
bool judge_mount_options(RuleContext& ctx, const Json& mount, const std::string& where) {
  std::string dest = string_field(&mount, "destination").value_or("");
  for (const std::string& o : string_items(field(&mount, "options"))) {
    std::string name = o.substr(0, o.find('='));
    if (o == "remount") {
      ctx.refuse(where + ".options", "mount-option", where + ".options has \"remount\" (destination " + dest +
                 "): it would change the flags of the mount already there, making a read-only "
                 "mount writable");
      return true;
    }
    if (name == "idmap" || name == "ridmap") {
      ctx.refuse(where + ".options", "mount-option", where + ".options has \"" + o + "\" (destination " + dest +
                 "): an idmapped bind of a host directory lets the container's root write files "
                 "owned by host uid 0 there (a setuid-root binary included)");
      return true;
    }
  }
  return false;
}

}  // namespace

void rule_sensitive_mounts(RuleContext& ctx) {
  MountJudge judge(ctx);
  judge_root(ctx, judge);
  Json* mounts = field(&ctx.spec(), "mounts");
  if (mounts == nullptr) return;
  std::optional<std::string> root_path = string_field(field(&ctx.spec(), "root"), "path");
  std::vector<std::string> roots;
  if (root_path) roots = judge.resolve(*root_path);
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    Json& mount = mounts->items()[i];
    if (!mount.is_object()) continue;  // null decodes to an empty mount, which runc rejects
    std::string where = json_path_index("mounts", i);
    if (judge_mount_options(ctx, mount, where)) continue;
    // A spec hardened before (runc run after delete in the same bundle): the bind of /sys that
    // user-namespace made is its sysfs, not a bind of a sensitive host path asked for.
    if (is_user_namespace_sysfs_standin(ctx.spec(), mount)) continue;
    if (is_bind_mount(mount)) {
      judge_bind(ctx, judge, mount, where, roots);
    } else {
      judge_other_mount(ctx, mount, where);
    }
  }
}

}  // namespace oci_harden
