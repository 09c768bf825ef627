// Rule "readonly-rootfs" (CIS 5.12; cheat-sheet practice 21): root.readonly = true, plus small
// nosuid,nodev,noexec tmpfs mounts on the policy's list (default /tmp, /run, /var/tmp) so that
// ordinary programs still have somewhere to write. A destination the spec already mounts
// something on is left alone.

#include "shim/core/lexical_path.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

}  // namespace

void rule_readonly_rootfs(RuleContext& ctx) {
  Json& root = ensure_object(ctx.spec(), "root");
  ctx.set(root, "readonly", Json::boolean(true), "root.readonly");
  for (const std::string& dest : ctx.policy().readonly_tmpfs) {
    Json* mounts = field(&ctx.spec(), "mounts");
    if (mounts == nullptr || !mounts->is_array()) mounts = &ctx.spec().set("mounts", Json::array());
    bool taken = false;
    for (const Json& m : mounts->items()) {
      taken = taken || lexical(string_field(&m, "destination").value_or("")) == lexical(dest);
    }
    if (taken) continue;
    Json m = Json::object();
    m.set("destination", Json::string(dest));
    m.set("type", Json::string("tmpfs"));
    m.set("source", Json::string("tmpfs"));
    m.set("options", string_array({"nosuid", "nodev", "noexec", dest == "/run" ? "mode=755" : "mode=1777",
                                   "size=" + std::to_string(ctx.policy().readonly_tmpfs_size)}));
    mounts->push_back(m);
    ctx.record(json_path_index("mounts", mounts->items().size() - 1), Json(), std::move(m));
  }
}

}  // namespace oci_harden
