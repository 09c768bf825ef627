// Rule "seccomp" (CIS 5.21): install the policy's seccomp profile where linux.seccomp is absent
// (Docker's --security-opt seccomp=unconfined removes it), or always when seccomp.replace is
// true. Capability-aware, like Docker's generator: the groups of
// profiles/seccomp-capability-groups.json (syscalls that only make sense with a capability:
// mount and unshare with CAP_SYS_ADMIN, reboot with CAP_SYS_BOOT, ...) are added only when the
// final bounding set — after the capabilities rule — keeps that capability, so dropping a
// capability also shrinks the syscall list.
//
// Architectures: a profile written for several kinds of host (the shipped ones list x86_64, x86,
// x32, aarch64 and arm) is installed with only the architectures this host's kernel can present
// to a filter: the one oci-harden was built for and the compat ABIs its kernel runs (x32 only
// where the kernel was built with it: Host::runs_x32_syscalls). runc and crun compile a filter
// section for every architecture listed, and one that can never match costs as much as one that
// can (bench/results.md: 12.6 ms of runc's start for the two arm ones on x86_64; the x32 section
// is a third of the default profile's compilation). A call of an ABI left out reaches the
// filter's bad-architecture action (killed), as the kernel without that ABI refuses it anyway.
// A profile that lists none of them is installed as written.
//
// A profile the spec already carries (every Docker and Podman container has one; `--security-opt
// seccomp=FILE` hands in any) is judged by what its filter does (shim/core/seccomp_effect.hh says
// how, and against which reference profiles): one that lets through a call the policy's profile
// would deny, and that no accepted engine default lets through either, is replaced by the
// policy's profile (seccomp.weaker: replace) or refused (refuse); the record names the calls
// that were open. A profile identical to the policy's or to an accepted engine default is kept
// without compiling anything (same text, same filter); only other profiles cost a compilation.
// Which engine defaults count for this container: Docker's for every container (it opens no
// unshare, keyctl, mount or setns; containerd's own default, which `ctr run --seccomp` and
// Kubernetes' RuntimeDefault install, is derived from it, so Kubernetes and ctr containers are
// judged against it too; a bundle in containerd's namespace "moby" would prove nothing, any ctr
// user can name that namespace). Podman's only for a container whose bundle is Podman's own:
// <storage root>/<driver>-containers/<container id>/userdata, with the id of the command line
// (shim/core/engine_bundle.hh; CRI-O's bundles have the same shape and its default is the same
// containers/common profile). Podman's default allows unshare (so CLONE_NEWUSER), keyctl, mount
// and setns: accepted everywhere, any container could carry it (`ctr run --config`,
// `docker run --security-opt seccomp=podman.json`). The spec's annotations ("libpod") are not
// asked: the spec's author writes them. The record of a replaced or refused profile names the
// references used ("references") and an engine default left out and why ("not_used").
// SCMP_ACT_NOTIFY hands decisions to the process behind linux.seccomp.listenerPath, on the host:
// refused unless that socket is on seccomp.allowed_listeners.
//
// The audit record gets a summary of the profile (default action, number of syscall names,
// architectures), not the whole profile: a 10 KB profile in every record would drown the log.

#include <algorithm>
#include <optional>

#include "shim/core/embedded.hh"
#include "shim/core/engine_bundle.hh"
#include "shim/core/rule.hh"
#include "shim/core/seccomp_effect.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

const Json& capability_groups() {
  static const Json groups = [] {
    auto parsed = parse_json(embedded_file("seccomp-capability-groups.json"));
    return parsed ? *parsed : Json::object();
  }();
  return groups;
}

Json summary(const Json* profile) {
  if (profile == nullptr) return Json();
  Json s = Json::object();
  s.set("defaultAction", Json::string(string_field(profile, "defaultAction").value_or("")));
  size_t names = 0;
  if (const Json* calls = field(profile, "syscalls")) {
    for (const Json& rule : calls->items()) names += string_items(field(&rule, "names")).size();
  }
  s.set("syscalls", Json::unsigned_integer(names));
  if (const Json* arches = field(profile, "architectures")) s.set("architectures", *arches);
  return s;
}

void keep_host_architectures(Json& profile, const Host& h) {
  Json* arches = field(&profile, "architectures");
  if (arches == nullptr || !arches->is_array()) return;
  const std::vector<std::string> host = kernel_seccomp_architectures(h.runs_x32_syscalls());
  Json kept = Json::array();
  for (const Json& a : arches->items()) {
    if (a.is_string() && std::find(host.begin(), host.end(), a.text()) != host.end()) kept.push_back(a);
  }
  if (kept.items().empty() || kept.items().size() == arches->items().size()) return;
  *arches = std::move(kept);
}

