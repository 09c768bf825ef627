// libFuzzer target: the decisions on a running container, `runc exec` and `runc update`, with
// the built-in policy and a fake host. Input: a JSON document (the exec --process object or the
// update -r resources), a NUL, then the runc argument words separated by NULs (the subcommand
// first: "update\0--pids-limit\0 99\0id"). Whatever is allowed must be a fixed point: judging
// the rewritten argv and object again changes and refuses nothing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/policy.hh"
#include "shim/core/runc_args.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

using namespace oci_harden;

namespace {

// The container the operation is on: a captured `docker run` config, hardened.
const Json& container() {
  static const Json spec = [] {
    auto parsed = parse_json(R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},
      "args":["sh"],"cwd":"/","noNewPrivileges":true,"capabilities":{
      "bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN","CAP_KILL"],
      "permitted":["CAP_CHOWN","CAP_KILL"]}},"root":{"path":"rootfs","readonly":true},
      "linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}})");
    if (!parsed) std::abort();
    return *parsed;
  }();
  return spec;
}

OperationDecision decide(const RuncArgs& args, const Json& doc, const Policy& policy,
                         const Host& host) {
  if (args.command == "update") return harden_update(args, doc, policy, host);
  if (doc.is_object()) return harden_exec_process(doc, container(), policy, host, args.argv);
  return harden_exec_flags(args, container(), policy, host);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Policy policy = *builtin_policy();
  static const FakeHost host;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  if (nul == std::string_view::npos) return 0;
  auto doc = parse_json(in.substr(0, nul));
  if (!doc) return 0;
  std::vector<std::string> argv = {"runc"};
  std::string cur;
  for (char c : in.substr(nul + 1)) {
    if (c == '\0') {
      argv.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  argv.push_back(cur);
  auto args = parse_runc_args(argv);
  if (!args || (args->command != "update" && args->command != "exec")) return 0;
  OperationDecision d = decide(*args, *doc, policy, host);
  if (d.refused()) return 0;
  auto again_args = parse_runc_args(d.argv);
  if (!again_args) std::abort();  // a rewritten argv runc's grammar no longer reads
  const Json& again_doc = args->command == "update" ? d.resources : (doc->is_object() ? d.process : *doc);
  OperationDecision d2 = decide(*again_args, again_doc, policy, host);
  if (d2.refused() || !d2.changes.empty()) std::abort();  // not a fixed point
  return 0;
}
