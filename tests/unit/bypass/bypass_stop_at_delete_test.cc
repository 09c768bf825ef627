// A created container's stop, recorded by `oci-harden delete` with no poststop hook (issue 14,
// shim/core/hook_plan.hh), against what a delete killed at the wrong moment, a runtime deleted
// behind oci-harden's back, a forged stop-at-delete file, or a container of the same id under
// another runtime root (the breaker: two containerd namespaces, or Docker and ctr, each took the
// other's stop record and idmapped root) would do. Each child stands in for one
// `oci-harden delete` as delete_command runs it (its after_delete, step by step); the runtime's
// state is runc's <root>/<id> under a --root of the test's own.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>
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

std::string runtime_root(const StopFixture& f, const std::string& ns = "a") { return f.dir + "/runc-root-" + ns; }

// `oci-harden create`'s part, then the runtime's: <root>/<id> made.
Status create_in(const StopFixture& f, const std::string& id, const std::string& ns = "a") {
  Status st = prepare_stop_at_delete(f.policy, runtime_root(f, ns), id, "/bundles/" + ns + "/" + id, now_us());
  if (!st) return st;
  REQUIRE((::mkdir(runtime_root(f, ns).c_str(), 0700) == 0 || errno == EEXIST));
  REQUIRE(::mkdir((runtime_root(f, ns) + "/" + id).c_str(), 0700) == 0);
  return st;
}
void create_container(const StopFixture& f, const std::string& id) { REQUIRE(create_in(f, id).ok()); }

// One `oci-harden delete`: hold, the runtime's delete (its state goes), then after_delete's
// work; SIGKILLed right after the runtime's delete when asked.
void one_delete(const StopFixture& f, const std::string& id, bool killed_after_runtime, const std::string& ns = "a") {
  auto hold = DeleteHold::enter(f.state, id);
  bool deleted = ::rmdir((runtime_root(f, ns) + "/" + id).c_str()) == 0;
  if (killed_after_runtime) ::raise(SIGKILL);
  bool gone = deleted || runtime_lacks_container(f.policy.runtime, runtime_root(f, ns), id);
  auto created = stop_at_delete_of(f.state, id);
  if (!(created && created->runtime_root != runtime_root(f, ns))) {
    if ((gone && created) || stop_token_exists(f.state, id)) {
      (void)record_stop_once(f.policy, id, created ? created->bundle : "", StopRecorder::kDelete, now_us());
    }
  }
  if (hold) hold->leave();
}

std::optional<std::string> bundle_of(const StopFixture& f, const std::string& id) {
  auto created = stop_at_delete_of(f.state, id);
  if (!created) return std::nullopt;
  return created->bundle;
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
  CHECK(f.lines_with("\"bundle\":\"/bundles/a/c1\"") == 1);
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
  CHECK(bundle_of(f, "c1") == std::optional<std::string>("/bundles/a/c1"));
}

TEST_CASE("bypass: stop-at-delete is read only as a regular file of ours that no one else can write",
          "[bypass][stop-token]") {
  StopFixture f;
  REQUIRE(expect_stop_at_delete(f.state, "c1", StopAtDelete{"/run/runc", "/bundles/c1"}).ok());
  const std::string file = f.state + "/c1/stop-at-delete";
  auto read = stop_at_delete_of(f.state, "c1");
  REQUIRE(read.has_value());
  CHECK(read->runtime_root == "/run/runc");
  CHECK(read->bundle == "/bundles/c1");
  REQUIRE(::chmod(file.c_str(), 0622) == 0);
  CHECK_FALSE(stop_at_delete_of(f.state, "c1").has_value());
  REQUIRE(::unlink(file.c_str()) == 0);
  REQUIRE(::symlink("/etc/hostname", file.c_str()) == 0);
  CHECK_FALSE(stop_at_delete_of(f.state, "c1").has_value());
  CHECK_FALSE(stop_at_delete_of(f.state, "../c1").has_value());  // not a container id
}

