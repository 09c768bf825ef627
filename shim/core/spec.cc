// Loading a spec as runc reads it, and the typed accessors the rules share.

#include "shim/core/spec.hh"

#include <cap-ng.h>

#include <algorithm>
#include <unordered_set>

namespace oci_harden {

namespace {

// Objects that runc decodes into Go maps: keys are case-sensitive there. Every other object in
// the spec is a struct, where keys differing only in case name the same field.
const char* const kMapPaths[] = {
    "annotations", "linux.sysctl", "linux.resources.unified", "linux.netDevices",
    "linux.resources.rdma",
};

std::string fold_key(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (size_t i = 0; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c == 0xE2 && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0x84 &&
        static_cast<unsigned char>(key[i + 2]) == 0xAA) {
      out += 'k';
      i += 2;
    } else if (c == 0xC5 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBF) {
      out += 's';
      i += 1;
    } else {
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
    }
  }
  return out;
}

bool is_map_path(const std::string& path) {
  for (const char* p : kMapPaths) {
    if (go_key_equal(path, p)) return true;
  }
  return false;
}

// Struct-path of an object member for the map check: array indices are dropped.
std::string member_path(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

Status check_duplicates(const Json& node, const std::string& path, const std::string& shown) {
  if (node.is_array()) {
    for (size_t i = 0; i < node.items().size(); ++i) {
      auto st = check_duplicates(node.items()[i], path, json_path_index(shown, i));
      if (!st) return st;
    }
    return Ok{};
  }
  if (!node.is_object()) return Ok{};
  bool map = is_map_path(path);
  std::unordered_set<std::string> seen;
  seen.reserve(node.members().size());
  for (const auto& [key, value] : node.members()) {
    if (!seen.insert(map ? key : fold_key(key)).second) {
      std::string where = json_path_join(shown, key);
      return make_error(ErrorCode::kSpec,
                        map ? where + ": duplicate key"
                            : where + ": duplicate key (runc matches field names ignoring case)");
    }
    // Below a map, entries are values of the map: their own keys are struct fields again, but
    // no map path lies below another, so the struct path is only tracked outside maps.
    auto st = check_duplicates(value, map ? std::string("<map>") : member_path(path, key),
                               json_path_join(shown, key));
    if (!st) return st;
  }
  return Ok{};
}

// The proper prefixes of the map paths: only below these can a map path still lie.
bool may_lead_to_map(const std::string& path) {
  return path.empty() || go_key_equal(path, "linux") || go_key_equal(path, "linux.resources");
}

// The same judgement as check_duplicates, without building a path string or a set for every
// object: most specs have none, and this runs on every create. check_duplicates, which names
// the key, runs only when this finds one. path == nullptr: no map path lies below.
bool has_duplicates(const Json& node, const std::string* path) {
  if (node.is_array()) {
    for (const Json& item : node.items()) {
      if (has_duplicates(item, path)) return true;
    }
    return false;
  }
  if (!node.is_object()) return false;
  const auto& members = node.members();
  bool map = path != nullptr && is_map_path(*path);
  size_t n = members.size();
  if (n > 32) {
    std::unordered_set<std::string> seen;
    seen.reserve(n);
    for (const auto& member : members) {
      if (!seen.insert(map ? member.first : fold_key(member.first)).second) return true;
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        const std::string& a = members[i].first;
        const std::string& b = members[j].first;
        if (map ? a == b : go_key_equal(a, b)) return true;
      }
    }
  }
  for (const auto& [key, value] : members) {
    if (!value.is_object() && !value.is_array()) continue;
    if (map || path == nullptr || !may_lead_to_map(*path)) {
      if (has_duplicates(value, nullptr)) return true;
      continue;
    }
    std::string child = member_path(*path, key);
    if (has_duplicates(value, &child)) return true;
  }
  return false;
}

Status find_duplicates(const Json& node, const std::string& path) {
  if (!has_duplicates(node, &path)) return Ok{};
  return check_duplicates(node, path, "");
}

enum class Type { kBool, kString, kObject, kArray, kStringArray, kInt64, kUint32, kUint64 };

struct FieldType {
  const char* path;  // dotted; "[]" after a segment means "each element of this array"
  Type type;
};

// The fields the rules read, with the type runc's Go structs give them. A wrong type here would
// make runc fail too, but judging a value runc reads differently would be a bypass, so refuse.
const FieldType kFieldTypes[] = {
    {"process", Type::kObject},
    {"process.terminal", Type::kBool},
    {"process.user", Type::kObject},
    {"process.user.uid", Type::kUint32},
    {"process.user.gid", Type::kUint32},
    {"process.user.additionalGids", Type::kArray},
    {"process.user.additionalGids[]", Type::kUint32},
    {"process.args", Type::kStringArray},
    {"process.env", Type::kStringArray},
    {"process.capabilities", Type::kObject},
    {"process.capabilities.bounding", Type::kStringArray},
    {"process.capabilities.effective", Type::kStringArray},
    {"process.capabilities.inheritable", Type::kStringArray},
    {"process.capabilities.permitted", Type::kStringArray},
    {"process.capabilities.ambient", Type::kStringArray},
    {"process.noNewPrivileges", Type::kBool},
    {"process.apparmorProfile", Type::kString},
    {"process.selinuxLabel", Type::kString},
    {"root", Type::kObject},
    {"root.path", Type::kString},
    {"root.readonly", Type::kBool},
    {"mounts", Type::kArray},
    {"mounts[]", Type::kObject},
    {"mounts[].destination", Type::kString},
    {"mounts[].type", Type::kString},
    {"mounts[].source", Type::kString},
    {"mounts[].options", Type::kStringArray},
    {"hooks", Type::kObject},
    {"hooks.prestart", Type::kArray},
    {"hooks.prestart[]", Type::kObject},
    {"hooks.prestart[].path", Type::kString},
    {"hooks.prestart[].args", Type::kStringArray},
    {"hooks.createRuntime", Type::kArray},
    {"hooks.createRuntime[]", Type::kObject},
    {"hooks.createRuntime[].path", Type::kString},
    {"hooks.createRuntime[].args", Type::kStringArray},
    {"hooks.createContainer", Type::kArray},
    {"hooks.createContainer[]", Type::kObject},
    {"hooks.createContainer[].path", Type::kString},
    {"hooks.createContainer[].args", Type::kStringArray},
    {"hooks.startContainer", Type::kArray},
    {"hooks.startContainer[]", Type::kObject},
    {"hooks.startContainer[].path", Type::kString},
    {"hooks.startContainer[].args", Type::kStringArray},
    {"hooks.poststart", Type::kArray},
    {"hooks.poststart[]", Type::kObject},
    {"hooks.poststart[].path", Type::kString},
    {"hooks.poststart[].args", Type::kStringArray},
    {"hooks.poststop", Type::kArray},
    {"hooks.poststop[]", Type::kObject},
    {"hooks.poststop[].path", Type::kString},
    {"hooks.poststop[].args", Type::kStringArray},
    {"annotations", Type::kObject},
    {"linux", Type::kObject},
    {"linux.namespaces", Type::kArray},
    {"linux.namespaces[]", Type::kObject},
    {"linux.namespaces[].type", Type::kString},
    {"linux.namespaces[].path", Type::kString},
    {"linux.uidMappings", Type::kArray},
    {"linux.uidMappings[]", Type::kObject},
    {"linux.uidMappings[].containerID", Type::kUint32},
    {"linux.uidMappings[].hostID", Type::kUint32},
    {"linux.uidMappings[].size", Type::kUint32},
    {"linux.gidMappings", Type::kArray},
    {"linux.gidMappings[]", Type::kObject},
    {"linux.gidMappings[].containerID", Type::kUint32},
    {"linux.gidMappings[].hostID", Type::kUint32},
    {"linux.gidMappings[].size", Type::kUint32},
    {"linux.devices", Type::kArray},
    {"linux.devices[]", Type::kObject},
    {"linux.devices[].path", Type::kString},
    {"linux.devices[].type", Type::kString},
    {"linux.resources", Type::kObject},
    {"linux.resources.devices", Type::kArray},
    {"linux.resources.devices[]", Type::kObject},
    {"linux.resources.devices[].allow", Type::kBool},
    {"linux.resources.devices[].type", Type::kString},
    {"linux.resources.devices[].major", Type::kInt64},
    {"linux.resources.devices[].minor", Type::kInt64},
    {"linux.resources.devices[].access", Type::kString},
    {"linux.resources.pids", Type::kObject},
    {"linux.resources.pids.limit", Type::kInt64},
    {"linux.resources.memory", Type::kObject},
    {"linux.resources.memory.limit", Type::kInt64},
    {"linux.resources.memory.reservation", Type::kInt64},
    {"linux.resources.memory.swap", Type::kInt64},
    {"linux.resources.cpu", Type::kObject},
    {"linux.resources.cpu.quota", Type::kInt64},
    {"linux.resources.cpu.period", Type::kUint64},
    {"linux.resources.cpu.shares", Type::kUint64},
    {"linux.resources.unified", Type::kObject},
    {"linux.sysctl", Type::kObject},
    {"linux.seccomp", Type::kObject},
    {"linux.rootfsPropagation", Type::kString},
    {"linux.maskedPaths", Type::kStringArray},
    {"linux.readonlyPaths", Type::kStringArray},
    // oom-score-adj, cgroups-path
    {"process.oomScoreAdj", Type::kInt64},
    {"linux.cgroupsPath", Type::kString},
};

const char* type_name(Type t) {
  switch (t) {
    case Type::kBool: return "a boolean";
    case Type::kString: return "a string";
    case Type::kObject: return "an object";
    case Type::kArray: return "an array";
    case Type::kStringArray: return "an array of strings";
    case Type::kInt64: return "an integer";
    case Type::kUint32: return "an integer from 0 to 4294967295";
    case Type::kUint64: return "a non-negative integer";
  }
  return "?";
}

bool has_type(const Json& v, Type t) {
  int64_t i;
  uint64_t u;
  switch (t) {
    case Type::kBool: return v.is_bool();
    case Type::kString: return v.is_string();
    case Type::kObject: return v.is_object();
    case Type::kArray: return v.is_array();
    case Type::kStringArray:
      if (!v.is_array()) return false;
      for (const Json& item : v.items()) {
        if (!item.is_string()) return false;
      }
      return true;
    case Type::kInt64: return v.to_int64(&i);
    case Type::kUint32: return v.to_uint64(&u) && u <= 0xFFFFFFFFu;
    case Type::kUint64: return v.to_uint64(&u);
  }
  return false;
}

// The same judgement as check_path, without building the path strings its messages need:
// check_path, which names the field, runs only when this finds a wrong type.
bool types_ok(const Json& node, std::string_view rest, Type t) {
  size_t dot = rest.find('.');
  std::string_view seg = rest.substr(0, dot);
  bool each = seg.size() > 2 && seg.substr(seg.size() - 2) == "[]";
  if (each) seg.remove_suffix(2);
  const Json* child = field(&node, seg);
  if (child == nullptr) return true;
  std::string_view next = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
  if (!each) return next.empty() ? has_type(*child, t) : types_ok(*child, next, t);
  if (!child->is_array()) return true;
  for (const Json& item : child->items()) {
    if (next.empty() ? !item.is_null() && !has_type(item, t) : !types_ok(item, next, t)) return false;
  }
  return true;
}

// Checks every node reached by `rest` (the remaining dotted segments) below `node`.
Status check_path(const Json& node, std::string_view rest, const std::string& shown, Type t) {
  size_t dot = rest.find('.');
  std::string_view seg = rest.substr(0, dot);
  bool each = seg.size() > 2 && seg.substr(seg.size() - 2) == "[]";
  if (each) seg.remove_suffix(2);
  const Json* child = field(&node, seg);
  if (child == nullptr) return Ok{};
  std::string where = json_path_join(shown, seg);
  std::string_view next = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
  if (!each) {
    if (next.empty()) {
      if (!has_type(*child, t)) {
        return make_error(ErrorCode::kSpec, where + ": expected " + type_name(t));
      }
      return Ok{};
    }
    return check_path(*child, next, where, t);
  }
  if (!child->is_array()) return Ok{};  // the array's own entry reports its type
  for (size_t i = 0; i < child->items().size(); ++i) {
    const Json& item = child->items()[i];
    std::string item_where = json_path_index(where, i);
    if (next.empty()) {
      if (!item.is_null() && !has_type(item, t)) {
        return make_error(ErrorCode::kSpec, item_where + ": expected " + type_name(t));
      }
    } else {
      auto st = check_path(item, next, item_where, t);
      if (!st) return st;
    }
  }
  return Ok{};
}

Status check_types(const Json& root, const char* prefix) {
  for (const FieldType& f : kFieldTypes) {
    std::string_view path = f.path;
    if (prefix != nullptr) {
      // For a process.json, only the "process." fields apply, relative to the root.
      std::string_view p = prefix;
      if (path.substr(0, p.size()) != p || path.size() <= p.size()) continue;
      path.remove_prefix(p.size());
    }
    if (types_ok(root, path, f.type)) continue;
    auto st = check_path(root, path, "", f.type);
    if (!st) return st;
  }
  return Ok{};
}

}  // namespace

