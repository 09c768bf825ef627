// Learned seccomp profiles (shim/core/learned_profile.hh): recordings validated (errors name the
// file and field), merged, the profile built from its base (argument rules, architectures,
// denials kept), never wider than the policy's profile by effect, names counted, and diffs.
#include "shim/core/learned_profile.hh"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shim/core/embedded.hh"
#include "shim/core/spec.hh"
#include "tests/unit/test_support.hh"

using namespace oci_harden;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

// A recording with the given architectures, always-allowed names and syscalls entries (JSON text).
std::string recording(const std::string& calls, const std::string& arches = R"(["SCMP_ARCH_X86_64"])",
                      const std::string& always = R"(["write"])", const std::string& learn = "web") {
  return R"({"oci_harden_recording": 1, "learn": ")" + learn + R"(", "container_id": "c1",
    "started": "2026-12-04T23:50:00Z", "ended": "2026-12-04T23:50:03Z",
    "base_profile": {"digest": ")" + kDigest + R"("}, "architectures": )" + arches +
         R"(, "always_allowed": )" + always + R"(, "syscalls": [)" + calls + R"(], "notifications": 3, "dropped": 0})";
}

Recording parsed(const std::string& text, const std::string& file = "web/c1.json") {
  auto r = parse_recording(text, file);
  INFO((r ? "" : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

std::string error_of(const std::string& text) {
  auto r = parse_recording(text, "web/c1.json");
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

Json json(const std::string& text) {
  auto j = parse_json(text);
  REQUIRE(j.ok());
  return *j;
}

Json default_profile() { return json(std::string(embedded_file("seccomp-default.json"))); }

MergedRecording merged_of(const std::vector<std::string>& texts) {
  std::vector<Recording> rs;
  for (size_t i = 0; i < texts.size(); ++i) rs.push_back(parsed(texts[i], "web/c" + std::to_string(i) + ".json"));
  auto m = merge_recordings(rs);
  REQUIRE(m.ok());
  return *m;
}

LearnedProfile learned(const Json& base, const std::vector<std::string>& texts) {
  auto l = learn_profile(base, merged_of(texts));
  INFO((l ? "" : l.error().message));
  REQUIRE(l.ok());
  return *l;
}

bool allows(const Json& profile, const std::string& name) {
  auto names = allowed_syscall_names(profile);
  return std::find(names.begin(), names.end(), name) != names.end();
}

const char* kBase = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["read", "write", "getpid", "openat", "mkdir"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                                                                      {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["prctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 15, "op": "SCMP_CMP_EQ"},
                                                                {"index": 1, "value": 0, "op": "SCMP_CMP_NE"}]},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
    {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS"}
  ]})";

}  // namespace

TEST_CASE("parse_recording reads the recorder's format", "[learned-profile]") {
  Recording r = parsed(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "clone", "count": 12,
                                     "args": [{"index": 0, "values": [18874385, 17]}]})"));
  CHECK(r.learn == "web");
  CHECK(r.container_id == "c1");
  CHECK(r.base_digest == kDigest);
  CHECK(r.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64"});
  CHECK(r.always_allowed.count("write") == 1);
  REQUIRE(r.syscalls.size() == 1);
  CHECK(r.syscalls[0].count == 12);
  CHECK(r.syscalls[0].args.at(0) == std::set<uint64_t>{17, 18874385});
  CHECK(r.notifications == 3);
}

TEST_CASE("parse_recording names the file and the field of what is wrong", "[learned-profile]") {
  CHECK(error_of(recording(R"({"arch": "SCMP_ARCH_X86", "name": "read", "count": 1})")) ==
        "web/c1.json: syscalls[0].arch: \"SCMP_ARCH_X86\" is not an architecture listed in architectures");
  CHECK(error_of(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "Read!", "count": 1})")) ==
        "web/c1.json: syscalls[0].name: \"Read!\" is not a syscall name");
  CHECK(error_of(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "read", "count": 0})")).find("syscalls[0].count") != std::string::npos);
  CHECK(error_of(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "read", "count": 1, "args": [{"index": 6, "values": [1]}]})")) ==
        "web/c1.json: syscalls[0].args[0].index: 6 is not an argument index (0 to 5)");
  CHECK(error_of(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "read", "count": 1},
                              {"arch": "SCMP_ARCH_X86_64", "name": "read", "count": 2})")) ==
        "web/c1.json: syscalls[1]: read on SCMP_ARCH_X86_64 listed twice");
  CHECK(error_of(recording("", R"(["SCMP_ARCH_FOO"])")) ==
        "web/c1.json: architectures[0]: \"SCMP_ARCH_FOO\" is not an OCI seccomp architecture");
  CHECK(error_of(recording("", R"([])")).find("web/c1.json: architectures: empty") == 0);
  CHECK(error_of(recording("", R"(["SCMP_ARCH_X86_64"])", R"([1])")) == "web/c1.json: always_allowed[0]: not a string");
  CHECK(error_of(recording("", R"(["SCMP_ARCH_X86_64"])", R"([])", "Web")).find("web/c1.json: learn: \"Web\"") == 0);
  std::string values = "[";
  for (int i = 0; i <= 64; ++i) values += (i ? "," : "") + std::to_string(i);
  CHECK(error_of(recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "clone", "count": 1, "args": [{"index": 0, "values": )" + values + "]}]}")) ==
        "web/c1.json: syscalls[0].args[0].values: more than 64 values");
  std::string text = recording("");
  CHECK(error_of(text.replace(text.find("\"oci_harden_recording\": 1"), 25, "\"oci_harden_recording\": 2")).find("oci_harden_recording") != std::string::npos);
  text = recording("");
  CHECK(error_of(text.replace(text.find(kDigest), kDigest.size(), "sha256:xyz")) ==
        "web/c1.json: base_profile.digest: missing or not sha256:<64 hex digits>");
  text = recording("");
  CHECK(error_of(text.replace(text.find("2026-12-04T23:50:03Z"), 20, "yesterday")).find("web/c1.json: ended: ") == 0);
  CHECK(error_of("[]") == "web/c1.json: not a JSON object");
  CHECK(error_of("{").find("web/c1.json: ") == 0);
}

