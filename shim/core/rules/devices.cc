// Rule "devices": the container reaches only the host devices the administrator listed (CIS
// Docker 5.17 "host devices are not directly exposed to containers").
//
// Refused:
//   - a device cgroup rule (linux.resources.devices[]) with allow: true that allows every
//     device: type "a", or no type (the runtime-spec's default is "a"), whatever its major,
//     minor and access, because the kernel's v1 controller and runc's emulator for v2 reset the
//     whole list on an "a" rule (--privileged, --device-cgroup-rule 'a *:* rwm');
//   - such a rule of type "c" or "b" that allows reading or writing every major number (major
//     absent or -1, the runtime-spec's wildcard): 'c *:* rw' opens every character device the
//     container can mknod, and 'c *:3 rw' opens minor 3 of every driver;
//   - a device node (linux.devices[]) whose path is not in the policy's allowed_devices, or that
//     is listed but carries numbers other than that device's (a node named /dev/fuse made from
//     the host disk's numbers).
//   - a rule of type "b" that allows reading or writing a block device (a host disk, through a
//     node the container makes with CAP_MKNOD) unless an allowed node in linux.devices carries
//     exactly those numbers (what `--device /dev/sdb` produces): 'b 8:0 rw' alone, or 'b 7:* rwm'.
//   - a rule of type "c" that allows reading or writing a character device outside an allow-list:
//     the devices every runtime gives every container (runc 1.1.5's specconv.AllowedDevices,
//     Docker's and containerd's default spec: null 1:3, zero 1:5, full 1:7, random 1:8,
//     urandom 1:9, tty 5:0, console 5:1, ptmx 5:2, the pts 136:*, tun 10:200) and the numbers
//     that the policy's allowed_devices have on this host. With CAP_MKNOD a container makes any
//     node it likes, so the rule alone decides what opens: 'c 1:1 r' reads host memory, 'c 4:*
//     rwm' the host's virtual consoles, 'c 7:* rwm' their screens (vcsa), 'c 1:11 w' the kernel
//     log, 'c 10:232 rw' /dev/kvm. A wildcard minor is allowed only where the allow-list has it
//     (136, the pts): 'c 10:* rwm' is every misc device, kvm included.
//   - a device node whose numbers are not those of the device at its path on the host (or, where
//     the host has none there, of the well-known device of that name): the numbers, not the
//     name, decide what it opens.
// GPUs and CDI (allowed_device_numbers, issue 17.2): numbers the policy allows whatever the
// node's name ("c 195:*" the NVIDIA GPUs, "c nvidia-uvm:*" a major by its driver's name in
// /proc/devices). A cgroup rule passes when its numbers lie inside an entry (a wildcard minor
// only inside a wildcard entry); a node passes when its numbers do, it lies under /dev, and the
// host has at its path either nothing (runc makes the node from the numbers) or a device of
// exactly those numbers: in a user namespace runc binds the HOST's file at the node's path, so
// /dev/sda (or /etc/shadow) declared as c 195:0 would hand over the disk (or the file).
// Allowed: the allow-list above, block-device rules backed by an allowed node, rules with
// allow: false, and rules that only allow mknod ('c *:* m', which every engine adds): a node
// made without read or write permission opens nothing.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shim/core/lexical_path.hh"
#include "shim/core/policy.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

// Devices whose numbers the kernel fixes (Documentation/admin-guide/devices.txt), so a node
// under one of these names can be checked without asking the host.
struct KnownDevice {
  const char* path;
  char type;
  int64_t major, minor;
};

const KnownDevice kKnownDevices[] = {
    {"/dev/null", 'c', 1, 3},      {"/dev/zero", 'c', 1, 5},    {"/dev/full", 'c', 1, 7},
    {"/dev/random", 'c', 1, 8},    {"/dev/urandom", 'c', 1, 9}, {"/dev/tty", 'c', 5, 0},
    {"/dev/console", 'c', 5, 1},   {"/dev/ptmx", 'c', 5, 2},    {"/dev/net/tun", 'c', 10, 200},
    {"/dev/fuse", 'c', 10, 229},   {"/dev/kvm", 'c', 10, 232},
};

