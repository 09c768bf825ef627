// Parsing runc's (and crun's) command line by its grammar.

#include "shim/core/runc_args.hh"

#include <algorithm>
#include <cstring>

namespace oci_harden {

namespace {

struct FlagSpec {
  const char* name;
  const char* alias;  // one-letter alias or nullptr
  bool takes_value;
};

// runc's global flags, plus crun's value-taking ones so that "--cgroup-manager systemd" is read
// as a flag and its value, not as a subcommand.
const FlagSpec kGlobalFlags[] = {
    {"debug", nullptr, false},     {"log", nullptr, true},
    {"log-format", nullptr, true}, {"root", nullptr, true},
    {"criu", nullptr, true},       {"systemd-cgroup", nullptr, false},
    {"rootless", nullptr, true},   {"help", "h", false},
    {"version", "v", false},       {"cgroup-manager", nullptr, true},
    {"log-level", nullptr, true},
};

// runc's create and run flags, plus crun's: --config/-f names the spec file crun reads instead of
// the bundle's config.json (bundle_command.cc refuses it), --no-subreaper is run's.
const FlagSpec kCreateFlags[] = {
    {"bundle", "b", true},       {"console-socket", nullptr, true},
    {"pid-file", nullptr, true}, {"preserve-fds", nullptr, true},
    {"no-pivot", nullptr, false}, {"no-new-keyring", nullptr, false},
    {"detach", "d", false},      {"keep", nullptr, false},
    {"config", "f", true},       {"no-subreaper", nullptr, false},
};

const FlagSpec kRestoreFlags[] = {
    {"bundle", "b", true},          {"console-socket", nullptr, true},
    {"pid-file", nullptr, true},    {"image-path", nullptr, true},
    {"work-path", nullptr, true},   {"manage-cgroups-mode", nullptr, true},
    {"empty-ns", nullptr, true},    {"lsm-profile", nullptr, true},
    {"lsm-mount-context", nullptr, true}, {"detach", "d", false},
    {"tcp-established", nullptr, false}, {"ext-unix-sk", nullptr, false},
    {"shell-job", nullptr, false},  {"file-locks", nullptr, false},
    {"no-subreaper", nullptr, false}, {"no-pivot", nullptr, false},
    {"auto-dedup", nullptr, false}, {"lazy-pages", nullptr, false},
};

const FlagSpec kExecFlags[] = {
    {"console-socket", nullptr, true}, {"cwd", nullptr, true},
    {"env", "e", true},                {"tty", "t", false},
    {"user", "u", true},               {"additional-gids", "g", true},
    {"process", "p", true},            {"detach", "d", false},
    {"pid-file", nullptr, true},       {"process-label", nullptr, true},
    {"apparmor", nullptr, true},       {"no-new-privs", nullptr, false},
    {"cap", "c", true},                {"preserve-fds", nullptr, true},
    {"cgroup", nullptr, true},         {"ignore-paused", nullptr, false},
};

const FlagSpec kUpdateFlags[] = {
    {"resources", "r", true},        {"blkio-weight", nullptr, true},
    {"cpu-period", nullptr, true},   {"cpu-quota", nullptr, true},
    {"cpu-rt-period", nullptr, true}, {"cpu-rt-runtime", nullptr, true},
    {"cpu-share", nullptr, true},    {"cpuset-cpus", nullptr, true},
    {"cpuset-mems", nullptr, true},  {"kernel-memory", nullptr, true},
    {"kernel-memory-tcp", nullptr, true}, {"memory", nullptr, true},
    {"memory-reservation", nullptr, true}, {"memory-swap", nullptr, true},
    {"pids-limit", nullptr, true},   {"l3-cache-schema", nullptr, true},
    {"mem-bw-schema", nullptr, true},
};

template <size_t N>
std::vector<FlagSpec> table(const FlagSpec (&t)[N]) {
  return std::vector<FlagSpec>(t, t + N);
}

std::vector<FlagSpec> flags_of(const std::string& command) {
  if (command == "create" || command == "run") return table(kCreateFlags);
  if (command == "restore") return table(kRestoreFlags);
  if (command == "exec") return table(kExecFlags);
  if (command == "update") return table(kUpdateFlags);
  return {};
}

const FlagSpec* lookup(const std::vector<FlagSpec>& specs, const std::string& name) {
  for (const FlagSpec& f : specs) {
    if (name == f.name || (f.alias != nullptr && name == f.alias)) return &f;
  }
  return nullptr;
}

// Splits "-x", "--x", "-x=v", "--x=v". Returns false for a non-flag ("-" or no dash).
bool split_flag(const std::string& arg, std::string* name, std::string* value, bool* has_value) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  size_t start = (arg[1] == '-') ? 2 : 1;
  if (start >= arg.size()) return false;  // "--" is handled by the caller
  size_t eq = arg.find('=', start);
  *has_value = eq != std::string::npos;
  *name = arg.substr(start, *has_value ? eq - start : std::string::npos);
  *value = *has_value ? arg.substr(eq + 1) : "";
  return !name->empty();
}

// The two grammars this parser must agree with. runc reads flags with Go's flag package: "-x"
// and "--x" are the same, a value follows after "=" or as the next word, and a name matches only
// exactly. crun reads them with GNU argp: "-bDIR" and "-dbDIR" are short flags with an attached
// value, "-b=DIR" gives the value "=DIR", and "--bun" is any unambiguous prefix of "--bundle".
// A long name is resolved as both do (exactly, else by unique prefix: runc fails on a prefix, so
// reading it as crun does never hides what runc would run). A single-dash word that crun reads as
// a short-flag cluster reaching a flag with a value ("-bundle" is "-b undle" to crun, "--bundle"
// to runc) is refused: the two runtimes would read different files from it.
Status check_short_cluster(const std::vector<FlagSpec>& specs, const std::string& command,
                           const std::string& arg) {
  if (arg.size() <= 2 || arg[0] != '-' || arg[1] == '-') return Ok{};
  for (size_t k = 1; k < arg.size(); ++k) {
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& f : specs) {
      if (f.alias != nullptr && f.alias[0] == arg[k] && f.alias[1] == '\0') spec = &f;
    }
    if (spec == nullptr) return Ok{};  // crun: an invalid option, it stops there
    if (spec->takes_value) {
      return make_error(ErrorCode::kUsage,
                        command + ": \"" + arg + "\" is read as -" + arg[k] + " " +
                            (k + 1 < arg.size() ? arg.substr(k + 1) : std::string("(the next word)")) +
                            " by crun and as another flag by runc; write --" + spec->name + " VALUE");
    }
  }
  return Ok{};
}

