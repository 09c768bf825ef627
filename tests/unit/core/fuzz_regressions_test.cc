// Inputs found by the fuzzers (tests/fuzz, `make fuzz`), each kept as a test of the fixed
// behaviour: the input as the fuzzer wrote it, what went wrong, and what must hold now.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/operation_rules.hh"
#include "shim/core/policy.hh"
#include "shim/core/runc_args.hh"
#include "shim/core/spec.hh"
#include "tests/unit/fake_host.hh"

namespace oci_harden {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

// json_fuzz crash-4047d48b: yajl accepted the overlong "\xC0\xBE" inside a string, to_json wrote
// it as two U+FFFD, and the config read back was not the one judged. Go (runc) decodes each byte
// of an ill-formed sequence as U+FFFD: the parser now does the same, so the judged value is
// runc's and writing is a fixed point.
TEST_CASE("fuzz: ill-formed UTF-8 is read as Go reads it, and round-trips") {
  const std::string input =
      "{\"usgs\":[\"true\"],\"enwd\":\"/\",\"capabilities\":{\"boundingi\":[\"CABETID\","
      "\"\xC0\xBEP_FOCAPE\"]},\"oomScoreAd\":4}\n";
  auto parsed = parse_json(input);
  REQUIRE(parsed.ok());
  const Json* caps = parsed->get_exact("capabilities");
  REQUIRE(caps != nullptr);
  const Json* bounding = caps->get_exact("boundingi");
  REQUIRE(bounding != nullptr);
  REQUIRE(bounding->items().size() == 2);
  CHECK(bounding->items()[1].text() == kFffd + kFffd + "P_FOCAPE");
  auto again = parse_json(to_json(*parsed));
  REQUIRE(again.ok());
  CHECK(*again == *parsed);

  // Keys too, and each ill-formed sequence yajl lets through: overlong (2 and 3 bytes), a
  // UTF-16 surrogate, beyond U+10FFFF. (A stray or truncated sequence yajl refuses: the
  // config is then refused, which fails closed.)
  auto keyed = parse_json("{\"a\xC0\xAE\":\"\xED\xA0\x80|\xE0\x80\xAF|\xF4\x90\x80\x80\"}");
  REQUIRE(keyed.ok());
  REQUIRE(keyed->members().size() == 1);
  CHECK(keyed->members()[0].first == "a" + kFffd + kFffd);
  CHECK(keyed->members()[0].second.text() ==
        kFffd + kFffd + kFffd + "|" + kFffd + kFffd + kFffd + "|" + kFffd + kFffd + kFffd + kFffd);
  CHECK_FALSE(parse_json("\"\xE2\x82|\"").ok());
  // Well-formed text is untouched.
  auto fine = parse_json("\"/run/\xC3\xA9t\xC3\xA9/\xF0\x9F\x90\xB3\"");
  REQUIRE(fine.ok());
  CHECK(fine->text() == "/run/\xC3\xA9t\xC3\xA9/\xF0\x9F\x90\xB3");
}

OperationDecision update(std::vector<std::string> words) {
  words.insert(words.begin(), {"runc", "update"});
  words.push_back("c1");
  auto args = parse_runc_args(words);
  REQUIRE(args.ok());
  auto policy = builtin_policy();  // pids.max 32768, cpu.max "host"
  REQUIRE(policy.ok());
  FakeHost host;  // 4 CPUs
  return harden_update(*args, Json(), *policy, host);
}

bool refused_saying(const OperationDecision& d, const std::string& text) {
  for (const Refusal& r : d.refusals) {
    if (r.rule == "update" && r.reason.find(text) != std::string::npos) return true;
  }
  return false;
}

// operation_fuzz crash-630bdb89: `update --cpu-period 55555555555555555555 --cpu-quota 900000`:
// atoll saturated the period, and 4000 milli-CPUs * period overflowed int64 (UBSan: signed
// integer overflow in shim/core/rules/update.cc). The flags are now read as runc reads them and the
// bound saturates.
TEST_CASE("fuzz: update with a huge --cpu-period neither overflows nor passes unjudged") {
  OperationDecision out_of_range =
      update({"--cpu-quota", "900000", "--cpu-period", "55555555555555555555"});
  CHECK(refused_saying(out_of_range, "--cpu-period \"55555555555555555555\" is not a number"));

  OperationDecision huge = update({"--cpu-quota", "900000", "--cpu-period", "9223372036854775807"});
  CHECK_FALSE(huge.refused());  // 900000 us in a period that long is far under 4 CPUs
  CHECK(huge.argv == std::vector<std::string>{"runc", "update", "--cpu-quota", "900000",
                                              "--cpu-period", "9223372036854775807", "c1"});

  OperationDecision normal = update({"--cpu-period", "100000", "--cpu-quota", "900000"});
  CHECK_FALSE(normal.refused());  // 9 CPUs asked, 4 on the host: clamped to 400000
  CHECK(normal.argv[5] == "400000");
}

// operation_fuzz crash-033c8c0e (CI's fuzz pass): `update -r -` with cpu {"quota": 1000000,
// "period": 0}. Period 0 was taken as the period itself, so the bound was 0 and the quota was
// clamped to 0, which the second judgement read as "no quota" and clamped again: not a fixed
// point. runc writes only a non-zero period (the container keeps its own), so 0 now means the
// policy's period, as it already did for --cpu-period 0.
TEST_CASE("fuzz: update -r with cpu.period 0 is bounded at the policy's period") {
  auto policy = builtin_policy();  // cpu_period 100000, cpu.max "host"
  REQUIRE(policy.ok());
  FakeHost host;  // 4 CPUs: at most 400000 us per 100000 us
  auto args = parse_runc_args({"runc", "update", "-r", "-", "c1"});
  REQUIRE(args.ok());
  for (const char* period : {"0", "-5", "null"}) {
    INFO(period);
    auto resources = parse_json(std::string(R"({"cpu": {"quota": 1000000, "period": )") + period + "}}");
    REQUIRE(resources.ok());
    OperationDecision first = harden_update(*args, *resources, *policy, host);
    REQUIRE_FALSE(first.refused());
    CHECK(int_field(field(&first.resources, "cpu"), "quota") == 400000);
    OperationDecision again = harden_update(*args, first.resources, *policy, host);
    CHECK(again.changes.empty());
  }
}

// operation_fuzz crash-23e6ec8f (this round's fuzz pass): `update c1 --memory-swap=-1 --cpu-period 2`.
// A period alone gets a quota, inserted into argv; the --memory-swap rewrite then used the span
// of the argv as parsed, one word too early, and left the real --memory-swap=-1 in place: not a
// fixed point (and an unlimited swap passed). The in-place rewrites now come before the insert.
TEST_CASE("fuzz: update with a period alone and a flag after it rewrites the right word") {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  FakeHost host;
  // The first word after "update" is the container id, as runc reads it; flags after it too.
  auto args = parse_runc_args({"runc", "update", "c1", "--memory-swap=-1", "--cpu-period", "2"});
  REQUIRE(args.ok());
  OperationDecision first = harden_update(*args, Json(), *policy, host);
  REQUIRE_FALSE(first.refused());
  for (const std::string& w : first.argv) CHECK(w != "--memory-swap=-1");
  auto again_args = parse_runc_args(first.argv);
  REQUIRE(again_args.ok());
  OperationDecision again = harden_update(*again_args, Json(), *policy, host);
  CHECK(again.changes.empty());
}

// operation_fuzz crash-e88115c6 (this round's second fuzz pass): with an unknown word among the
// flags (`update --x 64g --cpu-quota 900000 ID`), the period added before the container id
// landed after a word runc stops its flag parsing at, so the second judgement did not see it
// and pinned it again. Added flags now go before the first of the subcommand's flags.
TEST_CASE("fuzz: a flag update adds is read as a flag again") {
  auto policy = builtin_policy();
  REQUIRE(policy.ok());
  FakeHost host;
  auto args = parse_runc_args({"runc", "update", "--cpu-quota", "900000", "c1", "64g", "c1"});
  REQUIRE(args.ok());
  OperationDecision first = harden_update(*args, Json(), *policy, host);
  REQUIRE_FALSE(first.refused());
  auto again_args = parse_runc_args(first.argv);
  REQUIRE(again_args.ok());
  CHECK(again_args->flag("cpu-period") != nullptr);
  OperationDecision again = harden_update(*again_args, Json(), *policy, host);
  CHECK(again.changes.empty());
}

// Found reading clang-tidy's cert-err34-c on the same code: runc takes --pids-limit through Go's
// flag package (base 0), so "1_000_000" and "0x100000" are 1000000 and 1048576 to runc, while
// atoll read 1 and 0. Such spellings are refused; a plain number is judged as before.
TEST_CASE("update: --pids-limit and --cpu-quota only as plain decimal numbers") {
  CHECK(refused_saying(update({"--pids-limit", "1_000_000"}), "is not a number"));
  CHECK(refused_saying(update({"--pids-limit=0x100000"}), "is not a number"));
  CHECK(refused_saying(update({"--cpu-quota", " 500000"}), "is not a number"));
  CHECK(refused_saying(update({"--cpu-quota", "1e6"}), "is not a number"));
  OperationDecision clamped = update({"--pids-limit", "100000"});
  CHECK_FALSE(clamped.refused());
  CHECK(clamped.argv[3] == "32768");
  OperationDecision within = update({"--pids-limit=+100"});
  CHECK_FALSE(within.refused());
  CHECK(within.argv[2] == "--pids-limit=+100");
}

}  // namespace
}  // namespace oci_harden