// The character devices every runtime opens to every container; minor -1 is every minor.
const KnownDevice kDefaultCharDevices[] = {
    {"/dev/null", 'c', 1, 3},   {"/dev/zero", 'c', 1, 5},    {"/dev/full", 'c', 1, 7},
    {"/dev/random", 'c', 1, 8}, {"/dev/urandom", 'c', 1, 9}, {"/dev/tty", 'c', 5, 0},
    {"/dev/console", 'c', 5, 1}, {"/dev/ptmx", 'c', 5, 2},   {"/dev/pts/*", 'c', 136, -1},
    {"/dev/net/tun", 'c', 10, 200},
};

// What a character major (and, for the memory devices, minor) is, for refusals
// (Documentation/admin-guide/devices.txt).
std::string char_device_name(int64_t major, std::optional<int64_t> minor) {
  if (major == 1 && minor) {
    switch (*minor) {
      case 1: return "/dev/mem, the host's physical memory";
      case 2: return "/dev/kmem, the host kernel's memory";
      case 4: return "/dev/port, the host's I/O ports";
      case 11: return "/dev/kmsg, the host kernel's log";
      default: break;
    }
  }
  switch (major) {
    case 1: return "the memory devices (/dev/mem, /dev/kmem, /dev/port, /dev/kmsg)";
    case 4: return "the host's virtual consoles and serial ports (/dev/tty0../dev/tty63, /dev/ttyS*)";
    case 5: return "/dev/tty, /dev/console, /dev/ptmx and the callout devices";
    case 7: return "the host's console screens (/dev/vcs*, /dev/vcsa*)";
    case 10:
      if (minor && *minor == 232) return "/dev/kvm";
      if (minor && *minor == 229) return "/dev/fuse";
      return "the misc devices (/dev/kvm, /dev/fuse, /dev/loop-control, ...)";
    case 13: return "the host's input devices (/dev/input/*)";
    case 29: return "the host's framebuffers (/dev/fb*)";
    case 189: return "the host's raw USB devices";
    case 226: return "the host's GPUs (/dev/dri/*)";
    default: return "a host device";
  }
}

std::string number_text(std::optional<int64_t> n) {
  return !n || *n < 0 ? "*" : std::to_string(*n);
}

// The rule as --device-cgroup-rule spells it: "c *:* rwm".
std::string rule_text(const std::string& type, const Json& rule, const std::string& access) {
  return type + " " + number_text(int_field(&rule, "major")) + ":" +
         number_text(int_field(&rule, "minor")) + " " + access;
}

// GPUs and CDI: the policy's allowed_device_numbers with driver names resolved on this host (a
// driver that is not loaded allows nothing); /proc/devices is read only for a name.
struct NumberRange {
  char type;
  int64_t major, minor;  // minor -1: every minor
};

std::vector<NumberRange> allowed_number_ranges(const RuleContext& ctx) {
  std::vector<NumberRange> out;
  for (const Policy::DeviceNumbers& d : ctx.policy().allowed_device_numbers) {
    std::optional<int64_t> major = d.major;
    if (!d.driver.empty()) major = ctx.host().driver_major(d.type, d.driver);
    if (major && *major >= 0) out.push_back(NumberRange{d.type, *major, d.minor});
  }
  return out;
}

// Whether the numbers lie inside an allowed range: an exact minor inside an exact or a wildcard
// entry, a wildcard minor (absent or -1) only inside a wildcard entry.
bool in_number_ranges(const std::vector<NumberRange>& ranges, char type, int64_t major,
                      std::optional<int64_t> minor) {
  bool any_minor = !minor || *minor < 0;
  return std::any_of(ranges.begin(), ranges.end(), [&](const NumberRange& r) {
    return r.type == type && r.major == major && (r.minor < 0 || (!any_minor && r.minor == *minor));
  });
}

struct NodeNumbers {
  std::string type;
  std::optional<int64_t> major, minor;
};

