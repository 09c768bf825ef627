// Learn mode's rewrite of the installed profile (shim/core/seccomp_learn.hh).

#include "shim/core/seccomp_learn.hh"

#include <algorithm>
#include <set>

#include "shim/core/embedded.hh"
#include "shim/core/lexical_path.hh"
#include "shim/core/policy.hh"
#include "shim/core/seccomp_effect.hh"
#include "shim/core/sha256.hh"
#include "shim/core/state_dir.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

const std::vector<std::string>& learn_always_allowed() {
  // Found by live runs under runc 1.1.5 and crun 1.8.1 (tests/integration/learn_test.sh):
  // the runtime's sync with its parent, the Go runtime of runc's init, signal return, exit.
  static const std::vector<std::string> kBase = [] {
    std::vector<std::string> v{
        "write", "read", "sendmsg", "recvmsg", "close", "futex", "nanosleep", "sched_yield",
        "rt_sigreturn", "rt_sigprocmask", "sigaltstack", "getpid", "gettid", "tgkill",
        "epoll_pwait", "epoll_ctl", "exit", "exit_group", "execve", "execveat", "mmap", "munmap", "madvise",
    };
    std::sort(v.begin(), v.end());
    return v;
  }();
  return kBase;
}

bool valid_learn_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return lower_digit(c) || c == '.' || c == '_' || c == '-'; });
}

