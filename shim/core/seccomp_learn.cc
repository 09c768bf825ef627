// Learn mode's rewrite of the installed profile (shim/core/seccomp_learn.hh).

#include "shim/core/seccomp_learn.hh"

#include <algorithm>
#include <set>

#include "shim/core/policy.hh"
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

NotifyRewrite notify_rewrite(const Json& profile, const std::string& listener_path) {
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
      for (const std::string& n : string_items(field(&entry, "names"))) (base(n) ? kept : moved).push_back(n);
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

std::string comma_joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

LearnPlan plan_learn(Json& spec, const Policy& loaded, const Policy& policy, const std::string& container_id) {
  LearnPlan plan;
  plan.workload = policy.learn;
  if (loaded.learn_annotation) {
    if (auto named = string_field(field_at(spec, "annotations"), kLearnAnnotation)) {
      if (!valid_learn_name(*named)) {
        plan.why_not = std::string(kLearnAnnotation) + " \"" + *named +
                       "\" is not a workload name ([a-z0-9][a-z0-9._-]{0,62}): not recorded";
        return plan;
      }
      plan.workload = *named;
    }
  }
  if (plan.workload.empty()) return plan;
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
                        "--out", loaded.learn_dir + "/" + plan.workload + "/" + container_id + ".json"};
  Json rec = Json::object();
  rec.set("source", Json::string("learn"));
  rec.set("profile", Json::string(policy.seccomp_profile_path.empty() ? "built-in" : policy.seccomp_profile_path));
  rec.set("digest", Json::string(digest));
  rec.set("allowed", Json::unsigned_integer(allowed.size()));
  rec.set("generic_allowed", Json::unsigned_integer(allowed_names(policy.seccomp_profile).size()));
  rec.set("mode", Json::string("learn"));
  rec.set("workload", Json::string(plan.workload));
  NotifyRewrite rw = notify_rewrite(*profile, plan.socket_path);
  rec.set("notified", Json::unsigned_integer(rw.notified.size()));
  plan.seccomp_record = std::move(rec);
  *profile = std::move(rw.profile);
  plan.active = true;
  return plan;
}

}  // namespace oci_harden