// The breaker's finds 1 and 1b: `ctr -n nsA run … web` then `ctr -n nsB run … web` (or Docker's
// container id given to ctr on Docker's containerd): nsB's create found nsA's file, asked runc
// under nsB's root, heard "no such container", and recorded nsA's stop while it ran; nsA's delete
// then recorded nsB's stop and removed its idmapped root.
TEST_CASE("bypass: a container of the same id under another runtime root is refused, and its delete touches nothing",
          "[bypass][stop-token]") {
  StopFixture f;
  REQUIRE(create_in(f, "web", "nsA").ok());
  Status second = create_in(f, "web", "nsB");
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.error().message, Catch::Contains("in use under another runtime root"));
  CHECK_THAT(second.error().message, Catch::Contains(runtime_root(f, "nsA")));
  CHECK(f.stops("web") == 0);  // nsA's container runs: no stop recorded for it
  CHECK(bundle_of(f, "web") == std::optional<std::string>("/bundles/nsA/web"));
  // A delete of a same-id container oci-harden does not keep (nsB's, made without it) leaves
  // nsA's state alone.
  REQUIRE(::mkdir((runtime_root(f, "nsB")).c_str(), 0700) == 0);
  REQUIRE(::mkdir((runtime_root(f, "nsB") + "/web").c_str(), 0700) == 0);
  REQUIRE(in_child([&] { one_delete(f, "web", false, "nsB"); }) == 0);
  CHECK(f.stops("web") == 0);
  CHECK(f.exists("web/stop-at-delete"));
  // nsA's own delete records nsA's stop.
  REQUIRE(in_child([&] { one_delete(f, "web", false, "nsA"); }) == 0);
  CHECK(f.stops("web") == 1);
  CHECK(f.lines_with("\"bundle\":\"/bundles/nsA/web\"") == 1);
  // Once nsA's container is gone, the id is free again under any root.
  CHECK(create_in(f, "web", "nsB").ok());
}

// The breaker's find 3: `oci-harden delete sd` stalled right after runc's delete (SIGSTOP), a
// new create of sd under the same root, then the delete resumed: the create took the old stop
// over, and the resumed delete recorded a stop for the new, running container and removed its
// idmapped root. A create now waits for a delete of its id still at work, then refuses.
TEST_CASE("bypass: a create waits for a delete of the same id still at work, then refuses",
          "[bypass][stop-token]") {
  StopFixture f;
  create_container(f, "sd");
  auto hold = DeleteHold::enter(f.state, "sd");  // a delete between runc's delete and its record
  REQUIRE(hold.ok());
  REQUIRE(::rmdir((runtime_root(f) + "/sd").c_str()) == 0);
  int64_t before = now_us();
  Status st = prepare_stop_at_delete(f.policy, runtime_root(f), "sd", "/bundles/new/sd", now_us());
  REQUIRE_FALSE(st.ok());
  CHECK(now_us() - before >= 1900 * 1000);  // it waited for the delete first
  CHECK_THAT(st.error().message, Catch::Contains("a delete of container \"sd\" is still running"));
  CHECK(f.stops("sd") == 0);
  CHECK(bundle_of(f, "sd") == std::optional<std::string>("/bundles/a/sd"));  // the old one's, untouched
  // The delete finishes its work: the old container's stop, once; then the create goes through.
  (void)record_stop_once(f.policy, "sd", "/bundles/a/sd", StopRecorder::kDelete, now_us());
  hold->leave();
  CHECK(f.stops("sd") == 1);
  CHECK(prepare_stop_at_delete(f.policy, runtime_root(f), "sd", "/bundles/new/sd", now_us()).ok());
  CHECK(f.stops("sd") == 1);
  CHECK(bundle_of(f, "sd") == std::optional<std::string>("/bundles/new/sd"));
}

}  // namespace oci_harden
