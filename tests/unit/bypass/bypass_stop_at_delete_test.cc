// A created container's stop, recorded by `oci-harden delete` with no poststop hook (issue 14,
// shim/core/hook_plan.hh), against what a delete killed at the wrong moment, a runtime deleted
// behind oci-harden's back, or a forged stop-at-delete file would do. Each child stands in for
// one `oci-harden delete` as delete_command runs it (its after_delete, step by step); the
// runtime's state is runc's <root>/<id> under a --root of the test's own.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "shim/host/runtime_state.hh"
#include "shim/host/stop_record.hh"
#include "shim/host/stop_token.hh"
#include "tests/unit/stop_fixture.hh"

namespace oci_harden {

using stop_test::in_child;
using stop_test::killed;
using stop_test::StopFixture;

namespace {

std::string runtime_root(const StopFixture& f) { return f.dir + "/runc-root"; }

// `oci-harden create`'s part, then the runtime's: <root>/<id> made.
void create_container(const StopFixture& f, const std::string& id) {
  REQUIRE(prepare_stop_at_delete(f.policy, runtime_root(f), id, "/bundles/" + id, now_us()).ok());
  REQUIRE((::mkdir(runtime_root(f).c_str(), 0700) == 0 || errno == EEXIST));
  REQUIRE(::mkdir((runtime_root(f) + "/" + id).c_str(), 0700) == 0);
}

// One `oci-harden delete`: hold, the runtime's delete (its state goes), then after_delete's
// work; SIGKILLed right after the runtime's delete when asked.
void one_delete(const StopFixture& f, const std::string& id, bool killed_after_runtime) {
  auto hold = DeleteHold::enter(f.state, id);
  bool deleted = ::rmdir((runtime_root(f) + "/" + id).c_str()) == 0;
  if (killed_after_runtime) ::raise(SIGKILL);
  bool gone = deleted || runtime_lacks_container(f.policy.runtime, runtime_root(f), id);
  auto bundle = stop_at_delete_bundle(f.state, id);
  if ((gone && bundle) || stop_token_exists(f.state, id)) {
    (void)record_stop_once(f.policy, id, bundle.value_or(""), StopRecorder::kDelete, now_us());
  }
  if (hold) hold->leave();
}

}  // namespace

TEST_CASE("bypass: a created container's delete SIGKILLed after the runtime's: the retry records the stop, once",
          "[bypass][stop-token]") {
  StopFixture f;
  create_container(f, "c1");
  REQUIRE(f.exists("c1/stop-at-delete"));
  REQUIRE(killed(in_child([&] { one_delete(f, "c1", true); })));
  CHECK(f.stops("c1") == 0);  // nobody has recorded it yet: it is left to the next comer
  CHECK(f.exists("c1/stop-at-delete"));
  REQUIRE(in_child([&] { one_delete(f, "c1", false); }) == 0);  // the engine's retry
  CHECK(f.stops("c1") == 1);
  CHECK(f.lines_with("\"recorded_by\":\"delete\"") == 1);
  CHECK(f.lines_with("\"bundle\":\"/bundles/c1\"") == 1);
  CHECK_FALSE(f.exists("c1"));  // the last one out removed token, file and directory
  REQUIRE(in_child([&] { one_delete(f, "c1", false); }) == 0);  // another retry
  CHECK(f.stops("c1") == 1);
}

TEST_CASE("bypass: with no retry, the next create of the id records the earlier container's stop first",
          "[bypass][stop-token]") {
  StopFixture f;
  create_container(f, "c1");
  REQUIRE(killed(in_child([&] { one_delete(f, "c1", true); })));
  create_container(f, "c1");  // the runtime no longer has the first: its stop is recorded now
  CHECK(f.stops("c1") == 1);
  CHECK(f.lines_with("\"recorded_by\":\"create\"") == 1);
  REQUIRE(in_child([&] { one_delete(f, "c1", false); }) == 0);
  CHECK(f.stops("c1") == 2);  // one per container
}

TEST_CASE("bypass: a create of an id the runtime still has records no stop and keeps that container's file",
          "[bypass][stop-token]") {
  StopFixture f;
  create_container(f, "c1");
  // A second create of the same id while the first lives (the runtime will refuse the id).
  REQUIRE(prepare_stop_at_delete(f.policy, runtime_root(f), "c1", "/bundles/other", now_us()).ok());
  CHECK(f.stops("c1") == 0);
  CHECK(stop_at_delete_bundle(f.state, "c1") == std::optional<std::string>("/bundles/c1"));
}

TEST_CASE("bypass: stop-at-delete is read only as a regular file of ours that no one else can write",
          "[bypass][stop-token]") {
  StopFixture f;
  REQUIRE(expect_stop_at_delete(f.state, "c1", "/bundles/c1").ok());
  const std::string file = f.state + "/c1/stop-at-delete";
  CHECK(stop_at_delete_bundle(f.state, "c1") == std::optional<std::string>("/bundles/c1"));
  REQUIRE(::chmod(file.c_str(), 0622) == 0);
  CHECK_FALSE(stop_at_delete_bundle(f.state, "c1").has_value());
  REQUIRE(::unlink(file.c_str()) == 0);
  REQUIRE(::symlink("/etc/hostname", file.c_str()) == 0);
  CHECK_FALSE(stop_at_delete_bundle(f.state, "c1").has_value());
  CHECK_FALSE(stop_at_delete_bundle(f.state, "../c1").has_value());  // not a container id
}

}  // namespace oci_harden
