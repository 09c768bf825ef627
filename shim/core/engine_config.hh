// Wiring oci-harden into an engine's own configuration file, as text in and text out (the file
// itself is read, backed up and replaced in shim/cli/configure.cc): Docker's daemon.json,
// containerd's config.toml (versions 2 and 3) and Podman's containers.conf. An edit is
// idempotent (a configured file comes back unchanged) and keeps everything it does not set.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

enum class Engine { kDocker, kContainerd, kPodman };

std::optional<Engine> engine_named(const std::string& name);
const char* engine_name(Engine engine);
// The configuration file the engine reads by default.
const char* engine_config_path(Engine engine);
// What the administrator runs for the engine to read the edited file.
const char* engine_restart_hint(Engine engine);

struct EngineConfigRequest {
  Engine engine = Engine::kDocker;
  std::string runtime_name = "hardened";  // the name the engine will know the runtime by
  std::string runtime_path;               // absolute path of oci-harden
  bool make_default = false;              // also make it the engine's default runtime
};

struct EngineConfigEdit {
  std::string text;                 // the file as it should be
  bool changed = false;             // whether text differs from the input
  std::vector<std::string> done;    // one line per setting, "key = value"
  std::vector<std::string> warnings;  // what makes the setting moot (a disabled CRI plugin)
};

// A runtime name an engine accepts in every place it is written (a TOML bare key, a JSON key,
// a --runtime flag): letters, digits, '-', '_' and '.'.
bool valid_runtime_name(const std::string& name);

// Edits `text` (the file's contents; empty for a file that does not exist yet) for the request.
// `name` names the file in errors ("FILE:LINE: what is wrong"); a file that does not parse, or
// that holds a setting in a shape the edit cannot keep, is refused and nothing is changed.
Result<EngineConfigEdit> edit_engine_config(const std::string& text, const std::string& name,
                                            const EngineConfigRequest& request);

// The JSON pretty form daemon.json is written in (two spaces, one member per line).
class Json;
std::string json_pretty(const Json& value);

}  // namespace oci_harden
