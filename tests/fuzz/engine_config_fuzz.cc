// libFuzzer target: oci-hardenctl configure's readers and editors (shim/core/toml_edit,
// shim/core/engine_config). The first byte picks the engine, the rest is the file. Whatever
// parses must give its text back unchanged; an edit that succeeds must give a file that parses
// again and that a second edit leaves unchanged (idempotence), still holding the setting.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "shim/core/engine_config.hh"
#include "shim/core/toml_edit.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace oci_harden;
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto doc = TomlDocument::parse(text, "f");
  if (doc && doc->text() != text) std::abort();
  EngineConfigRequest r;
  r.engine = data[0] % 3 == 0 ? Engine::kDocker : data[0] % 3 == 1 ? Engine::kContainerd : Engine::kPodman;
  r.runtime_path = "/usr/local/bin/oci-harden";
  r.make_default = (data[0] & 4) != 0;
  auto edit = edit_engine_config(text, "f", r);
  if (!edit) return 0;
  if (r.engine != Engine::kDocker && !TomlDocument::parse(edit->text, "f")) std::abort();
  auto again = edit_engine_config(edit->text, "f", r);
  if (!again || again->changed || again->text != edit->text) std::abort();
  if (edit->text.find("/usr/local/bin/oci-harden") == std::string::npos) std::abort();
  return 0;
}
