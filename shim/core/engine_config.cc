// The three engines' configuration edits (see engine_config.hh).

#include "shim/core/engine_config.hh"

#include <cstdlib>
#include <utility>

#include "shim/core/json.hh"
#include "shim/core/toml_edit.hh"

namespace oci_harden {

namespace {

// The annotations containerd's CRI plugin passes on to the runtime: oci-harden's opt-outs and
// exceptions (the policy still decides which of them count).
constexpr const char* kAnnotationPattern = "org.oci-harden.*";

void pretty(const Json& v, int depth, std::string* out) {
  std::string pad(static_cast<size_t>(2 * (depth + 1)), ' ');
  std::string close_pad(static_cast<size_t>(2 * depth), ' ');
  if (v.is_object() && !v.members().empty()) {
    *out += "{\n";
    for (size_t i = 0; i < v.members().size(); ++i) {
      *out += pad + to_json(Json::string(v.members()[i].first)) + ": ";
      pretty(v.members()[i].second, depth + 1, out);
      *out += i + 1 < v.members().size() ? ",\n" : "\n";
    }
    *out += close_pad + "}";
  } else if (v.is_array() && !v.items().empty()) {
    *out += "[\n";
    for (size_t i = 0; i < v.items().size(); ++i) {
      *out += pad;
      pretty(v.items()[i], depth + 1, out);
      *out += i + 1 < v.items().size() ? ",\n" : "\n";
    }
    *out += close_pad + "]";
  } else {
    *out += to_json(v);
  }
}

// ":LINE" for a JSON parse error that names its byte ("... at byte N: ..."), else "".
std::string json_error_line(const std::string& text, const std::string& message) {
  size_t at = message.find("at byte ");
  if (at == std::string::npos) return "";
  size_t byte = std::strtoul(message.c_str() + at + 8, nullptr, 10);
  size_t line = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) line += text[i] == '\n' ? 1 : 0;
  return ":" + std::to_string(line);
}

// Docker: runtimes.NAME = {"path": PATH} (never runtimeArgs: dockerd then writes a shell wrapper
// that does not exec, see README), default-runtime = NAME with --default.
Result<EngineConfigEdit> edit_docker(const std::string& text, const std::string& name, const EngineConfigRequest& r) {
  bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
  auto parsed = blank ? Result<Json>(Json::object()) : parse_json(text);
  if (!parsed) return make_error(ErrorCode::kSpec, name + json_error_line(text, parsed.error().message) +
                                                    ": not valid JSON: " + parsed.error().message);
  Json doc = std::move(*parsed);
  if (!doc.is_object()) return make_error(ErrorCode::kSpec, name + ": not a JSON object");
  EngineConfigEdit edit;
  Json* runtimes = doc.get_exact("runtimes");
  if (runtimes == nullptr) runtimes = &doc.set_exact("runtimes", Json::object());
  if (!runtimes->is_object()) return make_error(ErrorCode::kSpec, name + ": \"runtimes\" is not an object");
  Json wanted = Json::object();
  wanted.set_exact("path", Json::string(r.runtime_path));
  const Json* have = runtimes->get_exact(r.runtime_name);
  if (have == nullptr || *have != wanted) {
    runtimes->set_exact(r.runtime_name, wanted);
    edit.changed = true;
  }
  edit.done.push_back("runtimes." + r.runtime_name + ".path = " + r.runtime_path);
  if (r.make_default) {
    const Json* def = doc.get_exact("default-runtime");
    if (def == nullptr || !def->is_string() || def->text() != r.runtime_name) {
      doc.set_exact("default-runtime", Json::string(r.runtime_name));
      edit.changed = true;
    }
    edit.done.push_back("default-runtime = " + r.runtime_name);
  }
  if (!edit.changed) {
    edit.text = text;
    return edit;
  }
  edit.text = json_pretty(doc) + "\n";
  return edit;
}

Status set_toml(TomlDocument* doc, const TomlPath& path, const TomlValue& v, EngineConfigEdit* edit) {
  bool changed = false;
  auto st = doc->set(path, v, &changed);
  if (!st) return st;
  edit->changed = edit->changed || changed;
  edit->done.push_back(toml_path_text(path) + " = " + v.canonical);
  return Ok{};
}

// An array of strings with `item` added where it is missing (the others kept, in order).
Result<TomlValue> with_item(const TomlDocument& doc, const TomlPath& path, const std::string& item, const std::string& name) {
  std::vector<std::string> items;
  const TomlValue* have = doc.get(path);
  if (have != nullptr) {
    if (have->kind != TomlValue::Kind::kArray)
      return make_error(ErrorCode::kSpec, name + ": " + toml_path_text(path) + " is not an array");
    for (const auto& i : have->items) {
      if (i.kind != TomlValue::Kind::kString)
        return make_error(ErrorCode::kSpec, name + ": " + toml_path_text(path) + " holds a value that is not a string");
      items.push_back(i.text);
    }
  }
  bool present = false;
  for (const auto& i : items) present = present || i == item;
  if (!present) items.push_back(item);
  return TomlValue::string_array(items);
}

// containerd: the CRI plugin's runtimes.NAME (runc's v2 shim with BinaryName = oci-harden, the
// org.oci-harden.* annotations passed on), default_runtime_name with --default. Version 2 is
// containerd 1.x's (plugin io.containerd.grpc.v1.cri), version 3 is 2.x's
// (io.containerd.cri.v1.runtime); version 1 (or none) is refused: containerd reads its plugins
// under other names there, and `containerd config migrate` turns it into a current one.
Result<EngineConfigEdit> edit_containerd(const std::string& text, const std::string& name, const EngineConfigRequest& r) {
  auto parsed = TomlDocument::parse(text, name);
  if (!parsed) return parsed.error();
  TomlDocument doc = std::move(*parsed);
  const TomlValue* version = doc.get({"version"});
  TomlPath cri;
  if (version != nullptr && version->kind == TomlValue::Kind::kInteger && version->text == "2") {
    cri = {"plugins", "io.containerd.grpc.v1.cri", "containerd"};
  } else if (version != nullptr && version->kind == TomlValue::Kind::kInteger && version->text == "3") {
    cri = {"plugins", "io.containerd.cri.v1.runtime", "containerd"};
  } else {
    return make_error(ErrorCode::kSpec,
                      name + ": configuration version " + (version ? version->canonical : std::string("1 (no version key)")) +
                          " is not supported: version 2 (containerd 1.x) and 3 (containerd 2.x) are; "
                          "run `containerd config migrate` (containerd 1.7 and later) or edit it by hand");
  }
  EngineConfigEdit edit;
  // A CRI plugin the file disables never reads these runtimes: say so rather than pretend.
  if (const TomlValue* disabled = doc.get({"disabled_plugins"}); disabled != nullptr) {
    for (const auto& item : disabled->items) {
      if (item.text == cri[1] || item.text == "cri")
        edit.warnings.push_back(name + ": disabled_plugins disables the CRI plugin (\"" + item.text +
                                "\"): its runtimes, and this one, are used only once it is enabled; "
                                "ctr takes --runc-binary instead");
    }
  }
  TomlPath rt = cri;
  rt.insert(rt.end(), {"runtimes", r.runtime_name});
  auto at = [&](std::initializer_list<std::string> tail) {
    TomlPath p = rt;
    p.insert(p.end(), tail);
    return p;
  };
  auto st = set_toml(&doc, at({"runtime_type"}), TomlValue::string("io.containerd.runc.v2"), &edit);
  for (const char* key : {"pod_annotations", "container_annotations"}) {
    if (!st) return st.error();
    auto v = with_item(doc, at({key}), kAnnotationPattern, name);
    if (!v) return v.error();
    st = set_toml(&doc, at({key}), *v, &edit);
  }
  if (st) st = set_toml(&doc, at({"options", "BinaryName"}), TomlValue::string(r.runtime_path), &edit);
  if (st && r.make_default) {
    TomlPath def = cri;
    def.push_back("default_runtime_name");
    st = set_toml(&doc, def, TomlValue::string(r.runtime_name), &edit);
  }
  if (!st) return st.error();
  edit.text = edit.changed ? doc.text() : text;
  return edit;
}

// Podman: engine.runtimes.NAME = [PATH], engine.runtime = NAME with --default.
Result<EngineConfigEdit> edit_podman(const std::string& text, const std::string& name, const EngineConfigRequest& r) {
  auto parsed = TomlDocument::parse(text, name);
  if (!parsed) return parsed.error();
  TomlDocument doc = std::move(*parsed);
  EngineConfigEdit edit;
  Status st = Ok{};
  if (r.make_default) st = set_toml(&doc, {"engine", "runtime"}, TomlValue::string(r.runtime_name), &edit);
  if (st) st = set_toml(&doc, {"engine", "runtimes", r.runtime_name}, TomlValue::string_array({r.runtime_path}), &edit);
  if (!st) return st.error();
  edit.text = edit.changed ? doc.text() : text;
  return edit;
}

}  // namespace