// The policy's profile as this rule installs it for this spec: host architectures only, plus the
// capability groups of the final bounding set.
Json policy_profile_for(RuleContext& ctx) {
  Json profile = ctx.policy().seccomp_profile_json();
  keep_host_architectures(profile, ctx.host());
  std::vector<std::string> bounding = string_items(field_at(ctx.spec(), "process.capabilities.bounding"));
  Json* calls = field(&profile, "syscalls");
  if (calls == nullptr) calls = &profile.set("syscalls", Json::array());
  if (const Json* groups = field(&capability_groups(), "groups")) {
    for (const Json& group : groups->items()) {
      std::string cap = string_field(&group, "capability").value_or("");
      if (std::find(bounding.begin(), bounding.end(), cap) == bounding.end()) continue;
      if (const Json* rules = field(&group, "syscalls")) {
        for (const Json& rule : rules->items()) calls->push_back(rule);
      }
    }
  }
  return profile;
}

// The built-in engine default profiles (profiles/engine-seccomp-<name>.json), parsed once.
std::optional<Json> parse_embedded(const std::string& file) {
  auto parsed = parse_json(embedded_file(file));
  return parsed ? std::optional<Json>(std::move(*parsed)) : std::nullopt;
}

// Each engine's default is parsed on its first use only (issue 14.1): a Docker bundle never
// pays for Podman's, which is a reference only for Podman's own bundles.
const Json* engine_default(const std::string& name) {
  if (name == "docker") {
    static const std::optional<Json> docker = parse_embedded("engine-seccomp-docker.json");
    return docker ? &*docker : nullptr;
  }
  if (name == "podman") {
    static const std::optional<Json> podman = parse_embedded("engine-seccomp-podman.json");
    return podman ? &*podman : nullptr;
  }
  return nullptr;
}

bool notifies(const Json& profile) {
  if (string_field(&profile, "defaultAction").value_or("") == "SCMP_ACT_NOTIFY") return true;
  if (const Json* calls = field(&profile, "syscalls")) {
    for (const Json& rule : calls->items())
      if (string_field(&rule, "action").value_or("") == "SCMP_ACT_NOTIFY") return true;
  }
  return false;
}

// Why this is safe: the listener receives the container's notify descriptor and answers for
// the kernel (it may let any notified call run, or run it itself with host privileges), so only
// a socket the administrator named, compared as the host resolves both paths, may receive it.
bool listener_allowed(RuleContext& ctx, const Json& profile) {
  if (!notifies(profile)) return true;
  const std::string listener = string_field(&profile, "listenerPath").value_or("");
  if (!listener.empty() && listener[0] == '/') {
    const std::string real = ctx.host().canonical_path(listener);
    for (const std::string& allowed : ctx.policy().seccomp_allowed_listeners)
      if (ctx.host().canonical_path(allowed) == real) return true;
  }
  ctx.refuse("linux.seccomp.listenerPath", "notify-listener", "linux.seccomp uses SCMP_ACT_NOTIFY: it hands syscall decisions to the host process behind "
             "linux.seccomp.listenerPath " + (listener.empty() ? std::string("(none)") : "\"" + listener + "\"") +
             ", which is not on seccomp.allowed_listeners");
  return false;
}

// Why an accepted engine default does not count for this container ("" when it does).
std::string default_not_used_because(const RuleContext& ctx, const std::string& name) {
  if (name != "podman") return "";
  const Invocation& inv = ctx.invocation();
  if (is_containers_storage_bundle(inv.bundle, inv.container_id)) return "";
  return "the bundle " + inv.bundle + " is not Podman's (" + kContainersStorageBundleShape + ")";
}

// The accepted engine defaults that count for this container, in the policy's order.
std::vector<std::string> defaults_for(const RuleContext& ctx) {
  std::vector<std::string> out;
  for (const std::string& name : ctx.policy().seccomp_accepted_defaults)
    if (default_not_used_because(ctx, name).empty()) out.push_back(name);
  return out;
}

// An engine default's text as to_json writes it: the embedded files are kept in that form (a
// [shimfast] unit test holds them to it), so that a spec's profile is compared with one by its
// serialisation, without parsing the default (issue 14.1). to_json writes different trees as
// different texts (kinds, number text, member order and escapes all show).
std::string_view engine_default_text(const std::string& name) {
  std::string_view text = embedded_file("engine-seccomp-" + name + ".json");
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text;
}

bool is_accepted_default(const RuleContext& ctx, const Json& profile) {
  std::string text;
  for (const std::string& name : defaults_for(ctx)) {
    if (name != "docker" && name != "podman") continue;
    if (text.empty()) text = to_json(profile);
    if (text == engine_default_text(name)) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : "; ") + i;
  return out;
}