Result<Json> parse_spec(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return make_error(ErrorCode::kSpec, "expected a JSON object");
  auto st = find_duplicates(*parsed, "");
  if (!st) return st.error();
  st = check_types(*parsed, nullptr);
  if (!st) return st.error();
  return std::move(*parsed);
}

const std::vector<std::string>& oci_hook_kinds() {
  static const std::vector<std::string> kinds = {"prestart",       "createRuntime", "createContainer",
                                                 "startContainer", "poststart",     "poststop"};
  return kinds;
}

Status check_resources_duplicates(const Json& resources) { return find_duplicates(resources, "linux.resources"); }

Result<Json> parse_process(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return make_error(ErrorCode::kSpec, "expected a JSON object");
  auto st = find_duplicates(*parsed, "process");
  if (!st) return st.error();
  st = check_types(*parsed, "process.");
  if (!st) return st.error();
  return std::move(*parsed);
}

const Json* field(const Json* obj, std::string_view key) {
  if (obj == nullptr) return nullptr;
  const Json* v = obj->get(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

Json* field(Json* obj, std::string_view key) {
  return const_cast<Json*>(field(static_cast<const Json*>(obj), key));
}

const Json* map_entry(const Json* obj, std::string_view key) {
  if (obj == nullptr) return nullptr;
  const Json* v = obj->get_exact(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

const Json* field_at(const Json& root, std::string_view dotted) {
  const Json* cur = &root;
  while (cur != nullptr && !dotted.empty()) {
    size_t dot = dotted.find('.');
    cur = field(cur, dotted.substr(0, dot));
    dotted = dot == std::string_view::npos ? "" : dotted.substr(dot + 1);
  }
  return cur;
}

Json* field_at(Json& root, std::string_view dotted) {
  return const_cast<Json*>(field_at(static_cast<const Json&>(root), dotted));
}

Json& ensure_object(Json& parent, std::string_view key) {
  Json* existing = field(&parent, key);
  if (existing != nullptr && existing->is_object()) return *existing;
  return parent.set(key, Json::object());
}

std::vector<std::string> string_items(const Json* array) {
  std::vector<std::string> out;
  if (array == nullptr || !array->is_array()) return out;
  out.reserve(array->items().size());
  for (const Json& item : array->items()) {
    if (item.is_string()) out.push_back(item.text());
  }
  return out;
}

Json string_array(const std::vector<std::string>& items) {
  Json out = Json::array();
  out.items().reserve(items.size());
  for (const auto& s : items) out.push_back(Json::string(s));
  return out;
}

std::optional<std::string> string_field(const Json* obj, std::string_view key) {
  const Json* v = field(obj, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->text();
}

std::optional<bool> bool_field(const Json* obj, std::string_view key) {
  const Json* v = field(obj, key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->as_bool();
}

std::optional<int64_t> int_field(const Json* obj, std::string_view key) {
  const Json* v = field(obj, key);
  int64_t n;
  if (v == nullptr || !v->to_int64(&n)) return std::nullopt;
  return n;
}

int capability_number(const std::string& name) {
  // runc requires the exact upper-case "CAP_" spelling; anything else is unknown to it.
  if (name.size() <= 4 || name.compare(0, 4, "CAP_") != 0) return -1;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return -1;
  }
  std::string spelled;
  for (size_t i = 4; i < name.size(); ++i) {
    char c = name[i];
    spelled += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return capng_name_to_capability(spelled.c_str());
}

std::string capability_name(int number) {
  const char* n = capng_capability_to_name(static_cast<unsigned int>(number));
  if (n == nullptr) return "CAP_" + std::to_string(number);
  std::string out = "CAP_";
  for (const char* p = n; *p; ++p) out += (*p >= 'a' && *p <= 'z') ? static_cast<char>(*p - 'a' + 'A') : *p;
  return out;
}

int last_capability_every_engine_knows(int cap_last_cap) {
  return cap_last_cap < 0 ? kLastCapEveryEngineKnows : std::min(cap_last_cap, kLastCapEveryEngineKnows);
}

bool is_bind_mount(const Json& mount) {
  auto type = string_field(&mount, "type");
  if (type && *type == "bind") return true;
  for (const std::string& opt : string_items(field(&mount, "options"))) {
    if (opt == "bind" || opt == "rbind") return true;
  }
  return false;
}

}  // namespace oci_harden
