// Rule "pseudo-filesystems" (CIS Docker 5.4 and 5.5; Pod Security baseline procMount Default):
// the kernel's own filesystems are mounted only at their home, once, and sysfs and cgroupfs
// read-only unless the container owns the namespaces that make writing them harmless.
//
// The masked and read-only paths (linux.maskedPaths, linux.readonlyPaths) are applied by the
// runtime after every mount, by path: /proc/kcore, /proc/sys, /sys/firmware. They cover the procfs
// at /proc and the sysfs at /sys, nothing else. So:
//   - home: proc only at /proc, sysfs at /sys, cgroup or cgroup2 at /sys/fs/cgroup, mqueue at
//     /dev/mqueue, devpts at /dev/pts; each home holds one of them. A second procfs at /hp shows
//     /hp/sys/kernel/core_pattern writable (host code execution); a cgroup2 at /mnt shows the
//     host's whole cgroup tree without a cgroup namespace (cgroup.kill ends other containers).
//     A type is compared as the kernel compares it, exactly; a spelling that only case-folds to
//     one ("Proc") is refused too, so no spelling falls between this rule and the bind rules.
//   - in /proc and /sys: no other mount at all, bind or not, whatever its source (a tmpfs or a
//     bind at /proc/sys, /proc/kcore or /sys/firmware, or at a parent of them, replaces what is
//     masked or read-only with something that is not). Destinations are compared after the
//     lexical cleaning runc applies when it places them in the rootfs, and case-folded, so
//     /PROC/sys is judged as if the root filesystem folded case. Allowed there: binds of a single
//     file at the /proc files runc itself lets a bind cover (LXCFS: /proc/cpuinfo, /proc/meminfo,
//     ...; none of them masked or read-only), and the read-only rbind of the host's /sys that the
//     user-namespace rule puts at /sys (it is that container's sysfs).
//   - read-only: a sysfs or cgroup(2) mount gets "ro" (any "rw" after it and
//     any "rrw", which crun applies as a recursive clear, removed) unless the container has a new
//     user namespace and a new cgroup namespace, neither joined by path, as Docker decides. Without
//     them a writable sysfs reaches /sys/power/state, and a writable cgroupfs lets the container
//     lift its own pids, memory and CPU limits. Absent options get the flags crun would have
//     used for a home mount (nosuid, noexec, nodev), since any option list replaces crun's.
//     The rbind of the host's /sys gets "ro" and "rro", whatever the namespaces: it brings the
//     host's submounts (its cgroup hierarchies), which a plain "ro" leaves writable.
// Whether a mount is a bind is decided as runc 1.1.5 and crun 1.8.1 decide it: a "bind" or
// "rbind" option, whatever the type (is_bind_mount also counts type "bind" without one, which
// both runtimes fail with ENODEV); a bind's source is sensitive-mounts' to judge, its
// destination this rule's.
//
// The rule runs after user-namespace and judges the final spec: whether the container has its
// own user namespace is only known once that rule has added one.
//
// Limits, stated plainly: a destination is judged by its spelling in the rootfs. runc resolves
// it through symlinks inside the rootfs (securejoin) when it mounts, so an image whose /data is
// a symlink to /proc/sys is not seen here (the runtimes refuse proc and sysfs through a symlink;
// a tmpfs or bind is not refused by them).

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "shim/core/lexical_path.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

struct Home {
  const char* type;
  const char* destination;
  const char* away;  // what a mount of it elsewhere exposes
};

// Each pseudo-filesystem, its only destination, and why it may be nowhere else.
const Home kHomes[] = {
    {"proc", "/proc",
     "a procfs elsewhere has none of the masked and read-only paths (its sys/kernel/core_pattern "
     "is writable: code execution on the host)"},
    {"sysfs", "/sys",
     "a sysfs elsewhere has none of the masked paths (firmware, powercap) and is not made "
     "read-only"},
    {"cgroup", "/sys/fs/cgroup",
     "a cgroupfs elsewhere is not made read-only and, without a cgroup namespace, shows the "
     "host's whole cgroup tree"},
    {"cgroup2", "/sys/fs/cgroup",
     "a cgroup2 elsewhere is not made read-only and, without a cgroup namespace, shows the "
     "host's whole cgroup tree (cgroup.kill ends other containers)"},
    {"mqueue", "/dev/mqueue", "each pseudo-filesystem is mounted once, at its home"},
    {"devpts", "/dev/pts", "each pseudo-filesystem is mounted once, at its home"},
};