TEST_CASE("merge_recordings: several runs of one workload add up; another workload is refused", "[learned-profile]") {
  MergedRecording m = merged_of({recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "clone", "count": 2, "args": [{"index": 0, "values": [1]}]})"),
                                 recording(R"({"arch": "SCMP_ARCH_X86", "name": "clone", "count": 3, "args": [{"index": 0, "values": [2]}]},
                                             {"arch": "SCMP_ARCH_X86", "name": "getpid", "count": 1})",
                                           R"(["SCMP_ARCH_X86"])", R"(["read"])")});
  CHECK(m.files.size() == 2);
  CHECK(m.architectures == std::set<std::string>{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64"});
  CHECK(m.always_allowed == std::set<std::string>{"read", "write"});
  CHECK(m.seen.at("clone").count == 5);
  CHECK(m.seen.at("clone").arches.size() == 2);
  CHECK(m.seen.at("clone").args.at(0) == std::set<uint64_t>{1, 2});
  CHECK(m.notifications == 6);

  std::vector<Recording> two = {parsed(recording(""), "a.json"), parsed(recording("", R"(["SCMP_ARCH_X86_64"])", "[]", "db"), "b.json")};
  auto bad = merge_recordings(two);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "b.json: learn: \"db\" is another workload than \"web\" (a.json)");
  CHECK_FALSE(merge_recordings({}).ok());
}

TEST_CASE("learn_profile keeps what was seen or always allowed, with the base's rules", "[learned-profile]") {
  LearnedProfile l = learned(json(kBase), {recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "getpid", "count": 1},
                                                         {"arch": "SCMP_ARCH_X86_64", "name": "kill", "count": 1})")});
  CHECK(allowed_syscall_names(l.profile) == std::vector<std::string>{"getpid", "write"});
  CHECK(l.base_allowed == 8);
  CHECK(l.learned_allowed == 2);
  // Denials stay as written, including a name that was never seen.
  const Json* calls = field(&l.profile, "syscalls");
  REQUIRE(calls != nullptr);
  CHECK(to_json(*calls) ==
        R"([{"names":["write","getpid"],"action":"SCMP_ACT_ALLOW"},{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38},)"
        R"({"names":["kill"],"action":"SCMP_ACT_KILL_PROCESS"}])");
  CHECK(string_field(&l.profile, "defaultAction") == std::string("SCMP_ACT_ERRNO"));
  CHECK(to_json(*field(&l.profile, "defaultErrnoRet")) == "1");
}

