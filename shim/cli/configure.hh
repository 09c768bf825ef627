// oci-hardenctl configure: an engine's configuration file read, edited (shim/core/engine_config),
// backed up when it changes, and replaced by rename with its mode and owner kept. Nothing is
// written for a dry run or for a file that is already configured.
#pragma once

#include <string>
#include <vector>

#include "shim/core/engine_config.hh"
#include "shim/core/result.hh"

namespace oci_harden {

struct ConfigureOptions {
  EngineConfigRequest request;
  std::string config_path;  // empty: the engine's default file
  bool dry_run = false;
};

struct ConfigureOutcome {
  std::string path;          // the file edited
  bool existed = true;       // false: it was created
  std::string started_from;  // what a missing file started as ("empty", "containerd config default")
  bool changed = false;
  std::string text;          // the file as it is (or would be, for a dry run) after the edit
  std::string backup_path;   // the copy of the old file, when one was made
  std::vector<std::string> done;
  std::vector<std::string> warnings;
};

Result<ConfigureOutcome> configure_engine(const ConfigureOptions& options);

// oci-harden beside the running oci-hardenctl when it is there, else /usr/local/bin/oci-harden.
std::string default_runtime_path();

}  // namespace oci_harden