std::vector<std::string> allowed_paths(const RuleContext& ctx) {
  std::vector<std::string> allowed;
  for (const auto& p : ctx.policy().allowed_devices) allowed.push_back(lexical(p));
  return allowed;
}

// What the device at an allowed path is: the host's node there, else the well-known device of
// that name; nullopt when neither exists.
std::optional<Host::DeviceNode> true_device(const RuleContext& ctx, const std::string& path) {
  if (auto dev = ctx.host().device_at(path)) return dev;
  for (const KnownDevice& d : kKnownDevices) {
    if (path == d.path) return Host::DeviceNode{d.type, d.major, d.minor};
  }
  return std::nullopt;
}

std::string node_problem(const RuleContext& ctx, const Json& node,
                         const std::vector<std::string>& allowed);

// The numbers of the device nodes in linux.devices that the policy allows.
std::vector<NodeNumbers> allowed_nodes(RuleContext& ctx) {
  std::vector<NodeNumbers> out;
  const Json* nodes = field_at(ctx.spec(), "linux.devices");
  if (nodes == nullptr) return out;
  std::vector<std::string> allowed = allowed_paths(ctx);
  for (const Json& node : nodes->items()) {
    if (!node.is_object() || !node_problem(ctx, node, allowed).empty()) continue;
    out.push_back({string_field(&node, "type").value_or(""), int_field(&node, "major"),
                   int_field(&node, "minor")});
  }
  return out;
}

// A block-device rule that reads or writes is backed when an allowed node has its exact numbers.
bool backed_by_node(const std::vector<NodeNumbers>& nodes, const std::string& type,
                    std::optional<int64_t> major, std::optional<int64_t> minor) {
  if (!major || *major < 0 || !minor || *minor < 0) return false;
  return std::any_of(nodes.begin(), nodes.end(), [&](const NodeNumbers& n) {
    return n.type == type && n.major == major && n.minor == minor;
  });
}

bool in_defaults(int64_t major, std::optional<int64_t> minor) {
  bool any_minor = !minor || *minor < 0;
  return std::any_of(std::begin(kDefaultCharDevices), std::end(kDefaultCharDevices),
                     [&](const KnownDevice& d) {
                       return d.major == major && (d.minor < 0 || (!any_minor && d.minor == *minor));
                     });
}

// The character devices the policy's allowed_devices are on this host (one stat each, made only
// when a rule outside the defaults asks).
std::vector<Host::DeviceNode> allowed_char_devices(const RuleContext& ctx) {
  std::vector<Host::DeviceNode> out;
  for (const std::string& path : allowed_paths(ctx)) {
    auto dev = true_device(ctx, path);
    if (dev && dev->type == 'c') out.push_back(*dev);
  }
  return out;
}

// Why this is safe: with CAP_MKNOD the container makes a node of any numbers, so a read or write
// rule is judged by the numbers it opens, never by a node's name; a wildcard minor opens every
// device of the driver, so only an exact allowed number matches it.
void judge_char_rule(RuleContext& ctx, const std::string& where, const Json& rule,
                     const std::string& access,
                     std::optional<std::vector<Host::DeviceNode>>& allowed) {
  int64_t major = *int_field(&rule, "major");
  std::optional<int64_t> minor = int_field(&rule, "minor");
  if (in_defaults(major, minor)) return;
  bool any_minor = !minor || *minor < 0;
  if (!any_minor) {
    if (!allowed) allowed = allowed_char_devices(ctx);
    bool listed = std::any_of(allowed->begin(), allowed->end(), [&](const Host::DeviceNode& d) {
      return d.major == major && d.minor == *minor;
    });
    if (listed) return;
  }
  if (!ctx.policy().allowed_device_numbers.empty()) {
    if (in_number_ranges(allowed_number_ranges(ctx), 'c', major, minor)) return;
    ctx.refuse(where + " (" + rule_text("c", rule, access) + ") opens " +
               (any_minor ? "every minor of " : "") + char_device_name(major, minor) +
               ", which is neither a runtime default device nor in the policy's allowed_devices "
               "or allowed_device_numbers");
    return;
  }
  ctx.refuse(where + " (" + rule_text("c", rule, access) + ") opens " +
             (any_minor ? "every minor of " : "") + char_device_name(major, minor) +
             ", which is neither a runtime default device nor in the policy's allowed_devices");
}

