// Rule "user-namespace" (CIS 5.30; cheat-sheet practice 6): container root is never host root.
//   - A spec with a new user namespace and mappings (Docker "userns-remap", Podman
//     --userns=auto, Kubernetes hostUsers: false) keeps them; a mapping range that reaches host
//     uid or gid 0 is refused. A user namespace joined by path is judged by its real maps (read
//     from the kernel; the spec's are replaced by them) in the same way; whether it is the
//     host's own is host-namespaces' to judge.
//   - Otherwise one is added, mapping container 0 to the policy's uid/gid for `size` ids, where
//     the mapped root can use the root filesystem:
//       idmapped    the filesystem accepts idmapped mounts (ext4, xfs, btrfs, tmpfs) AND no
//                   unprivileged host user can reach its files (idmap_exposure: a directory
//                   above it closed to all but root, and a whole filesystem of its own mounted
//                   nowhere else): root.path becomes <state_dir>/<id>/rootfs, an idmapped bind
//                   of the original that the caller mounts (HostAction kIdmapRootfs). Files
//                   keep their owners as seen from inside: host uid 0 reads as container root,
//                   and what container root writes is host uid 0's on disk -- hence the test.
//       searchable  every directory down to the rootfs can be searched by the mapped uid/gid
//                   (a runc bundle under /tmp): the namespace is added without shifting. The
//                   image's files stay owned by host uid 0 and read as nobody inside: programs
//                   can read and run them through the "other" bits, but container root cannot
//                   write them, and a setuid-root file in the image runs as the mapped root
//                   (no host privilege). That is the price of not shifting; it is safe.
//   - Else (Docker's overlay2 without userns-remap: layer directories are 0710 and overlayfs
//     cannot be idmapped; the process's ids outside the mapping; a pid namespace not its own)
//     user_namespace.unavailable decides: "record" leaves the spec alone (the audit record's
//     user.root_on_host, computed from the final spec, says the container runs as host root),
//     "refuse" refuses with the reason.
// When the rule adds the namespace it also adapts what a non-initial user namespace cannot do
// (each found by running real runc):
//   - searchable case: the mountpoints of non-bind mounts (proc, sysfs, the tmpfs that
//     readonly-rootfs adds) are created in the original rootfs by the caller as host root
//     (HostAction kMkdirInRootfs); runc, as the mapped root, gets EACCES there;
//   - net.ipv4.ping_group_range is clamped to the mapped gids (Docker sets "0 2147483647"; the
//     kernel rejects gids outside the mapping with EINVAL);
//   - namespaces joined by path (a CNI netns, a pod sandbox's) or absent (the host's) belong to
//     another user namespace: sysfs becomes a read-only rbind of /sys, mqueue mounts are
//     dropped, hostname and domainname are left to the joined uts namespace, and their sysctls
//     are dropped; each change is recorded.
// The original root.path is kept in the annotation org.oci-harden.rootfs, so a second run on
// the hardened spec (runc run after runc delete) asks for the idmapped mount again; apart from
// that, the hardened spec passes through unchanged.

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <charconv>
#include <sstream>

#include "shim/core/container_id.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/namespace_path.hh"
#include "shim/core/rootless.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"
#include "shim/core/state_dir.hh"

