// runc's command line, parsed by its grammar rather than scanned for words: global flags, the
// subcommand, its flags (which may follow the container id, except for exec and ps), and the
// positional arguments. Go's flag syntax: -x and --x, -x=v and -x v, "--" ends the flags.
// Unknown flags are kept (and assumed to take no value): they are runc's to judge.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

struct RuncArgs {
  std::vector<std::string> argv;  // as given, argv[0] included

  // Global flags (before the subcommand).
  std::string root;
  std::string log;
  std::string log_format;  // "text" (runc's default) or "json"
  bool debug = false;
  bool help = false;       // --help / -h with no subcommand
  bool version = false;    // --version / -v with no subcommand

  std::string command;     // subcommand, "" if none
  // Subcommand flags in order, by canonical long name (aliases resolved: -b → bundle).
  std::vector<std::pair<std::string, std::string>> flags;
  // Where each entry of `flags` stands in argv: first index and number of words (1 or 2).
  std::vector<std::pair<size_t, size_t>> flag_spans;
  std::vector<std::string> positionals;  // container id first; exec: then the command

  // The last value of a subcommand flag, or nullptr.
  const std::string* flag(const std::string& name) const;
  std::vector<std::string> flag_values(const std::string& name) const;
  std::string container_id() const { return positionals.empty() ? "" : positionals[0]; }
};

Result<RuncArgs> parse_runc_args(const std::vector<std::string>& argv);

// True for the subcommands whose bundle config.json oci-harden rewrites.
bool rewrites_bundle(const std::string& command);

}  // namespace oci_harden