void judge_cgroup_rules(RuleContext& ctx) {
  const Json* rules = field_at(ctx.spec(), "linux.resources.devices");
  if (rules == nullptr) return;
  std::optional<std::vector<NodeNumbers>> nodes;  // read once, when a block rule needs it
  std::optional<std::vector<Host::DeviceNode>> allowed_chars;  // likewise, for a char rule
  for (size_t i = 0; i < rules->items().size(); ++i) {
    const Json& rule = rules->items()[i];
    if (!bool_field(&rule, "allow").value_or(false)) continue;
    std::string where = json_path_index("linux.resources.devices", i);
    // runc refuses an empty access; read it as "rwm" so that nothing hinges on that.
    std::string access = string_field(&rule, "access").value_or("");
    if (access.empty()) access = "rwm";
    std::string type = string_field(&rule, "type").value_or("a");
    // Why this is safe: any type but "b" and "c" is judged as "a" (runc refuses other types).
    if (type != "b" && type != "c") {
      ctx.refuse(where + " (" + rule_text("a", rule, access) + ") allows every host device");
      continue;
    }
    std::optional<int64_t> major = int_field(&rule, "major");
    bool opens = access.find_first_of("rw") != std::string::npos;
    if (opens && (!major || *major < 0)) {
      ctx.refuse(where + " (" + rule_text(type, rule, access) + ") allows every host " +
                 (type == "c" ? "character" : "block") + " device" +
                 (int_field(&rule, "minor").value_or(-1) < 0 ? "" : " with that minor number"));
      continue;
    }
    if (opens && type == "c") judge_char_rule(ctx, where, rule, access, allowed_chars);
    if (opens && type == "b") {
      if (!nodes) nodes = allowed_nodes(ctx);
      if (!backed_by_node(*nodes, type, major, int_field(&rule, "minor")) &&
          !in_number_ranges(allowed_number_ranges(ctx), 'b', *major, int_field(&rule, "minor"))) {
        ctx.refuse(where + " (" + rule_text(type, rule, access) +
                   ") opens host block devices that no allowed node in linux.devices carries "
                   "(list the device in the policy's allowed_devices and pass it with --device)");
      }
    }
  }
}

// GPUs and CDI: empty when a node off allowed_devices is allowed by its numbers; otherwise why
// not ("not listed" when its numbers are outside allowed_device_numbers too).
std::string node_numbers_problem(const RuleContext& ctx, const Json& node, const std::string& path) {
  std::string type = string_field(&node, "type").value_or("");
  std::optional<int64_t> major = int_field(&node, "major"), minor = int_field(&node, "minor");
  std::string numbers = "numbers " + type + " " + number_text(major) + ":" + number_text(minor);
  if (type.size() != 1 || !major || *major < 0 || !minor || *minor < 0 ||
      !in_number_ranges(allowed_number_ranges(ctx), type[0], *major, minor)) {
    return "not listed";
  }
  // The host file runc binds is the written path as the kernel resolves it (symlinks, ".."):
  // "/dev/fd/../status" is /proc/self/status. Both spellings must lie under /dev.
  std::string canon = ctx.host().canonical_path(string_field(&node, "path").value_or("/"));
  if (!strictly_under("/dev", path) || !strictly_under("/dev", canon)) {
    return numbers + " are allowed (allowed_device_numbers), but only for a node under /dev, and " +
           (canon == path ? path : path + " (on the host " + canon + ")") + " is not";
  }
  if (std::optional<Host::DeviceNode> dev = ctx.host().device_at(canon)) {
    if (dev->type == type[0] && dev->major == *major && dev->minor == *minor) return "";
    return numbers + " are not " + path + "'s on the host (" + std::string(1, dev->type) + " " +
           std::to_string(dev->major) + ":" + std::to_string(dev->minor) + ", " +
           (dev->type == 'c' ? char_device_name(dev->major, dev->minor) : "a host block device") +
           "), which runc binds instead in a user namespace";
  }
  // Why this is safe: in a user namespace runc binds the host's file at the node's path, so a
  // path that is something other than a device there (a file, a directory) is refused; where
  // there is nothing, runc makes the node from the numbers (or fails to bind it).
  if (ctx.host().path_identity(canon)) {
    return numbers + ": the host's " + path + " is not a device node, and runc binds it into the "
           "container in a user namespace";
  }
  return "";
}