namespace oci_harden {

namespace {

constexpr char kRootfsAnnotation[] = "org.oci-harden.rootfs";

const Json* namespace_entry(const Json& spec, const std::string& type) {
  const Json* list = field_at(spec, "linux.namespaces");
  if (list == nullptr || !list->is_array()) return nullptr;
  for (const Json& ns : list->items()) {
    if (string_field(&ns, "type").value_or("") == type) return &ns;
  }
  return nullptr;
}

// Whether the container's namespace of `type` is not created by runc (absent: runc's own, the
// host's; or joined by path), so that it belongs to a user namespace other than the new one.
bool not_new(const Json& spec, const std::string& type) {
  const Json* ns = namespace_entry(spec, type);
  return ns == nullptr || !string_field(ns, "path").value_or("").empty();
}

bool has_items(const Json* array) { return array != nullptr && array->is_array() && !array->items().empty(); }

// Go decodes an absent containerID/hostID/size as 0, so absent counts as 0 here too.
struct IdRange {
  int64_t container = 0, host = 0, size = 0;
};

IdRange id_range(const Json& m) {
  return IdRange{int_field(&m, "containerID").value_or(0), int_field(&m, "hostID").value_or(0),
                 int_field(&m, "size").value_or(0)};
}

// Any range that reaches host id 0 gives some id in the container host root's identity (root
// inside can setuid to it), so not only the range of container id 0 is refused.
void refuse_host_root(RuleContext& ctx, const char* key, const char* what) {
  const Json* maps = field_at(ctx.spec(), std::string("linux.") + key);
  if (maps == nullptr || !maps->is_array()) return;
  for (size_t i = 0; i < maps->items().size(); ++i) {
    IdRange r = id_range(maps->items()[i]);
    if (r.host <= 0 && r.host + r.size > 0) {
      ctx.refuse(json_path_index(std::string("linux.") + key, i) + " maps container " + what + " " +
                 std::to_string(r.container - r.host) + " to host " + what + " 0 (host root)");
    }
  }
}

Json mapping(uint32_t host_id, uint32_t size) {
  Json m = Json::object();
  m.set("containerID", Json::integer(0));
  m.set("hostID", Json::integer(host_id));
  m.set("size", Json::integer(size));
  return Json::array({m});
}

std::string idmap_target(const RuleContext& ctx) {
  return idmapped_rootfs_path(ctx.policy().state_dir, ctx.invocation().container_id);
}

// The first process id (uid, gid, additional gid) the mapping cannot hold, as a reason.
std::string unmapped_process_id(const Json& spec, int64_t size) {
  const Json* user = field_at(spec, "process.user");
  if (user == nullptr) return "";
  int64_t uid = int_field(user, "uid").value_or(0);
  if (uid < 0 || uid >= size) return "process.user.uid " + std::to_string(uid);
  int64_t gid = int_field(user, "gid").value_or(0);
  if (gid < 0 || gid >= size) return "process.user.gid " + std::to_string(gid);
  const Json* extra = field(user, "additionalGids");
  if (extra != nullptr && extra->is_array()) {
    for (const Json& g : extra->items()) {
      int64_t v = 0;
      if (g.to_int64(&v) && (v < 0 || v >= size)) return "process.user.additionalGids " + std::to_string(v);
    }
  }
  return "";
}

void unavailable(RuleContext& ctx, const std::string& why) {
  switch (ctx.policy().userns_unavailable) {
    case UsernsUnavailable::kRecord:
      // The audit record shows root_on_host from the unchanged spec; the note says why.
      ctx.note("no user namespace added (user_namespace.unavailable is \"record\"): " + why);
      return;
    case UsernsUnavailable::kRefuse:
      ctx.refuse("no user namespace can be added: " + why +
                 "; enable the engine's user namespaces (Docker \"userns-remap\", Podman "
                 "--userns=auto, Kubernetes hostUsers: false), or set user_namespace.unavailable "
                 "to \"record\"");
      return;
  }
}

// Whether no user but root can search `d`, whatever its supplementary groups: root owns it,
// "other" has no x, and the group's x (when set) is root's group with no ACL to widen it.
// Group root is counted as root's own: a host that gives unprivileged users gid 0 gives them
// more than this. Docker's data root is 0710 root:root, containerd's and Podman's 0700 / 0711.
bool closed_to_others(const DirAccess& d) {
  if (d.uid != 0 || (d.mode & 0001) != 0) return false;
  return (d.mode & 0010) == 0 || (d.gid == 0 && !d.acl);
}

// Why an idmapped bind of `rootfs` would hand the container's root a way to make files that
// some unprivileged host user can reach as host uid 0 files ("" when it would not). Through an
// idmapped mount, container root's new files (and a setuid bit it sets) are host uid 0's on
// disk; that is safe only where
//   - some directory on the way to the rootfs, strictly above it, refuses search to every
//     user but root (the rootfs itself does not count: through the mount the container's root
//     owns it and could chmod it), and
//   - the rootfs is a whole filesystem of its own (an engine's overlay, a thin device, a
//     tmpfs), mounted nowhere else but below itself and below state_dir (our own idmapped
//     copies): then the files have no other way in than that closed path. A plain directory
//     of the host's filesystem (`ctr run --rootfs /srv/app`), or a bind of one, is some host
//     directory whose files host programs use, and is never idmapped.
// mount_at reads the mount table, so it is only asked once the directories are closed.
std::string idmap_exposure(const RuleContext& ctx, const std::string& rootfs) {
  const Host& host = ctx.host();
  std::vector<DirAccess> dirs = host.ancestors(rootfs);
  if (std::none_of(dirs.begin(), dirs.end(), closed_to_others)) {
    return "no directory on the way to it refuses search to unprivileged host users "
           "(root-owned, no o+x, no g+x but root's group's)";
  }
  std::optional<MountAt> m = host.mount_at(rootfs);
  if (!m) return "it is a directory of the host's filesystem, not a filesystem mounted for the container";
  if (m->fs_root != "/") return "it is a bind of " + m->fs_root + " (" + m->fstype + "), a host directory";
  for (const std::string& other : m->also_at) {
    if (other == rootfs || strictly_under(rootfs, other) || strictly_under(ctx.policy().state_dir, other)) continue;
    return "its filesystem (" + m->fstype + ") is also mounted at " + other;
  }
  return "";
}

// A spec we hardened before (root.path is our idmapped target, the original is in the
// annotation, the mapping is one range from 0): the mount is asked for again. The caller finds
// it already there when the container still exists.
void renew_idmapped_rootfs(RuleContext& ctx) {
  const Json& spec = ctx.spec();
  const Json* ann = map_entry(field(&spec, "annotations"), kRootfsAnnotation);
  if (ann == nullptr || !ann->is_string() || ann->text().empty() || ann->text()[0] != '/') return;
  if (!valid_container_id(ctx.invocation().container_id)) return;
  if (string_field(field(&spec, "root"), "path").value_or("") != idmap_target(ctx)) return;
  const Json* uids = field_at(spec, "linux.uidMappings");
  const Json* gids = field_at(spec, "linux.gidMappings");
  if (!has_items(uids) || !has_items(gids) || uids->items().size() != 1 || gids->items().size() != 1) return;
  IdRange u = id_range(uids->items()[0]);
  IdRange g = id_range(gids->items()[0]);
  if (u.container != 0 || g.container != 0 || u.size != g.size || u.size <= 0 || u.host <= 0 ||
      g.host <= 0 || u.host > UINT32_MAX || g.host > UINT32_MAX || u.size > UINT32_MAX) {
    return;
  }
  // The annotation is the spec author's text: the original is judged again, as on the first run.
  std::string exposure = idmap_exposure(ctx, ctx.host().canonical_path(ann->text()));
  if (!exposure.empty()) {
    ctx.refuse(std::string("annotations.") + kRootfsAnnotation + " asks for an idmapped root of " + ann->text() +
               ", which is never idmapped: " + exposure);
    return;
  }
  ctx.request(HostAction{HostAction::Kind::kIdmapRootfs, ann->text(), idmap_target(ctx),
                         static_cast<uint32_t>(u.host), static_cast<uint32_t>(g.host),
                         static_cast<uint32_t>(u.size)});
}

// What a bind's source is on the host (st_mode & S_IFMT; 0 when it cannot be seen); a relative
// source is the bundle's, as runc resolves it.
mode_t bind_source_type(const RuleContext& ctx, const Json& mount) {
  std::string source = string_field(&mount, "source").value_or("");
  if (source.empty()) return 0;
  if (source[0] != '/') source = ctx.invocation().bundle + "/" + source;
  std::optional<PathIdentity> id = ctx.host().path_identity(ctx.host().canonical_path(lexical(source)));
  return id ? id->type : 0;
}

void request_mountpoints(RuleContext& ctx, const std::string& rootfs) {
  const Json* mounts = field(&ctx.spec(), "mounts");
  if (mounts == nullptr || !mounts->is_array()) return;
  std::vector<std::string> earlier;
  std::vector<std::string> wanted;
  for (const Json& m : mounts->items()) {
    std::string dest = lexical(string_field(&m, "destination").value_or("/"));
    bool inside_mount = std::any_of(earlier.begin(), earlier.end(),
                                    [&](const std::string& d) { return same_or_under(d, dest); });
    earlier.push_back(dest);
    // A bind's mountpoint is a directory when its source is one, else an empty file, as runc
    // makes it (the engines create theirs, Docker for volumes; a hand-made bundle relies on
    // runc, which as the mapped root gets EACCES). A mountpoint inside an earlier mount is
    // created by runc in that mount.
    if (dest == "/" || inside_mount) continue;
    bool file = false;
    if (is_bind_mount(m)) {
      mode_t type = bind_source_type(ctx, m);
      if (type == 0) continue;  // runc will fail on the source anyway
      file = type != S_IFDIR;
    }
    if (std::find(wanted.begin(), wanted.end(), dest) != wanted.end()) continue;
    wanted.push_back(dest);
    HostAction mkdir{HostAction::Kind::kMkdirInRootfs, rootfs, dest, 0, 0, 0};
    mkdir.file = file;
    ctx.request(std::move(mkdir));
  }
}

std::string sysctl_name(const std::string& key) {
  std::string out = key;
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

// "LO HI": two decimal integers separated by white space, as the kernel reads the sysctl.
bool two_integers(const std::string& text, long long* lo, long long* hi) {
  std::istringstream in(text);
  std::string a, b, extra;
  if (!(in >> a >> b) || (in >> extra)) return false;
  auto whole = [](const std::string& word, long long* out) {
    const char* end = word.data() + word.size();
    auto [ptr, ec] = std::from_chars(word.data(), end, *out);
    return ec == std::errc() && ptr == end;
  };
  return whole(a, lo) && whole(b, hi);
}

void clamp_ping_group_range(RuleContext& ctx, uint32_t size) {
  Json* sysctl = field_at(ctx.spec(), "linux.sysctl");
  if (sysctl == nullptr || !sysctl->is_object()) return;
  for (auto& [key, value] : sysctl->members()) {
    if (sysctl_name(key) != "net.ipv4.ping_group_range" || !value.is_string()) continue;
    long long lo = 0, hi = 0;
    if (!two_integers(value.text(), &lo, &hi)) continue;
    long long top = static_cast<long long>(size) - 1;
    Json clamped = Json::string(std::to_string(std::clamp(lo, 0LL, top)) + " " +
                                std::to_string(std::clamp(hi, 0LL, top)));
    if (clamped == value) continue;
    ctx.record(json_path_join("linux.sysctl", key), value, clamped);
    value = std::move(clamped);
  }
}

void drop_sysctls(RuleContext& ctx, bool (*matches)(const std::string& name)) {
  Json* sysctl = field_at(ctx.spec(), "linux.sysctl");
  if (sysctl == nullptr || !sysctl->is_object()) return;
  auto& members = sysctl->members();
  for (auto it = members.begin(); it != members.end();) {
    if (!matches(sysctl_name(it->first))) {
      ++it;
      continue;
    }
    ctx.record(json_path_join("linux.sysctl", it->first), it->second, Json());
    it = members.erase(it);
  }
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// runc's own lists of the sysctls each namespace owns.
bool net_sysctl(const std::string& name) { return starts_with(name, "net."); }
bool ipc_sysctl(const std::string& name) {
  static const char* const kNames[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                       "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                       "kernel.shm_rmid_forced"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return starts_with(name, "fs.mqueue.");
}
bool uts_sysctl(const std::string& name) { return name == "kernel.hostname" || name == "kernel.domainname"; }

// Replaces (or, with an empty replacement, removes) every mount of `type`, each recorded.
void replace_mounts(RuleContext& ctx, const std::string& type, const Json& replacement) {
  Json* mounts = field(&ctx.spec(), "mounts");
  if (mounts == nullptr || !mounts->is_array()) return;
  auto& items = mounts->items();
  for (size_t i = 0; i < items.size();) {
    if (string_field(&items[i], "type").value_or("") != type) {
      ++i;
      continue;
    }
    if (replacement.is_null()) {
      ctx.record(json_path_index("mounts", i), items[i], Json());
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    Json m = replacement;
    m.set("destination", Json::string(string_field(&items[i], "destination").value_or("/")));
    ctx.record(json_path_index("mounts", i), items[i], m);
    items[i] = std::move(m);
    ++i;
  }
}

// What stands in for sysfs where the network namespace is not the container's own.
Json sysfs_standin() {
  Json bind = Json::object();
  bind.set("destination", Json::string("/sys"));
  bind.set("type", Json::string("bind"));
  bind.set("source", Json::string("/sys"));
  bind.set("options", string_array({"rbind", "nosuid", "noexec", "nodev", "ro"}));
  return bind;
}

// A namespace joined by path, or shared with the runtime by being absent, belongs to another
// user namespace (the host's, the engine's, a pod sandbox's): root in the new user namespace
// has no privilege over it. What runc would do
// there as the container's root, and fail, is adapted.
void adapt_to_joined_namespaces(RuleContext& ctx) {
  const Json& spec = ctx.spec();
  if (not_new(spec, "network")) {
    // sysfs can only be mounted by the network namespace's owner: bind the host's read-only,
    // as rootless runc does (masked paths still apply on top).
    replace_mounts(ctx, "sysfs", sysfs_standin());
    drop_sysctls(ctx, net_sysctl);
  }
  if (not_new(spec, "ipc")) {
    // mqueue can only be mounted by the ipc namespace's owner. mq_open(3) does not need the
    // mount; only listing queues does.
    replace_mounts(ctx, "mqueue", Json());
    drop_sysctls(ctx, ipc_sysctl);
  }
  if (not_new(spec, "uts")) {
    // The joined namespace already has its name (a pod's); setting it again would be refused.
    ctx.erase(ctx.spec(), "hostname", "hostname");
    ctx.erase(ctx.spec(), "domainname", "domainname");
    drop_sysctls(ctx, uts_sysctl);
  }
}

Json mappings_json(const std::vector<IdMapRange>& ranges) {
  Json out = Json::array();
  for (const IdMapRange& r : ranges) {
    Json m = Json::object();
    m.set("containerID", Json::integer(r.container));
    m.set("hostID", Json::integer(r.host));
    m.set("size", Json::integer(r.size));
    out.push_back(std::move(m));
  }
  return out;
}

// A user namespace joined by path is what its own maps say, not what the spec claims: the
// kernel uses the namespace's, and the spec's are only what runc believes (it chowns by them).
// The spec's mappings are replaced by the real ones (recorded), so that runc, crun and the audit
// record's user.root_on_host all see the truth, and a range that reaches host id 0 is refused
// as the engine's own mappings are. The host's user namespace itself is host-namespaces' to
// refuse; here it reads as the identity map and is refused too.
void judge_joined_user_namespace(RuleContext& ctx) {
  const Json* list = field_at(ctx.spec(), "linux.namespaces");
  size_t index = 0;
  for (size_t i = 0; list != nullptr && i < list->items().size(); ++i) {
    if (string_field(&list->items()[i], "type").value_or("") == "user") index = i;
  }
  // Judged at the pinned path, which the spec then names (namespace_path.hh): runc joins what
  // was judged, not what a symlink points at when it looks.
  std::optional<std::string> pinned = pin_namespace_path(ctx, index);
  if (!pinned) return;
  std::string named = "user namespace " + *pinned + " (" + json_path_index("linux.namespaces", index) + ")";
  std::optional<UserNamespaceMap> real = ctx.host().user_namespace_map(*pinned);
  if (!real) {
    ctx.refuse(named + ": its uid and gid maps cannot be read, so its root may be host root");
    return;
  }
  if (real->uid.empty() || real->gid.empty()) {
    ctx.refuse(named + " has no uid or gid map: no process can run in it");
    return;
  }
  Json& linux = ensure_object(ctx.spec(), "linux");
  ctx.set(linux, "uidMappings", mappings_json(real->uid), "linux.uidMappings");
  ctx.set(linux, "gidMappings", mappings_json(real->gid), "linux.gidMappings");
  auto judge = [&](const std::vector<IdMapRange>& ranges, const char* what) {
    for (const IdMapRange& r : ranges) {
      if (r.host == 0 && r.size > 0) {
        ctx.refuse(named + " really maps container " + what + " " + std::to_string(r.container) + " to host " +
                   what + " 0 (host root)");
      }
    }
  };
  judge(real->uid, "uid");
  judge(real->gid, "gid");
}

void add_user_namespace(RuleContext& ctx, bool has_entry) {
  Json& spec = ctx.spec();
  const Policy& policy = ctx.policy();
  std::string root = string_field(field(&spec, "root"), "path").value_or("");
  if (root.empty()) return;  // runc refuses a spec without root.path
  if (root[0] != '/') root = ctx.invocation().bundle + "/" + root;
  std::string rootfs = ctx.host().canonical_path(root);

  if (policy.userns_size == 0) return unavailable(ctx, "the policy's user_namespace.size is 0");
  std::string unmapped = unmapped_process_id(spec, policy.userns_size);
  if (!unmapped.empty()) {
    return unavailable(ctx, unmapped + " is outside the mapped range 0-" +
                                std::to_string(policy.userns_size - 1));
  }
  if (not_new(spec, "pid")) {
    // proc can only be mounted by the pid namespace's owner, and /proc cannot be done without.
    return unavailable(ctx, "the pid namespace is not the container's own (joined by path, or "
                            "the host's) and belongs to another user namespace");
  }
  // Exposure first: a few lstat calls, and it spares the probe (a clone) for plain directories.
  std::string exposure = idmap_exposure(ctx, rootfs);
  bool idmap = exposure.empty() && valid_container_id(ctx.invocation().container_id) &&
               ctx.host().supports_idmapped_mount(rootfs, policy.userns_uid, policy.userns_gid,
                                                  policy.userns_size);
  bool searchable = !idmap && ctx.host().searchable_by(rootfs, policy.userns_uid, policy.userns_gid);
  if (!exposure.empty()) {
    ctx.note("root filesystem " + rootfs + " not idmapped (" + exposure +
             "): through an idmapped mount the container's root would write files owned by host "
             "uid 0 there; " +
             (searchable ? "user namespace added without shifting"
                         : "user_namespace.unavailable decides"));
  }
  if (!idmap && !searchable) {
    return unavailable(ctx, "the root filesystem " + rootfs + " is not reachable by the mapped root (uid " +
                                std::to_string(policy.userns_uid) + ") and cannot be idmapped" +
                                (exposure.empty() ? "" : " safely: " + exposure));
  }

  Json& linux = ensure_object(spec, "linux");
  if (!has_entry) {
    Json* list = field(&linux, "namespaces");
    if (list == nullptr || !list->is_array()) list = &linux.set("namespaces", Json::array());
    Json ns = Json::object();
    ns.set("type", Json::string("user"));
    list->push_back(ns);
    ctx.record(json_path_index("linux.namespaces", list->items().size() - 1), Json(), std::move(ns));
  }
  ctx.set(linux, "uidMappings", mapping(policy.userns_uid, policy.userns_size), "linux.uidMappings");
  ctx.set(linux, "gidMappings", mapping(policy.userns_gid, policy.userns_size), "linux.gidMappings");

  if (idmap) {
    std::string target = idmap_target(ctx);
    ctx.request(HostAction{HostAction::Kind::kIdmapRootfs, rootfs, target, policy.userns_uid,
                           policy.userns_gid, policy.userns_size});
    ctx.set(ensure_object(spec, "root"), "path", Json::string(target), "root.path");
    Json& annotations = ensure_object(spec, "annotations");
    ctx.record(json_path_join("annotations", kRootfsAnnotation),
               annotations.get_exact(kRootfsAnnotation) ? *annotations.get_exact(kRootfsAnnotation) : Json(),
               Json::string(rootfs));
    annotations.set_exact(kRootfsAnnotation, Json::string(rootfs));
  }
  // Through an idmapped mount the mapped root owns the tree and runc creates mountpoints itself.
  if (!idmap) request_mountpoints(ctx, rootfs);
  adapt_to_joined_namespaces(ctx);
  clamp_ping_group_range(ctx, policy.userns_size);
}

}  // namespace

Json with_real_user_maps(const Json& spec, const Host& host, const std::string& bundle) {
  const Json* userns = namespace_entry(spec, "user");
  std::string path = userns != nullptr ? string_field(userns, "path").value_or("") : "";
  if (path.empty()) return spec;
  std::optional<UserNamespaceMap> real = host.user_namespace_map(path[0] == '/' ? path : bundle + "/" + path);
  if (!real) return spec;
  Json out = spec;
  Json& linux = ensure_object(out, "linux");
  linux.set("uidMappings", mappings_json(real->uid));
  linux.set("gidMappings", mappings_json(real->gid));
  return out;
}

// The stand-in as the later rules leave it: its own options (read-only, no way to a device,
// program or setuid file) plus what they add (pseudo-filesystems' rro, a private propagation),
// and nothing that would undo one of them.
bool is_user_namespace_sysfs_standin(const Json& spec, const Json& mount) {
  const Json* userns = namespace_entry(spec, "user");
  if (userns == nullptr || !string_field(userns, "path").value_or("").empty() ||
      !has_items(field_at(spec, "linux.uidMappings")) || !has_items(field_at(spec, "linux.gidMappings")) ||
      !not_new(spec, "network")) {
    return false;
  }
  const Json standin = sysfs_standin();
  for (const char* key : {"destination", "type", "source"}) {
    if (string_field(&mount, key) != string_field(&standin, key)) return false;
  }
  std::vector<std::string> options = string_items(field(&mount, "options"));
  for (const std::string& required : string_items(field(&standin, "options"))) {
    if (std::find(options.begin(), options.end(), required) == options.end()) return false;
  }
  const std::vector<std::string> added = {"rro", "private", "rprivate", "slave", "rslave"};
  for (const std::string& o : options) {
    bool own = std::find(added.begin(), added.end(), o) != added.end();
    for (const std::string& required : string_items(field(&standin, "options"))) own = own || o == required;
    if (!own) return false;
  }
  return mount.members().size() == standin.members().size();
}

// Rootless engines (issue 17.3): oci-harden, the runtime and the engine run in a user namespace
// that does not map host root (rootless Podman's: "0 1001 1", "1 165536 65536"), so no process of
// the container can be host root whatever the spec says: its root is the user's own uid. Nothing
// is added or refused (an unprivileged runtime can neither map ids it does not own nor idmap a
// mount); the spec's own mappings (--userns=keep-id, auto) are kept. The note says who container
// root is on the host.
void rootless_user_namespace(RuleContext& ctx, const std::vector<IdMapRange>& own) {
  int64_t inner = 0;  // container root's id in oci-harden's namespace
  const Json* userns = namespace_entry(ctx.spec(), "user");
  const Json* maps = field_at(ctx.spec(), "linux.uidMappings");
  if (userns != nullptr && string_field(userns, "path").value_or("").empty() && has_items(maps)) {
    inner = -1;
    for (const Json& m : maps->items()) {
      IdRange r = id_range(m);
      if (r.container <= 0 && r.container + r.size > 0) inner = r.host - r.container;
    }
  }
  std::optional<uint32_t> host;
  if (inner >= 0 && inner <= UINT32_MAX) host = outer_id(own, static_cast<uint32_t>(inner));
  ctx.note("the engine runs in a user namespace that does not map host root (a rootless engine): "
           "no user namespace added, none needed; container root is " +
           (host ? "host uid " + std::to_string(*host) : std::string("an id not mapped to the host")) +
           ", never host root");
}

void rule_user_namespace(RuleContext& ctx) {
  if (std::vector<IdMapRange> own = ctx.host().own_uid_map(); !maps_host_root(own)) {
    rootless_user_namespace(ctx, own);
    return;
  }
  const Json* userns = namespace_entry(ctx.spec(), "user");
  std::string path = userns != nullptr ? string_field(userns, "path").value_or("") : "";
  if (!path.empty()) {
    judge_joined_user_namespace(ctx);
  } else if (userns != nullptr && has_items(field_at(ctx.spec(), "linux.uidMappings"))) {
    refuse_host_root(ctx, "uidMappings", "uid");
    refuse_host_root(ctx, "gidMappings", "gid");
    renew_idmapped_rootfs(ctx);
  } else {
    add_user_namespace(ctx, userns != nullptr);
  }
  // With a user namespace, crun (before 1.24) chowns its non-terminal standard streams to the
  // container's root as host root: the host's /dev/null when stdin is /dev/null.
  if (namespace_entry(ctx.spec(), "user") != nullptr && has_items(field_at(ctx.spec(), "linux.uidMappings"))) {
    ctx.request(HostAction{HostAction::Kind::kPrivateStdio, "", "", 0, 0, 0});
  }
}

}  // namespace oci_harden