namespace {

bool lets_through(const std::string& action) { return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG"; }

bool base(const std::string& name) {
  const auto& b = learn_always_allowed();
  return std::binary_search(b.begin(), b.end(), name);
}

}  // namespace

std::string learn_not_possible(const Json* profile) {
  if (profile == nullptr || !profile->is_object()) return "the container has no seccomp profile";
  const std::string listener = string_field(profile, "listenerPath").value_or("");
  if (!listener.empty()) {
    return "linux.seccomp already has its own listener (" + listener +
           "): a filter has one notify listener, and its decisions are that process's";
  }
  const std::string def = string_field(profile, "defaultAction").value_or("");
  if (lets_through(def) || def == "SCMP_ACT_NOTIFY" || def.empty()) {
    return "linux.seccomp's default action " + (def.empty() ? std::string("(none)") : def) +
           " lets through calls it does not list: they could not be notified";
  }
  return "";
}

NotifyRewrite notify_rewrite(const Json& profile, const std::string& listener_path,
                             const std::vector<std::string>* keep) {
  NotifyRewrite out;
  out.profile = profile;
  std::set<std::string> notified;
  Json* calls = field(&out.profile, "syscalls");
  if (calls != nullptr && calls->is_array()) {
    Json rewritten = Json::array();
    for (const Json& entry : calls->items()) {
      if (!lets_through(string_field(&entry, "action").value_or(""))) {
        rewritten.push_back(entry);
        continue;
      }
      std::vector<std::string> kept, moved;
      for (const std::string& n : string_items(field(&entry, "names"))) {
        const bool stays = base(n) || (keep != nullptr && std::find(keep->begin(), keep->end(), n) != keep->end());
        if (stays) {
          kept.push_back(n);
        } else {
          moved.push_back(n);
        }
      }
      if (moved.empty()) {
        rewritten.push_back(entry);
        continue;
      }
      if (!kept.empty()) {
        Json k = entry;
        k.set("names", string_array(kept));
        rewritten.push_back(std::move(k));
      }
      Json m = entry;  // same conditions (args), same comment
      m.set("names", string_array(moved));
      m.set("action", Json::string("SCMP_ACT_NOTIFY"));
      m.erase("errnoRet");
      rewritten.push_back(std::move(m));
      notified.insert(moved.begin(), moved.end());
    }
    *calls = std::move(rewritten);
  }
  out.profile.set("listenerPath", Json::string(listener_path));
  out.notified.assign(notified.begin(), notified.end());
  return out;
}

std::map<std::string, std::vector<unsigned>> conditioned_args(const Json& profile) {
  std::map<std::string, std::vector<unsigned>> out;
  const Json* calls = field(&profile, "syscalls");
  if (calls == nullptr) return out;
  for (const Json& entry : calls->items()) {
    const Json* args = field(&entry, "args");
    if (args == nullptr || !args->is_array() || args->items().empty()) continue;
    for (const std::string& n : string_items(field(&entry, "names"))) {
      std::vector<unsigned>& idx = out[n];
      for (const Json& a : args->items()) {
        int64_t i = int_field(&a, "index").value_or(-1);
        if (i < 0 || i > 5) continue;
        if (std::find(idx.begin(), idx.end(), static_cast<unsigned>(i)) == idx.end()) idx.push_back(static_cast<unsigned>(i));
      }
      std::sort(idx.begin(), idx.end());
    }
  }
  return out;
}

std::string seccomp_profile_digest(const Json& profile) { return "sha256:" + sha256_hex(to_json(profile)); }

std::vector<std::string> allowed_names(const Json& profile) {
  std::set<std::string> out;
  if (const Json* calls = field(&profile, "syscalls")) {
    for (const Json& entry : calls->items()) {
      if (!lets_through(string_field(&entry, "action").value_or(""))) continue;
      for (const std::string& n : string_items(field(&entry, "names"))) out.insert(n);
    }
  }
  return {out.begin(), out.end()};
}

std::string conditioned_args_word(const std::map<std::string, std::vector<unsigned>>& args) {
  std::string out;
  for (const auto& [name, idx] : args) {
    if (idx.empty()) continue;
    out += (out.empty() ? "" : ",") + name + ":";
    for (size_t i = 0; i < idx.size(); ++i) out += (i == 0 ? "" : ".") + std::to_string(idx[i]);
  }
  return out;
}

namespace {

void plan_learned(Json& spec, const Policy& policy, const std::string& container_id, LearnPlan* plan);

std::string comma_joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

LearnPlan plan_learn(Json& spec, const Policy& loaded, const Policy& policy, const std::string& container_id) {
  LearnPlan plan;
  plan.workload = policy.learn.workload;
  if (loaded.learn.annotation) {
    if (auto named = string_field(field_at(spec, "annotations"), kLearnAnnotation)) {
      if (!valid_learn_name(*named)) {
        plan.why_not = std::string(kLearnAnnotation) + " \"" + *named +
                       "\" is not a workload name ([a-z0-9][a-z0-9._-]{0,62}): not recorded";
        return plan;
      }
      if (!policy.learn.learned_path.empty()) {
        // A learned profile in force is not traded for learn mode (the generic profile) by the
        // container's own annotation: the breaker's find.
        plan.why_not = std::string(kLearnAnnotation) + " \"" + *named + "\" ignored: this container's policy enforces " +
                       "the learned profile " + policy.learn.learned_path;
      } else {
        plan.workload = *named;
      }
    }
  }
  if (plan.workload.empty()) {
    if (!policy.learn.learned_path.empty()) plan_learned(spec, policy, container_id, &plan);
    return plan;
  }
  Json* linux = field(&spec, "linux");
  Json* profile = field(linux, "seccomp");
  plan.why_not = learn_not_possible(profile);
  if (plan.why_not.empty() && policy.hook_path.empty()) {
    plan.why_not = "no oci-harden-hook to record with (policy key hook)";
  }
  if (!plan.why_not.empty()) {
    plan.why_not = "learn \"" + plan.workload + "\": not in learn mode: " + plan.why_not;
    return plan;
  }
  const std::string digest = seccomp_profile_digest(*profile);
  const std::vector<std::string> allowed = allowed_names(*profile);
  std::vector<std::string> arches = string_items(field(profile, "architectures"));
  plan.socket_path = container_state_dir(policy.state_dir, container_id) + "/seccomp.sock";
  plan.recorder_args = {"--mode", "learn", "--workload", plan.workload, "--container-id", container_id,
                        "--digest", digest, "--arches", comma_joined(arches),
                        "--args", conditioned_args_word(conditioned_args(*profile)),
                        "--out", loaded.learn.dir + "/" + plan.workload + "/" + container_id + ".json"};
  Json rec = Json::object();
  rec.set("source", Json::string("learn"));
  rec.set("profile", Json::string(policy.seccomp_profile_path.empty() ? "built-in" : policy.seccomp_profile_path));
  rec.set("digest", Json::string(digest));
  rec.set("allowed", Json::unsigned_integer(allowed.size()));
  rec.set("generic_allowed", Json::unsigned_integer(allowed_names(policy.seccomp_profile_json()).size()));
  rec.set("mode", Json::string("learn"));
  rec.set("workload", Json::string(plan.workload));
  NotifyRewrite rw = notify_rewrite(*profile, plan.socket_path);
  rec.set("notified", Json::unsigned_integer(rw.notified.size()));
  plan.seccomp_record = std::move(rec);
  *profile = std::move(rw.profile);
  plan.active = true;
  plan.rewritten = true;
  return plan;
}

namespace {

// The policy's profile with the capability groups of every capability the policy allows.
Json widest_policy_profile(const Policy& policy) {
  Json profile = policy.seccomp_profile_json();
  Json* calls = field(&profile, "syscalls");
  if (calls == nullptr) calls = &profile.set("syscalls", Json::array());
  auto groups = parse_json(embedded_file("seccomp-capability-groups.json"));
  if (!groups) return profile;
  if (const Json* list = field(&*groups, "groups")) {
    for (const Json& group : list->items()) {
      const std::string cap = string_field(&group, "capability").value_or("");
      if (std::find(policy.capabilities.begin(), policy.capabilities.end(), cap) == policy.capabilities.end()) continue;
      if (const Json* rules = field(&group, "syscalls"))
        for (const Json& rule : rules->items()) calls->push_back(rule);
    }
  }
  return profile;
}

}  // namespace

std::string learned_profile_wider(const Json& learned, const Policy& policy) {
  if (!learned.is_object()) return "not an OCI linux.seccomp object";
  if (!string_field(&learned, "listenerPath").value_or("").empty()) return "a learned profile has no listenerPath";
  const std::string def = string_field(&learned, "defaultAction").value_or("");
  if (def.empty() || lets_through(def) || def == "SCMP_ACT_NOTIFY") {
    return "its default action " + (def.empty() ? std::string("(none)") : def) + " lets through calls it does not list";
  }
  const Json widest = widest_policy_profile(policy);
  const std::vector<std::string>& arches = host_seccomp_architectures();
  if (arches.empty()) return "this host's seccomp architectures are not known: it cannot be judged";
  auto effect = judge_seccomp_effect(learned, {ReferenceProfile{"policy", &widest}}, arches);
  if (!effect) return "cannot be judged: " + effect.error().message;
  if (!effect->weaker) return "";
  std::string open;
  for (const std::string& o : effect->open) open += (open.empty() ? "" : "; ") + o;
  return "it is wider than the policy's profile: it lets through " + open;
}

namespace {

std::string file_stem(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

// Enforce: the learned profile, on the architectures of both, plus the calls the generic one
// allows and it does not (the base set aside) with `action`.
Json learned_with_extras(const Json& learned, const Json& generic, const std::string& action,
                         std::vector<std::string>* extras) {
  Json out = learned;
  const std::vector<std::string> generic_arches = string_items(field(&generic, "architectures"));
  if (Json* arches = field(&out, "architectures"); arches != nullptr && !generic_arches.empty()) {
    Json kept = Json::array();
    for (const std::string& a : string_items(arches))
      if (std::find(generic_arches.begin(), generic_arches.end(), a) != generic_arches.end()) kept.push_back(Json::string(a));
    *arches = std::move(kept);
  }
  const std::vector<std::string> allowed = allowed_names(learned);
  std::set<std::string> seen;
  Json* calls = field(&out, "syscalls");
  if (calls == nullptr) calls = &out.set("syscalls", Json::array());
  if (const Json* generic_calls = field(&generic, "syscalls")) {
    for (const Json& entry : generic_calls->items()) {
      if (!lets_through(string_field(&entry, "action").value_or(""))) continue;
      std::vector<std::string> names;
      for (const std::string& n : string_items(field(&entry, "names")))
        if (!base(n) && std::find(allowed.begin(), allowed.end(), n) == allowed.end()) names.push_back(n);
      if (names.empty()) continue;
      Json e = entry;
      e.set("names", string_array(names));
      e.set("action", Json::string(action));
      e.erase("errnoRet");
      calls->push_back(std::move(e));
      seen.insert(names.begin(), names.end());
    }
  }
  extras->assign(seen.begin(), seen.end());
  return out;
}

// The learned profile cut to what the generic profile as installed for this container lets
// through: a name stays in a letting-through entry only where the generic profile has an entry
// for it that lets it through unconditionally, or one with the same action and argument rules.
// The learned profile was judged at load against the widest generic profile (every capability
// the policy allows, with its groups); a container without one of those capabilities has a
// narrower generic profile, and the learned one must not open for it what that one denies (the
// breaker's find: unshare from CAP_SYS_ADMIN's group, for a container without CAP_SYS_ADMIN).
// Denying entries are kept as they are. `cut` gets the names taken out.
Json narrowed_to_installed(const Json& learned, const Json& generic, std::vector<std::string>* cut) {
  Json out = learned;
  Json* calls = field(&out, "syscalls");
  const Json* generic_calls = field(&generic, "syscalls");
  if (calls == nullptr || !calls->is_array()) return out;
  auto generic_allows = [&](const std::string& name, const Json& entry) {
    if (generic_calls == nullptr || !generic_calls->is_array()) return false;
    for (const Json& g : generic_calls->items()) {
      if (!lets_through(string_field(&g, "action").value_or(""))) continue;
      const Json* names = field(&g, "names");
      if (names == nullptr || !names->is_array()) continue;
      bool named = false;
      for (const Json& n : names->items()) named = named || (n.is_string() && n.text() == name);
      if (!named) continue;
      const Json* gargs = field(&g, "args");
      if (gargs == nullptr || (gargs->is_array() && gargs->items().empty())) return true;
      const Json* eargs = field(&entry, "args");
      if (eargs != nullptr && *eargs == *gargs && string_field(&entry, "action") == string_field(&g, "action")) return true;
    }
    return false;
  };
  Json kept_entries = Json::array();
  for (const Json& entry : calls->items()) {
    if (!lets_through(string_field(&entry, "action").value_or(""))) {
      kept_entries.push_back(entry);
      continue;
    }
    const Json* names = field(&entry, "names");
    if (names == nullptr || !names->is_array()) continue;
    Json kept_names = Json::array();
    for (const Json& n : names->items()) {
      if (n.is_string() && generic_allows(n.text(), entry)) {
        kept_names.push_back(n);
      } else if (n.is_string()) {
        cut->push_back(n.text());
      }
    }
    if (kept_names.items().empty()) continue;
    Json e = entry;
    e.set("names", std::move(kept_names));
    kept_entries.push_back(std::move(e));
  }
  out.set("syscalls", std::move(kept_entries));
  return out;
}

void plan_learned(Json& spec, const Policy& policy, const std::string& container_id, LearnPlan* plan) {
  const std::string stem = file_stem(policy.learn.learned_path);
  plan->workload = stem;
  Json* profile = field(field(&spec, "linux"), "seccomp");
  const std::string why = learn_not_possible(profile);
  if (!why.empty() || (!policy.learn.learned_kill && policy.hook_path.empty())) {
    plan->why_not = "seccomp_learned " + policy.learn.learned_path + ": not applied: " +
                    (why.empty() ? std::string("no oci-harden-hook to watch with (policy key hook)") : why);
    return;
  }
  std::vector<std::string> cut;
  const Json learned = narrowed_to_installed(policy.learn.learned, *profile, &cut);
  const std::vector<std::string> generic_allowed = allowed_names(*profile);
  const std::vector<std::string> learned_allowed = allowed_names(learned);
  const std::string socket = container_state_dir(policy.state_dir, container_id) + "/seccomp.sock";
  Json rec = Json::object();
  rec.set("source", Json::string("learned"));
  rec.set("profile", Json::string(policy.learn.learned_path));
  rec.set("digest", Json::string(seccomp_profile_digest(policy.learn.learned)));
  rec.set("allowed", Json::unsigned_integer(learned_allowed.size()));
  if (!cut.empty()) {
    Json names = Json::array();
    for (const std::string& n : cut) names.push_back(Json::string(n));
    rec.set("cut", std::move(names));  // allowed by the learned profile, not by this container's generic one
  }
  rec.set("generic_allowed", Json::unsigned_integer(generic_allowed.size()));
  rec.set("mode", Json::string(policy.learn.learned_audit ? "audit" : "enforce"));
  rec.set("workload", Json::string(stem));
  std::vector<std::string> watched;
  Json installed;
  if (policy.learn.learned_audit) {
    NotifyRewrite rw = notify_rewrite(*profile, socket, &learned_allowed);
    watched = rw.notified;
    installed = std::move(rw.profile);
  } else {
    rec.set("action", Json::string(policy.learn.learned_kill ? "kill" : "errno"));
    installed = learned_with_extras(learned, *profile, policy.learn.learned_kill ? "SCMP_ACT_KILL_PROCESS" : "SCMP_ACT_NOTIFY",
                                    &watched);
    if (!policy.learn.learned_kill) installed.set("listenerPath", Json::string(socket));
  }
  rec.set("watched", Json::unsigned_integer(watched.size()));
  plan->seccomp_record = std::move(rec);
  const bool watch = !policy.learn.learned_kill && !watched.empty();
  if (!watch) installed.erase("listenerPath");
  *profile = std::move(installed);
  plan->rewritten = true;
  if (!watch) return;
  plan->active = true;
  plan->socket_path = socket;
  plan->recorder_args = {"--mode", policy.learn.learned_audit ? "watch-continue" : "watch-errno",
                         "--workload", stem, "--container-id", container_id,
                         "--digest", seccomp_profile_digest(policy.learn.learned),
                         "--arches", comma_joined(string_items(field(profile, "architectures")))};
}

}  // namespace

Json plain_seccomp_record(const Json& spec, const Policy& policy, bool by_rule) {
  const Json* profile = field_at(spec, "linux.seccomp");
  if (profile == nullptr || !profile->is_object()) return Json();
  Json rec = Json::object();
  rec.set("source", Json::string(by_rule ? "policy" : "spec"));
  rec.set("profile", Json::string(!by_rule ? std::string("config.json")
                                  : policy.seccomp_profile_path.empty() ? std::string("built-in")
                                                                         : policy.seccomp_profile_path));
  // Only what is known without work: the digest and the two counts cost a create 256 µs
  // (serialising and hashing the profile, and parsing the deferred built-in one to count it;
  // bench/floor.sh, 200 pairs), which every container would pay for a record nobody asked for.
  // The containers recorded or under a learned profile carry them (plan_learn).
  rec.set("mode", Json::string("enforce"));
  return rec;
}

std::string drop_own_rewrite(Json& spec, const Policy& policy, const std::string& container_id) {
  Json* linux = field(&spec, "linux");
  const Json* profile = field(linux, "seccomp");
  if (profile == nullptr) return "";
  const std::string own = container_state_dir(policy.state_dir, container_id) + "/seccomp.sock";
  if (string_field(profile, "listenerPath").value_or("") != own) return "";
  linux->erase("seccomp");
  return "linux.seccomp named oci-harden's own recorder socket " + own +
         " (a spec rewritten for learn mode before): dropped, the policy's profile installed";
}

}  // namespace oci_harden