// Empty when the node is allowed; otherwise why not. The node must carry the numbers of the
// device at its path on the host (the engine made it from that device), or of the well-known
// device of that name where the host has none.
std::string node_problem(const RuleContext& ctx, const Json& node,
                         const std::vector<std::string>& allowed) {
  std::string path = lexical(string_field(&node, "path").value_or(""));
  if (std::find(allowed.begin(), allowed.end(), path) == allowed.end()) {
    return ctx.policy().allowed_device_numbers.empty() ? "not listed" : node_numbers_problem(ctx, node, path);
  }
  std::string type = string_field(&node, "type").value_or("");
  std::string numbers = "numbers " + type + " " + number_text(int_field(&node, "major")) + ":" +
                        number_text(int_field(&node, "minor"));
  std::optional<Host::DeviceNode> dev = true_device(ctx, path);
  if (!dev) return numbers + ": the host has no device at " + path;
  if (type != std::string(1, dev->type) || int_field(&node, "major") != dev->major ||
      int_field(&node, "minor") != dev->minor) {
    return numbers + " are not " + path + "'s (" + std::string(1, dev->type) + " " +
           std::to_string(dev->major) + ":" + std::to_string(dev->minor) + ")";
  }
  return "";
}

void judge_nodes(RuleContext& ctx) {
  const Json* nodes = field_at(ctx.spec(), "linux.devices");
  if (nodes == nullptr) return;
  std::vector<std::string> allowed = allowed_paths(ctx);
  std::vector<std::string> unlisted;
  std::string first_where;
  for (size_t i = 0; i < nodes->items().size(); ++i) {
    const Json& node = nodes->items()[i];
    std::string path = string_field(&node, "path").value_or("");
    std::string where = json_path_index("linux.devices", i);
    std::string problem = node_problem(ctx, node, allowed);
    if (problem.empty()) continue;
    if (problem == "not listed" && !ctx.policy().allowed_device_numbers.empty()) {
      problem = "numbers " + string_field(&node, "type").value_or("") + " " +
                number_text(int_field(&node, "major")) + ":" + number_text(int_field(&node, "minor")) +
                " (" + char_device_name(int_field(&node, "major").value_or(-1), int_field(&node, "minor")) +
                ") are in neither the policy's allowed_device_numbers nor, by path, its allowed_devices";
    }
    if (problem != "not listed") {
      ctx.refuse("device " + path + " (" + where + "): " + problem);
      continue;
    }
    if (unlisted.empty()) first_where = where;
    unlisted.push_back(path);
  }
  // One refusal for all unlisted nodes: --privileged alone passes every host device.
  if (unlisted.size() == 1) {
    ctx.refuse("device " + unlisted[0] + " (" + first_where +
               ") is not in the policy's allowed_devices (--device)");
  } else if (unlisted.size() > 1) {
    std::string names;
    for (size_t i = 0; i < unlisted.size() && i < 5; ++i) names += (i ? ", " : "") + unlisted[i];
    if (unlisted.size() > 5) names += " and " + std::to_string(unlisted.size() - 5) + " more";
    ctx.refuse("linux.devices passes host devices not in the policy's allowed_devices: " + names);
  }
}

}  // namespace

void rule_devices(RuleContext& ctx) {
  judge_cgroup_rules(ctx);
  judge_nodes(ctx);
}

}  // namespace oci_harden