// What a judgement of `current` reads, as one text: the key of a remembered verdict (the
// references' engine defaults are the binary's own, which the verdict's name covers).
std::string verdict_key(const Json& current, const Json& policy_profile, const std::vector<ReferenceProfile>& refs,
                        const std::vector<std::string>& arches) {
  std::string key = "seccomp-holds 1\n" + to_json(current) + "\n" + to_json(policy_profile) + "\n";
  for (const ReferenceProfile& r : refs) key += r.name + ",";
  key += "\n";
  for (const std::string& a : arches) key += a + ",";
  return key;
}

// Whether the spec's own profile may stay; fills *open with what it lets through otherwise.
bool own_profile_holds(const RuleContext& ctx, const Json& current, const Json& policy_profile, Json* open) {
  if (current == policy_profile) return true;
  std::vector<ReferenceProfile> refs{{"policy", &policy_profile}};
  for (const std::string& name : defaults_for(ctx)) {
    const Json* d = engine_default(name);
    if (d != nullptr) refs.push_back(ReferenceProfile{name, d});
  }
  const std::vector<std::string> arches = kernel_seccomp_architectures(ctx.host().runs_x32_syscalls());
  // The same profile judged before under the same policy profile, references and architectures
  // (containerd's default in every RuntimeDefault pod): the verdict stands, nothing is compiled.
  const std::string& state_dir = ctx.policy().state_dir;
  const std::string key = arches.empty() ? std::string() : verdict_key(current, policy_profile, refs, arches);
  if (!key.empty() && ctx.host().seccomp_holds_remembered(state_dir, key)) return true;
  auto effect = arches.empty() ? Result<SeccompEffect>(make_error(ErrorCode::kSpec, "no known host architecture"))
                               : judge_seccomp_effect(current, refs, arches);
  *open = Json::object();
  Json used = Json::array();
  for (const ReferenceProfile& r : refs) used.push_back(Json::string(r.name));
  open->set("references", std::move(used));
  Json not_used = Json::object();
  for (const std::string& name : ctx.policy().seccomp_accepted_defaults) {
    std::string why = default_not_used_because(ctx, name);
    if (!why.empty()) not_used.set(name, Json::string(why));
  }
  if (!not_used.members().empty()) open->set("not_used", std::move(not_used));
  if (!effect) {
    open->set("unjudged", Json::string(effect.error().message));
    return false;
  }
  if (!effect->weaker) {
    ctx.host().remember_seccomp_holds(state_dir, key);
    return true;
  }
  open->set("compared_with", Json::string(effect->closest));
  open->set("open", string_array(effect->open));
  return false;
}

// For a refusal: the engine defaults left out, and why.
std::string not_used_text(const Json& open) {
  const Json* not_used = open.get("not_used");
  if (not_used == nullptr) return "";
  std::string out;
  for (const auto& [name, why] : not_used->members())
    out += "; " + name + "'s default profile is not a reference here: " + why.text();
  return out;
}

}  // namespace

void rule_seccomp(RuleContext& ctx) {
  Json& linux = ensure_object(ctx.spec(), "linux");
  const Json* current = field(&linux, "seccomp");
  const bool judged = current != nullptr && !ctx.policy().seccomp_replace;
  if (judged) {
    if (!listener_allowed(ctx, *current)) return;
    // Docker's or Podman's own profile, checked first because it is the common case: the same
    // text compiles to the same filter, so nothing is compiled.
    if (is_accepted_default(ctx, *current)) return;
  }
  Json profile = policy_profile_for(ctx);
  Json before = summary(current);
  if (judged) {
    Json open;
    if (own_profile_holds(ctx, *current, profile, &open)) return;
    if (ctx.policy().seccomp_weaker == SeccompWeaker::kRefuse) {
      const Json* why = open.get("unjudged");
      ctx.refuse("linux.seccomp", "weaker", why != nullptr
                     ? "linux.seccomp cannot be judged (" + why->text() + ") and seccomp.weaker is refuse"
                     : "linux.seccomp lets through calls the policy's profile denies (compared with the " +
                           open.get("compared_with")->text() + " profile, the closest accepted one): " +
                           joined(string_items(open.get("open"))) + not_used_text(open));
      return;
    }
    for (const auto& [key, value] : open.members()) before.set(key, value);
  }
  if (current != nullptr && *current == profile) return;
  ctx.record("linux.seccomp", before, summary(&profile));
  linux.set("seccomp", std::move(profile));
}

}  // namespace oci_harden
