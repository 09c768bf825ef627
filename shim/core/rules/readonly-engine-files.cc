// Rule "readonly-engine-files" (cheat-sheet practice 21): Docker binds /etc/hosts,
// /etc/hostname and /etc/resolv.conf read-write; with a read-only root they are the one path
// left to fill the host's disk. Make those binds read-only. The engine still rewrites the files
// from outside, so name resolution keeps working.

#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

void rule_readonly_engine_files(RuleContext& ctx) {
  Json* mounts = field(&ctx.spec(), "mounts");
  if (mounts == nullptr) return;
  for (size_t i = 0; i < mounts->items().size(); ++i) {
    Json& m = mounts->items()[i];
    std::string dest = string_field(&m, "destination").value_or("");
    if (dest != "/etc/hosts" && dest != "/etc/hostname" && dest != "/etc/resolv.conf") continue;
    if (!is_bind_mount(m)) continue;
    std::vector<std::string> opts = string_items(field(&m, "options"));
    // runc applies the options in order: the last of "ro" and "rw" wins. Drop every "rw" and
    // keep or add "ro", so the result is read-only whatever came before. An "ro" stays where the
    // engine wrote it: the same options in another order are not a change.
    std::vector<std::string> out;
    bool ro = false;
    for (const auto& o : opts) {
      if (o == "rw") continue;
      ro = ro || o == "ro";
      out.push_back(o);
    }
    if (!ro) out.push_back("ro");
    if (out != opts) ctx.set(m, "options", string_array(out), json_path_index("mounts", i) + ".options");
  }
}

}  // namespace oci_harden
