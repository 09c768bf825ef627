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
// Allowed: character-device rules naming a major number ('c 136:* rwm' for /dev/pts, 'c 10:229
// rwm' for a FUSE device an engine passes later), block-device rules backed by an allowed node,
// and wildcard rules that only allow mknod ('c *:* m', which every engine adds): a node made
// without read or write permission opens nothing.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../rule.hh"
#include "../spec.hh"

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

std::string lexical(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string seg = path.substr(i, j - i);
    i = j + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(seg);
    }
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string number_text(std::optional<int64_t> n) {
  return !n || *n < 0 ? "*" : std::to_string(*n);
}

// The rule as --device-cgroup-rule spells it: "c *:* rwm".
std::string rule_text(const std::string& type, const Json& rule, const std::string& access) {
  return type + " " + number_text(int_field(&rule, "major")) + ":" +
         number_text(int_field(&rule, "minor")) + " " + access;
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

std::string node_problem(const Json& node, const std::vector<std::string>& allowed);

// The numbers of the device nodes in linux.devices that the policy allows.
std::vector<NodeNumbers> allowed_nodes(RuleContext& ctx) {
  std::vector<NodeNumbers> out;
  const Json* nodes = field_at(ctx.spec(), "linux.devices");
  if (nodes == nullptr) return out;
  std::vector<std::string> allowed = allowed_paths(ctx);
  for (const Json& node : nodes->items()) {
    if (!node.is_object() || !node_problem(node, allowed).empty()) continue;
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

void judge_cgroup_rules(RuleContext& ctx) {
  const Json* rules = field_at(ctx.spec(), "linux.resources.devices");
  if (rules == nullptr) return;
  std::optional<std::vector<NodeNumbers>> nodes;  // read once, when a block rule needs it
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
    if (opens && type == "b") {
      if (!nodes) nodes = allowed_nodes(ctx);
      if (!backed_by_node(*nodes, type, major, int_field(&rule, "minor"))) {
        ctx.refuse(where + " (" + rule_text(type, rule, access) +
                   ") opens host block devices that no allowed node in linux.devices carries "
                   "(list the device in the policy's allowed_devices and pass it with --device)");
      }
    }
  }
}

// Empty when the node is allowed; otherwise why not.
std::string node_problem(const Json& node, const std::vector<std::string>& allowed) {
  std::string path = lexical(string_field(&node, "path").value_or(""));
  if (std::find(allowed.begin(), allowed.end(), path) == allowed.end()) return "not listed";
  std::string type = string_field(&node, "type").value_or("");
  for (const KnownDevice& d : kKnownDevices) {
    if (path != d.path) continue;
    if (type != std::string(1, d.type) || int_field(&node, "major") != d.major ||
        int_field(&node, "minor") != d.minor) {
      return "numbers " + type + " " + number_text(int_field(&node, "major")) + ":" +
             number_text(int_field(&node, "minor")) + " are not " + d.path + "'s";
    }
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
    std::string problem = node_problem(node, allowed);
    if (problem.empty()) continue;
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
