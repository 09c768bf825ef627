// Rule "mount-propagation" (CIS 5.19; cheat-sheet practice 23): no mount event crosses from the
// container to the host. linux.rootfsPropagation shared/rshared (or absent) becomes rprivate;
// every shared/rshared in mounts[].options becomes private/rprivate. slave and private forms
// are kept: they do not propagate back to the host either.

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

void rule_mount_propagation(RuleContext& ctx) {
  Json& linux = ensure_object(ctx.spec(), "linux");
  std::string prop = string_field(&linux, "rootfsPropagation").value_or("");
  if (prop.empty() || prop == "shared" || prop == "rshared") {
    ctx.set(linux, "rootfsPropagation", Json::string("rprivate"), "linux.rootfsPropagation");
  }
  Json* mounts = field(&ctx.spec(), "mounts");
  if (mounts == nullptr) return;
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    Json& m = mounts->items()[i];
    std::vector<std::string> opts = string_items(field(&m, "options"));
    bool changed = false;
    for (auto& o : opts) {
      if (o == "shared") o = "private", changed = true;
      else if (o == "rshared") o = "rprivate", changed = true;
    }
    if (changed) ctx.set(m, "options", string_array(opts), json_path_index("mounts", i) + ".options");
  }
}

}  // namespace oci_harden