TEST_CASE("learn_profile: a conditional entry only for values its rules match", "[learned-profile]") {
  auto with = [](const std::string& name, const std::string& values) {
    return recording(R"({"arch": "SCMP_ARCH_X86_64", "name": ")" + name + R"(", "count": 1, "args": )" + values + "}");
  };
  // clone: arg0 & 0x7e020000 == 0, i.e. no CLONE_NEW* flag.
  CHECK(allows(learned(json(kBase), {with("clone", R"([{"index": 0, "values": [18874385]}])")}).profile, "clone"));
  LearnedProfile newuser = learned(json(kBase), {with("clone", R"([{"index": 0, "values": [268435456]}])")});
  CHECK_FALSE(allows(newuser.profile, "clone"));
  CHECK(std::count(newuser.notes.begin(), newuser.notes.end(),
                   "clone seen but not added: no recorded argument value matches the base's rule") == 1);
  // No value recorded for the index: not matched (narrow, never wide).
  CHECK_FALSE(allows(learned(json(kBase), {with("clone", "[]")}).profile, "clone"));
  // personality: two conditions on one index are ORed (runc adds one rule each).
  CHECK(allows(learned(json(kBase), {with("personality", R"([{"index": 0, "values": [8]}])")}).profile, "personality"));
  CHECK_FALSE(allows(learned(json(kBase), {with("personality", R"([{"index": 0, "values": [4194304]}])")}).profile, "personality"));
  // prctl: conditions on two indices are ANDed.
  CHECK(allows(learned(json(kBase), {with("prctl", R"([{"index": 0, "values": [15]}, {"index": 1, "values": [7]}])")}).profile, "prctl"));
  CHECK_FALSE(allows(learned(json(kBase), {with("prctl", R"([{"index": 0, "values": [15]}, {"index": 1, "values": [0]}])")}).profile, "prctl"));
  CHECK_FALSE(allows(learned(json(kBase), {with("prctl", R"([{"index": 0, "values": [15]}])")}).profile, "prctl"));
  // Always allowed keeps a conditional entry whatever was recorded; the rule stays as written.
  LearnedProfile always = learned(json(kBase), {recording("", R"(["SCMP_ARCH_X86_64"])", R"(["clone"])")});
  const Json* calls = field(&always.profile, "syscalls");
  CHECK(to_json(calls->items()[0]) ==
        R"({"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]})");
}

TEST_CASE("learn_profile: architectures are the base's that a recording lists", "[learned-profile]") {
  LearnedProfile l = learned(json(kBase), {recording("", R"(["SCMP_ARCH_X86_64"])"), recording("", R"(["SCMP_ARCH_X86"])")});
  CHECK(to_json(*field(&l.profile, "architectures")) == R"(["SCMP_ARCH_X86_64","SCMP_ARCH_X86"])");
  CHECK(std::find(l.notes.begin(), l.notes.end(), "architectures no recording lists, left out: SCMP_ARCH_X32") != l.notes.end());
  // A name seen on one architecture is kept for all the kept ones (OCI entries are not per arch).
  LearnedProfile one = learned(json(kBase), {recording(R"({"arch": "SCMP_ARCH_X86", "name": "getpid", "count": 1})",
                                                       R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])")});
  CHECK(allows(one.profile, "getpid"));
  auto none = learn_profile(json(kBase), merged_of({recording("", R"(["SCMP_ARCH_AARCH64"])")}));
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message == "base: architectures: none of them is in a recording (SCMP_ARCH_AARCH64)");
  // Names that no kept architecture has (here: x86's own) are left out, so profile check passes.
  Json base = json(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                       "syscalls": [{"names": ["vm86", "getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                                    {"names": ["write"], "action": "SCMP_ACT_ALLOW"}]})");
  LearnedProfile x64 = learned(base, {recording("")});
  CHECK(to_json(*field(&x64.profile, "syscalls")) ==
        R"([{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":38},{"names":["write"],"action":"SCMP_ACT_ALLOW"}])");
}

TEST_CASE("learn_profile refuses a base it cannot narrow, naming the field", "[learned-profile]") {
  MergedRecording m = merged_of({recording("")});
  auto allow = learn_profile(json(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []})"), m);
  REQUIRE_FALSE(allow.ok());
  CHECK(allow.error().message.find("base: defaultAction: SCMP_ACT_ALLOW lets every call through") == 0);
  auto action = learn_profile(json(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_MAYBE"}]})"), m);
  REQUIRE_FALSE(action.ok());
  CHECK(action.error().message == "base: syscalls[0].action: missing or not an SCMP_ACT_* action");
  auto op = learn_profile(json(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                   "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SOMETIMES"}]}]})"), m);
  REQUIRE_FALSE(op.ok());
  CHECK(op.error().message == "base: syscalls[0].args[0].op: missing or not an SCMP_CMP_* operator");
}