// Files in /proc a bind may cover: runc 1.1.5's own list (checkProcMount), for LXCFS. None is
// a masked or read-only path or lies under one.
const char* const kProcFileBinds[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
};

// The directories whose contents the masked and read-only paths protect.
const char* const kGuarded[] = {"/proc", "/sys"};

// The home mount kinds that rule 18.5 makes read-only.
bool writable_is_dangerous(const std::string& type) {
  return type == "sysfs" || type == "cgroup" || type == "cgroup2";
}

std::string folded(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

const Home* home_of_type(const std::string& type) {
  for (const Home& h : kHomes) {
    if (type == h.type) return &h;
  }
  return nullptr;
}

// A type that is not a pseudo-filesystem's name but folds to one ("Proc", "SYSFS").
const Home* home_of_folded_type(const std::string& type) {
  for (const Home& h : kHomes) {
    if (folded(type) == h.type) return &h;
  }
  return nullptr;
}

bool guarded(const std::string& dest) {
  std::string f = folded(dest);
  return std::any_of(std::begin(kGuarded), std::end(kGuarded),
                     [&](const char* g) { return same_or_under(g, f); });
}

// runc and crun apply "ro"/"rw" in order (the last wins); "rro"/"rrw" are recursive attributes.
bool readonly_options(const std::vector<std::string>& opts) {
  bool ro = false, rro = false;
  for (const std::string& o : opts) {
    if (o == "ro") ro = true;
    if (o == "rw") ro = false;
    if (o == "rro") rro = true;
    if (o == "rrw") rro = false;
  }
  return ro || rro;
}

// The read-only rbind of the host's /sys that user-namespace puts at /sys when the network
// namespace is not the container's (rootless runc does the same).
bool is_sys_rbind(const Json& m, const std::string& dest) {
  return is_bind_mount(m) && dest == "/sys" &&
         lexical(string_field(&m, "source").value_or("")) == "/sys" &&
         readonly_options(string_items(field(&m, "options")));
}

bool new_namespace(const Json& spec, const std::string& type) {
  const Json* list = field_at(spec, "linux.namespaces");
  if (list == nullptr || !list->is_array()) return false;
  for (const Json& ns : list->items()) {
    if (string_field(&ns, "type").value_or("") != type) continue;
    return string_field(&ns, "path").value_or("").empty();
  }
  return false;
}

// What the masked and read-only paths lose to a mount at `dest`: the entries it covers or
// replaces, for the refusal's reason.
std::string covered_paths(const Json& spec, const std::string& dest) {
  std::vector<std::string> hit;
  for (const char* key : {"linux.maskedPaths", "linux.readonlyPaths"}) {
    for (const std::string& p : string_items(field_at(spec, key))) {
      std::string clean = lexical(p);
      if (same_or_under(dest, clean) || same_or_under(clean, dest)) hit.push_back(clean);
    }
  }
  if (hit.empty()) return "";
  std::string out;
  for (size_t i = 0; i < hit.size() && i < 3; ++i) out += (i ? ", " : "") + hit[i];
  if (hit.size() > 3) out += ", ...";
  return " (it covers masked or read-only " + out + ")";
}

std::string describe(const Json& m) {
  if (is_bind_mount(m)) return "a bind of " + string_field(&m, "source").value_or("(no source)");
  std::optional<std::string> type = string_field(&m, "type");
  return type ? "a filesystem of type \"" + *type + "\"" : "a filesystem with no type";
}

class Judge {
 public:
  explicit Judge(RuleContext& ctx) : ctx_(ctx) {}

  // Returns the home destination a mount occupies ("" for none), refusing what is out of place.
  std::string judge(const Json& m, size_t i) {
    std::string where = json_path_index("mounts", i);
    std::string raw = string_field(&m, "destination").value_or("");
    std::string dest = lexical(raw);
    std::string shown = raw == dest ? dest : raw + " (placed at " + dest + ")";
    if (!is_bind_mount(m)) {
      std::string type = string_field(&m, "type").value_or("");
      if (const Home* h = home_of_type(type)) return judge_home(*h, dest, shown, where);
      if (const Home* h = home_of_folded_type(type)) {
        refuse(where + ".type", "\"" + type + "\" at " + shown + " spells " + h->type +
                                    " in another case: pseudo-filesystem types are judged by "
                                    "the kernel's exact name");
        return "";
      }
    } else if (is_sys_rbind(m, dest)) {
      return claim("/sys", "sysfs", shown, where);
    }
    if (!guarded(dest)) return "";
    if (is_bind_mount(m) &&
        std::any_of(std::begin(kProcFileBinds), std::end(kProcFileBinds),
                    [&](const char* f) { return dest == f; })) {
      return "";
    }
    refuse(where + ".destination",
           describe(m) + " is mounted at " + shown + covered_paths(ctx_.spec(), folded(dest)) +
               ": nothing but proc at /proc, sysfs at /sys and cgroup at /sys/fs/cgroup may be "
               "mounted in /proc or /sys, where the masked and read-only paths must hold");
    return "";
  }

 private:
  std::string judge_home(const Home& h, const std::string& dest, const std::string& shown,
                         const std::string& where) {
    if (dest != h.destination) {
      refuse(where + ".destination", std::string("a ") + h.type + " filesystem is mounted at " +
                                         shown + ": " + h.type + " is allowed only at " +
                                         h.destination + "; " + h.away);
      return "";
    }
    return claim(h.destination, h.type, shown, where);
  }

  std::string claim(const std::string& home, const std::string& type, const std::string& shown,
                    const std::string& where) {
    if (std::find(seen_.begin(), seen_.end(), home) != seen_.end()) {
      refuse(where + ".destination", "a second " + type + " filesystem is mounted at " + shown +
                                         ": each pseudo-filesystem is mounted once, at its home");
      return "";
    }
    seen_.push_back(home);
    return home;
  }

  void refuse(const std::string& field_path, const std::string& why) {
    ctx_.refuse(field_path + ": " + why);
  }

  RuleContext& ctx_;
  std::vector<std::string> seen_;
};

// Makes the mount read-only whatever its options say (`recursive`: its submounts too), recording
// the change.
void make_readonly(RuleContext& ctx, Json& m, size_t i, bool recursive) {
  const Json* present = field(&m, "options");
  std::vector<std::string> opts = string_items(present);
  std::vector<std::string> out;
  if (present == nullptr) out = {"nosuid", "noexec", "nodev"};
  bool ro = false;
  for (const std::string& o : opts) {
    if (o == "rw" || o == "rrw") continue;
    if (o == "ro") ro = true;
    out.push_back(o);
  }
  if (!ro) out.push_back("ro");
  if (recursive && std::find(out.begin(), out.end(), "rro") == out.end()) out.push_back("rro");
  if (present == nullptr || out != opts) {
    ctx.set(m, "options", string_array(out), json_path_index("mounts", i) + ".options");
  }
}

}  // namespace

void rule_pseudo_filesystems(RuleContext& ctx) {
  Json* mounts = field(&ctx.spec(), "mounts");
  if (mounts == nullptr || !mounts->is_array()) return;
  // Why this is safe: with a user namespace of its own, the container's root is unprivileged
  // over the host's sysfs attributes and cgroup files (owned by an unmapped uid); with a cgroup
  // namespace of its own, a cgroupfs shows only its own subtree.
  bool owns_namespaces = new_namespace(ctx.spec(), "user") && new_namespace(ctx.spec(), "cgroup");
  Judge judge(ctx);
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    Json& m = mounts->items()[i];
    if (!m.is_object()) continue;  // null decodes to an empty mount, which runc rejects
    std::string home = judge.judge(m, i);
    if (home.empty()) continue;
    if (is_bind_mount(m)) {
      // The host's /sys, bound with its submounts (the host's cgroup hierarchies among them):
      // read-only all the way down, whatever namespaces the container has.
      make_readonly(ctx, m, i, true);
      continue;
    }
    if (owns_namespaces) continue;
    if (writable_is_dangerous(string_field(&m, "type").value_or(""))) make_readonly(ctx, m, i, false);
  }
}

}  // namespace oci_harden
