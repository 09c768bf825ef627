// Loading an OCI spec (config.json) or process (process.json) the way runc will read it, and
// small typed accessors the rules share. Null counts as absent (Go leaves the field unset).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// Parses config.json and checks it as runc would: no duplicate keys (keys that differ only in
// case are the same struct field to runc; map keys must differ exactly), and the fields the
// rules read have the types runc requires. Errors name the JSON path.
Result<Json> parse_spec(std::string_view text);
// The same for a runc exec --process file (the "process" object alone).
Result<Json> parse_process(std::string_view text);
// runc update -r's object (an OCI LinuxResources) has no duplicate keys: runc takes the last of
// two, so a judge that read the first would judge what runc does not apply. The error names the key.
Status check_resources_duplicates(const Json& resources);

// OCI 1.0.2's hook kinds (the members of "hooks"), in the order the runtime runs them; runc 1.1
// and crun 1.8 run every kind as root. The hooks rule and allowed_hook_args read this one list.
const std::vector<std::string>& oci_hook_kinds();

// obj[key] for struct fields, nullptr when obj is not an object or the field is absent or null.
const Json* field(const Json* obj, std::string_view key);
Json* field(Json* obj, std::string_view key);
// obj[key] for map entries (annotations, sysctl).
const Json* map_entry(const Json* obj, std::string_view key);
// Walks a dotted path of struct fields: field_at(spec, "process.capabilities").
const Json* field_at(const Json& root, std::string_view dotted);
Json* field_at(Json& root, std::string_view dotted);
// Makes parent[key] an object if it is absent or null, and returns it.
Json& ensure_object(Json& parent, std::string_view key);
// The strings of an array field (non-strings are impossible after parse_spec).
std::vector<std::string> string_items(const Json* array);
Json string_array(const std::vector<std::string>& items);
std::optional<std::string> string_field(const Json* obj, std::string_view key);
std::optional<bool> bool_field(const Json* obj, std::string_view key);
std::optional<int64_t> int_field(const Json* obj, std::string_view key);

// Capability names as runc accepts them ("CAP_SYS_ADMIN"); returns -1 for unknown names.
int capability_number(const std::string& name);
std::string capability_name(int number);
// What `--privileged` lists: engines take the capabilities from their own table, not the
// kernel's, so Docker 20.10 to 28 stop at 37 (CAP_AUDIT_READ) even where cap_last_cap is 40
// (tests/golden/docker-captured/privileged.json). min(cap_last_cap, 37); 37 when cap_last_cap
// is unknown (negative). Holding 0..37 already means holding CAP_SYS_ADMIN, CAP_SYS_MODULE and
// the rest: PERFMON, BPF and CHECKPOINT_RESTORE (38..40) add nothing CAP_SYS_ADMIN does not give.
constexpr int kLastCapEveryEngineKnows = 37;
int last_capability_every_engine_knows(int cap_last_cap);

// Whether a mount is a bind mount to runc: type "bind", or "bind"/"rbind" among its options.
bool is_bind_mount(const Json& mount);

}  // namespace oci_harden
