// Mount-table arithmetic for path identities (see path_identity.hh).

#include "shim/core/path_identity.hh"

#include <tuple>

#include "shim/core/lexical_path.hh"

namespace oci_harden {

namespace {

// `child` (same_or_under `parent`) with `parent` replaced by `base`.
std::string rebase(const std::string& child, const std::string& parent, const std::string& base) {
  std::string rest = parent == "/" ? child : child.substr(parent.size());
  if (rest.empty() || rest == "/") return base;
  return base == "/" ? rest : base + rest;
}

}  // namespace

const MountEntry* mount_holding(const std::vector<MountEntry>& mounts, const std::string& canon) {
  const MountEntry* best = nullptr;
  for (const MountEntry& m : mounts) {
    if (!same_or_under(m.mount_point, canon)) continue;
    if (best == nullptr || m.mount_point.size() >= best->mount_point.size()) best = &m;
  }
  return best;
}

const MountEntry* mount_by_id(const std::vector<MountEntry>& mounts, int id) {
  for (const MountEntry& m : mounts) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

void locate_in_mounts(const std::vector<MountEntry>& mounts, const MountEntry& holder,
                      const std::string& canon, PathIdentity* id) {
  id->fstype = holder.fstype;
  id->fs_source = holder.source;
  id->mount_point = holder.mount_point;
  id->mount_root = holder.root;
  id->true_path = canon;
  if (!same_or_under(holder.mount_point, canon)) {  // reached another way: no better answer
    id->inside = canon;
    return;
  }
  id->inside = rebase(canon, holder.mount_point, holder.root);
  const MountEntry* principal = nullptr;
  auto key = [](const MountEntry* m) { return std::make_tuple(m->root.size(), m->mount_point.size()); };
  for (const MountEntry& m : mounts) {
    if (m.major != holder.major || m.minor != holder.minor) continue;
    if (!same_or_under(m.root, id->inside)) continue;
    if (principal == nullptr || key(&m) < key(principal)) principal = &m;
  }
  if (principal != nullptr) id->true_path = rebase(id->inside, principal->root, principal->mount_point);
}

std::vector<const MountEntry*> mounts_below(const std::vector<MountEntry>& mounts,
                                            const std::string& canon) {
  std::vector<const MountEntry*> out;
  for (const MountEntry& m : mounts) {
    if (m.mount_point != canon && same_or_under(canon, m.mount_point)) out.push_back(&m);
  }
  return out;
}

}  // namespace oci_harden