TEST_CASE("learn_profile notes a seen call the base does not allow, drops and another base", "[learned-profile]") {
  std::string text = recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "ptrace", "count": 1})");
  text.replace(text.find("\"dropped\": 0"), 12, "\"dropped\": 4");
  LearnedProfile l = learned(json(kBase), {text});
  CHECK_FALSE(allows(l.profile, "ptrace"));
  auto has = [&](const std::string& prefix) {
    return std::any_of(l.notes.begin(), l.notes.end(), [&](const std::string& n) { return n.find(prefix) == 0; });
  };
  CHECK(has("ptrace seen but not added: the base profile does not let it through"));
  LearnedProfile always = learned(json(kBase), {recording("", R"(["SCMP_ARCH_X86_64"])", R"(["write", "ptrace"])")});
  CHECK(std::find(always.notes.begin(), always.notes.end(),
                  "always allowed by the recorder but not let through by the base, so denied: ptrace") != always.notes.end());
  CHECK_FALSE(allows(always.profile, "ptrace"));
  CHECK(has("4 calls were not recorded (dropped)"));
  // One recording, or several under one installed profile: nothing to say about it.
  CHECK_FALSE(has("the recordings were made under"));
  std::string other = recording("");
  other.replace(other.find(kDigest), kDigest.size(), "sha256:" + std::string(64, 'e'));
  LearnedProfile two = learned(json(kBase), {recording(""), other});
  CHECK(std::any_of(two.notes.begin(), two.notes.end(), [](const std::string& n) {
    return n.find("the recordings were made under 2 different installed profiles") == 0;
  }));
}

TEST_CASE("never wider: a profile learned from the policy's passes; a wider base fails by effect", "[learned-profile]") {
  const std::vector<std::string> arches = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  const Json policy = default_profile();
  LearnedProfile l = learned(policy, {recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "clone", "count": 1, "args": [{"index": 0, "values": [18874385]}]})",
                                                R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])")});
  CHECK(check_never_wider(l.profile, policy, arches).ok());
  CHECK(check_never_wider(policy, policy, arches).ok());
  // Podman's default allows unshare and clone with CLONE_NEWUSER; learned from it, with those
  // calls seen, it is wider than the policy's, and the error names them.
  const Json podman = json(std::string(embedded_file("engine-seccomp-podman.json")));
  LearnedProfile wide = learned(podman, {recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "unshare", "count": 1})",
                                                   R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])")});
  auto st = check_never_wider(wide.profile, policy, arches);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kPolicy);
  CHECK(st.error().message.find("lets through calls the policy's profile denies: ") == 0);
  CHECK(st.error().message.find("unshare") != std::string::npos);
  // A hand-edited "learned" profile that allows by a rule the policy has not (socket AF_ALG).
  Json edited = l.profile;
  field(&edited, "syscalls")->push_back(json(R"({"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                                                 "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]})"));
  auto socket = check_never_wider(edited, policy, arches);
  REQUIRE_FALSE(socket.ok());
  CHECK(socket.error().message.find("socket") != std::string::npos);
}

TEST_CASE("allowed_syscall_names counts what the entries let through", "[learned-profile]") {
  bool default_allows = true;
  auto names = allowed_syscall_names(json(kBase), &default_allows);
  CHECK(names == std::vector<std::string>{"clone", "getpid", "mkdir", "openat", "personality", "prctl", "read", "write"});
  CHECK_FALSE(default_allows);
  allowed_syscall_names(json(R"({"defaultAction": "SCMP_ACT_LOG"})"), &default_allows);
  CHECK(default_allows);
  CHECK(allowed_syscall_names(default_profile()).size() > 300);
}

TEST_CASE("diff_profiles: names, argument rules, architectures", "[learned-profile]") {
  const Json a = json(kBase);
  LearnedProfile l = learned(a, {recording(R"({"arch": "SCMP_ARCH_X86_64", "name": "clone", "count": 1, "args": [{"index": 0, "values": [0]}]})",
                                           R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])")});
  auto d = diff_profiles(a, l.profile);
  REQUIRE(d.ok());
  CHECK(d->only_a == std::vector<std::string>{"architecture SCMP_ARCH_X32", "getpid", "mkdir", "openat", "read",
                                              "personality(arg0 == 0)", "personality(arg0 == 8)",
                                              "prctl(arg0 == 15 && arg1 != 0)"});
  CHECK(d->only_b.empty());
  CHECK_FALSE(d->same());
  auto same = diff_profiles(l.profile, l.profile);
  REQUIRE(same.ok());
  CHECK(same->same());
  // A rule covered by the other's unconditional entry is not a difference; the reverse is.
  Json cond = json(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]})");
  Json open = json(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_LOG"}]})");
  auto c = diff_profiles(cond, open);
  REQUIRE(c.ok());
  CHECK(c->only_a.empty());
  CHECK(c->only_b == std::vector<std::string>{"clone"});
  auto bad = diff_profiles(a, json(R"({"syscalls": []})"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "B: defaultAction: missing or not an SCMP_ACT_* action");
}