// A "--name" that is not a flag's exact name or alias: the flag it is an unambiguous prefix of,
// as argp reads it; nullptr when none; an error when several.
Result<const FlagSpec*> lookup_prefix(const std::vector<FlagSpec>& specs, const std::string& command,
                                      const std::string& name) {
  const FlagSpec* found = nullptr;
  for (const FlagSpec& f : specs) {
    if (std::strncmp(f.name, name.c_str(), name.size()) != 0) continue;
    if (found != nullptr) {
      return make_error(ErrorCode::kUsage, command + ": --" + name + " is ambiguous (--" + found->name +
                                               ", --" + f.name + ")");
    }
    found = &f;
  }
  return found;
}

// Commands whose flags runc reads only before the first positional (the rest is the command).
bool flags_stop_at_positional(const std::string& command) {
  return command == "exec" || command == "ps";
}

}  // namespace

const std::string* RuncArgs::flag(const std::string& name) const {
  const std::string* found = nullptr;
  for (const auto& [k, v] : flags) {
    if (k == name) found = &v;  // Go's flag package: the last occurrence wins
  }
  return found;
}

std::vector<std::string> RuncArgs::flag_values(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : flags) {
    if (k == name) out.push_back(v);
  }
  return out;
}

Result<RuncArgs> parse_runc_args(const std::vector<std::string>& argv) {
  RuncArgs out;
  out.argv = argv;
  const auto globals = table(kGlobalFlags);
  size_t i = 1;
  for (; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    std::string name, value;
    bool has_value = false;
    if (!split_flag(arg, &name, &value, &has_value)) break;  // the subcommand
    const FlagSpec* spec = lookup(globals, name);
    if (spec != nullptr && spec->takes_value && !has_value) {
      if (i + 1 >= argv.size()) {
        return make_error(ErrorCode::kUsage, "flag needs an argument: " + arg);
      }
      value = argv[++i];
    }
    if (spec == nullptr) continue;  // unknown: runc's to judge
    std::string n = spec->name;
    bool on = !has_value || value == "true" || value == "1";
    if (n == "root") out.root = value;
    else if (n == "log") out.log = value;
    else if (n == "log-format") out.log_format = value;
    else if (n == "debug") out.debug = on;
    else if (n == "help") out.help = on;
    else if (n == "version") out.version = on;
  }
  if (i >= argv.size()) return out;
  out.command = argv[i++];
  const auto specs = flags_of(out.command);
  bool flags_done = false;
  for (; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (flags_done) {
      out.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string name, value;
    bool has_value = false;
    if (!split_flag(arg, &name, &value, &has_value)) {
      out.positionals.push_back(arg);
      if (flags_stop_at_positional(out.command)) flags_done = true;
      continue;
    }
    auto cluster = check_short_cluster(specs, out.command, arg);
    if (!cluster) return cluster.error();
    const FlagSpec* spec = lookup(specs, name);
    if (spec == nullptr && arg.compare(0, 2, "--") == 0) {
      auto prefixed = lookup_prefix(specs, out.command, name);
      if (!prefixed) return prefixed.error();
      spec = *prefixed;
    }
    size_t first = i;
    if (spec != nullptr && spec->takes_value && !has_value) {
      if (i + 1 >= argv.size()) {
        return make_error(ErrorCode::kUsage, out.command + ": flag needs an argument: " + arg);
      }
      value = argv[++i];
    } else if (spec != nullptr && !spec->takes_value && !has_value) {
      value = "true";
    }
    out.flags.emplace_back(spec != nullptr ? spec->name : name, value);
    out.flag_spans.emplace_back(first, i - first + 1);
  }
  return out;
}

bool rewrites_bundle(const std::string& command) {
  return command == "create" || command == "run" || command == "restore";
}

}  // namespace oci_harden
