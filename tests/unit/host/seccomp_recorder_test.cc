// The seccomp recorder's bookkeeping (hooks/seccomp_recorder.hh): names per architecture, the
// argument values of the conditioned indices (distinct, bounded), unnamed calls counted as
// dropped, the recording's JSON and the recorder's command line.

#include <catch2/catch.hpp>

#include <linux/audit.h>

#include <map>
#include <string>
#include <vector>

#include "hooks/seccomp_recorder.hh"
#include "shim/core/spec.hh"

namespace oci_harden {
namespace {

TEST_CASE("recorder: one entry per architecture and name, conditioned argument values kept", "[learn]") {
  Recording rec(std::map<std::string, std::vector<unsigned>>{{"clone", {0U}}});
  const uint64_t clone_args[6] = {0x1200011, 7, 0, 0, 0, 0};
  const uint64_t zero[6] = {0, 0, 0, 0, 0, 0};
  rec.add(AUDIT_ARCH_X86_64, 56, clone_args);  // clone
  rec.add(AUDIT_ARCH_X86_64, 56, clone_args);
  rec.add(AUDIT_ARCH_X86_64, 257, zero);  // openat
  rec.add(AUDIT_ARCH_I386, 120, clone_args);  // clone on i386
  CHECK(rec.notifications() == 4);
  CHECK(rec.distinct() == 3);
  CHECK(rec.dropped() == 0);
  const Json s = rec.syscalls();
  REQUIRE(s.items().size() == 3);
  const Json& first = s.items()[0];
  CHECK(string_field(&first, "arch").value_or("") == "SCMP_ARCH_X86");
  CHECK(string_field(&first, "name").value_or("") == "clone");
  const Json& clone = s.items()[1];
  CHECK(string_field(&clone, "name").value_or("") == "clone");
  CHECK(int_field(&clone, "count").value_or(0) == 2);
  CHECK(to_json(*field(&clone, "args")) == R"([{"index":0,"values":[18874385]}])");
  CHECK(field(&s.items()[2], "args") == nullptr);
}

TEST_CASE("recorder: values per index are bounded, unnamed calls are dropped", "[learn]") {
  Recording rec(std::map<std::string, std::vector<unsigned>>{{"socket", {0U}}});
  for (uint64_t v = 0; v < 100; ++v) {
    const uint64_t args[6] = {v, 0, 0, 0, 0, 0};
    rec.add(AUDIT_ARCH_X86_64, 41, args);  // socket
  }
  const uint64_t zero[6] = {0, 0, 0, 0, 0, 0};
  rec.add(0x12345678, 1, zero);           // an architecture the recorder does not know
  rec.add(AUDIT_ARCH_X86_64, 100000, zero);  // no such syscall
  CHECK(rec.notifications() == 102);
  CHECK(rec.dropped() == 2);
  const Json s = rec.syscalls();
  REQUIRE(s.items().size() == 1);
  CHECK(field(&s.items()[0], "args")->items()[0].get("values")->items().size() == kMaxRecordedValues);
  CHECK(seccomp_arch_name(AUDIT_ARCH_X86_64, 0x40000000 | 1) == "SCMP_ARCH_X32");
}

TEST_CASE("recorder: the recording file's fields", "[learn]") {
  RecorderOptions o;
  o.workload = "web";
  o.container_id = "c1";
  o.digest = "sha256:ab";
  o.arches = {"SCMP_ARCH_X86_64"};
  Recording rec(std::map<std::string, std::vector<unsigned>>{});
  const uint64_t zero[6] = {0, 0, 0, 0, 0, 0};
  rec.add(AUDIT_ARCH_X86_64, 257, zero);
  Json j = recording_json(o, rec, "2026-12-04T23:50:00Z", "2026-12-04T23:50:03Z");
  CHECK(int_field(&j, "oci_harden_recording").value_or(0) == 1);
  CHECK(string_field(&j, "learn").value_or("") == "web");
  CHECK(string_field(field(&j, "base_profile"), "digest").value_or("") == "sha256:ab");
  CHECK(string_items(field(&j, "architectures")) == std::vector<std::string>{"SCMP_ARCH_X86_64"});
  CHECK(string_items(field(&j, "always_allowed")).size() > 0);
  CHECK(int_field(&j, "notifications").value_or(0) == 1);
  CHECK(int_field(&j, "dropped").value_or(-1) == 0);
  CHECK(string_field(&field(&j, "syscalls")->items()[0], "name").value_or("") == "openat");
}

TEST_CASE("recorder: command line", "[learn]") {
  auto o = parse_recorder_args({"--mode", "learn", "--workload", "web", "--container-id", "c1", "--digest", "sha256:x",
                                "--arches", "SCMP_ARCH_X86_64,SCMP_ARCH_X86", "--args", "clone:0,socket:0.2",
                                "--out", "/srv/learn/web/c1.json"});
  REQUIRE(o);
  CHECK(o->mode == RecorderMode::kLearn);
  CHECK(o->arches.size() == 2);
  CHECK(o->args["socket"] == std::vector<unsigned>{0, 2});
  CHECK_FALSE(parse_recorder_args({"--mode", "learn", "--workload", "web", "--container-id", "c1"}));  // no --out
  CHECK_FALSE(parse_recorder_args({"--mode", "spy", "--workload", "web", "--container-id", "c1"}));
  CHECK_FALSE(parse_recorder_args({"--workload", "../x", "--container-id", "c1"}));
  CHECK_FALSE(parse_recorder_args({"--args", "clone:9", "--workload", "w", "--container-id", "c"}));
  auto watch = parse_recorder_args({"--mode", "watch-errno", "--workload", "web", "--container-id", "c1"});
  REQUIRE(watch);
  CHECK(watch->mode == RecorderMode::kWatchErrno);
}

}  // namespace
}  // namespace oci_harden
