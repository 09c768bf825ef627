// Rootless engines: who oci-harden runs as, from its own uid map; the per-user audit path.

#include "shim/core/rootless.hh"

#include "shim/core/lexical_path.hh"

namespace oci_harden {

std::optional<uint32_t> outer_id(const std::vector<IdMapRange>& map, uint32_t id) {
  for (const IdMapRange& r : map) {
    if (id >= r.container && id - r.container < r.size) return r.host + (id - r.container);
  }
  return std::nullopt;
}

std::optional<uint32_t> inner_id(const std::vector<IdMapRange>& map, uint32_t host) {
  for (const IdMapRange& r : map) {
    if (host >= r.host && host - r.host < r.size) return r.container + (host - r.host);
  }
  return std::nullopt;
}

bool maps_host_root(const std::vector<IdMapRange>& map) { return inner_id(map, 0).has_value(); }

std::optional<uint32_t> host_uid_of(const ProcessIdentity& who) { return outer_id(who.uid_map, who.euid); }

bool is_rootless(const ProcessIdentity& who) {
  std::optional<uint32_t> uid = host_uid_of(who);
  return !uid || *uid != 0;
}

OwnerIs judge_owner(uint32_t st_uid, const ProcessIdentity& who) {
  if (std::optional<uint32_t> root = inner_id(who.uid_map, 0)) {
    return st_uid == *root ? OwnerIs::kHostRoot : OwnerIs::kOther;
  }
  return st_uid == who.overflow_uid ? OwnerIs::kUnmapped : OwnerIs::kOther;
}

namespace {

bool replace_prefix(std::string* s, const std::string& prefix, const std::string& with) {
  if (s->compare(0, prefix.size(), prefix) != 0) return false;
  if (s->size() > prefix.size() && (*s)[prefix.size()] != '/') return false;  // $HOMEX is not $HOME
  *s = with + s->substr(prefix.size());
  return true;
}

}  // namespace

Result<std::string> expand_user_path(const std::string& pattern, const UserDirs& dirs) {
  const bool home_ok = !dirs.home.empty() && dirs.home[0] == '/';
  const std::string state = !dirs.xdg_state_home.empty() && dirs.xdg_state_home[0] == '/'
                                ? dirs.xdg_state_home
                                : (home_ok ? dirs.home + "/.local/state" : "");
  std::string out = pattern;
  bool needs_home = out == "~" || out.rfind("~/", 0) == 0 || out.rfind("$HOME", 0) == 0;
  bool needs_state = out.rfind("$XDG_STATE_HOME", 0) == 0;
  if ((needs_home && !home_ok) || (needs_state && state.empty())) {
    return make_error(ErrorCode::kAudit, "rootless.audit_log: \"" + pattern +
                                             "\" names the home directory, and there is none ($HOME "
                                             "unset and no passwd entry for the user)");
  }
  if (!(replace_prefix(&out, "~", dirs.home) || replace_prefix(&out, "$HOME", dirs.home) ||
        replace_prefix(&out, "$XDG_STATE_HOME", state))) {
    out = pattern;
  }
  if (out.empty() || out[0] != '/') {
    return make_error(ErrorCode::kAudit, "rootless.audit_log: \"" + pattern + "\" is not an absolute path");
  }
  for (const std::string& part : written_parts(out)) {
    if (part == "..") {
      return make_error(ErrorCode::kAudit, "rootless.audit_log: \"" + out + R"(" has a ".." component)");
    }
  }
  return lexical(out);
}

}  // namespace oci_harden