std::optional<Engine> engine_named(const std::string& name) {
  if (name == "docker") return Engine::kDocker;
  if (name == "containerd") return Engine::kContainerd;
  if (name == "podman") return Engine::kPodman;
  return std::nullopt;
}

const char* engine_name(Engine engine) {
  switch (engine) {
    case Engine::kDocker: return "docker";
    case Engine::kContainerd: return "containerd";
    case Engine::kPodman: return "podman";
  }
  return "?";
}

const char* engine_config_path(Engine engine) {
  switch (engine) {
    case Engine::kDocker: return "/etc/docker/daemon.json";
    case Engine::kContainerd: return "/etc/containerd/config.toml";
    case Engine::kPodman: return "/etc/containers/containers.conf";
  }
  return "";
}

const char* engine_restart_hint(Engine engine) {
  switch (engine) {
    case Engine::kDocker: return "restart dockerd for it to take effect: systemctl restart docker";
    case Engine::kContainerd: return "restart containerd for it to take effect: systemctl restart containerd";
    case Engine::kPodman: return "no restart needed: podman reads containers.conf at every command";
  }
  return "";
}

bool valid_runtime_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return name != "." && name != "..";
}

Result<EngineConfigEdit> edit_engine_config(const std::string& text, const std::string& name,
                                            const EngineConfigRequest& request) {
  if (!valid_runtime_name(request.runtime_name))
    return make_error(ErrorCode::kUsage, "runtime name \"" + request.runtime_name + "\": use letters, digits, '-', '_' and '.'");
  if (request.runtime_path.empty() || request.runtime_path[0] != '/')
    return make_error(ErrorCode::kUsage, "runtime path \"" + request.runtime_path + "\" is not absolute");
  switch (request.engine) {
    case Engine::kDocker: return edit_docker(text, name, request);
    case Engine::kContainerd: return edit_containerd(text, name, request);
    case Engine::kPodman: return edit_podman(text, name, request);
  }
  return make_error(ErrorCode::kUsage, "unknown engine");
}

std::string json_pretty(const Json& value) {
  std::string out;
  pretty(value, 0, &out);
  return out;
}

}  // namespace oci_harden
