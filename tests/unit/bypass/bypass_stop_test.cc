// The breaker's finds against the stop record (issue 14), as the token decides them now:
//  (a) `oci-harden delete` SIGKILLed after the runtime's delete, before it recorded, while the
//      poststop hook had stood down: the stop record was lost and the idmapped root stayed;
//  (b) concurrent `oci-harden delete`s of one container gave 2-3 stop records.
// Each child below stands in for one delete: it holds the container's state directory as
// delete_command does, runs the hook's work (record_stop_once as the hook, which the runtime
// runs inside that delete), then the delete's own (only where a token is left to take over).

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shim/host/stop_record.hh"
#include "shim/host/stop_token.hh"
#include "tests/unit/stop_fixture.hh"

namespace oci_harden {

using stop_test::in_child;
using stop_test::killed;
using stop_test::StopFixture;

namespace {

// The runtime's own state of the container (runc's <root>/<id>): a runtime delete that still
// finds it destroys the container and runs the poststop hook; several that find it at once all
// run it (what gave the breaker 2-3 records); one that comes later finds nothing, runs no hook,
// and answers 0 to `delete --force`.
std::string runtime_state(const StopFixture& f, const std::string& id) { return f.dir + "/runtime-" + id; }

void create_container(const StopFixture& f, const std::string& id) {
  forget_stop_token(f.state, id);  // as oci-harden create does
  REQUIRE(::close(::open(runtime_state(f, id).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0);
}

// One `oci-harden delete` as delete_command runs it, its runtime's poststop hook inside; killed
// after the runtime's delete when asked (breaker's (a)).
void one_delete(const StopFixture& f, const std::string& id, bool killed_after_runtime) {
  auto hold = DeleteHold::enter(f.state, id);
  if (::access(runtime_state(f, id).c_str(), F_OK) == 0) {  // the runtime loads the container
    ::usleep(2000);                                          // ... as its concurrent peers do
    ::unlink(runtime_state(f, id).c_str());                  // destroys it
    (void)record_stop_once(f.policy, id, "/bundle", StopRecorder::kHook, now_us());  // the hook
    release_stop_token_if_alone(f.state, id);
  }
  if (killed_after_runtime) ::raise(SIGKILL);
  if (stop_token_exists(f.state, id)) (void)record_stop_once(f.policy, id, "", StopRecorder::kDelete, now_us());
  if (hold) hold->leave();
}

void make_idmapped_root_dir(const StopFixture& f, const std::string& id) {
  REQUIRE((::mkdir(f.state.c_str(), 0711) == 0 || errno == EEXIST));
  REQUIRE(::mkdir((f.state + "/" + id).c_str(), 0711) == 0);
  REQUIRE(::mkdir((f.state + "/" + id + "/rootfs").c_str(), 0711) == 0);
}

}  // namespace

TEST_CASE("bypass: delete SIGKILLed after the runtime's delete keeps the stop record and removes the root",
          "[bypass][stop-token]") {
  StopFixture f;
  make_idmapped_root_dir(f, "c1");
  create_container(f, "c1");
  REQUIRE(killed(in_child([&] { one_delete(f, "c1", true); })));
  CHECK(f.stops("c1") == 1);
  CHECK_FALSE(f.exists("c1/rootfs"));
  // The engine's retry (a second delete, runc answers 0 with no hook): still one record, and it
  // is the last one out.
  REQUIRE(in_child([&] {
    auto hold = DeleteHold::enter(f.state, "c1");
    if (stop_token_exists(f.state, "c1")) (void)record_stop_once(f.policy, "c1", "", StopRecorder::kDelete, now_us());
    if (hold) hold->leave();
  }) == 0);
  CHECK(f.stops("c1") == 1);
  CHECK_FALSE(f.exists("c1"));
}

TEST_CASE("bypass: a token left by a killed delete does not silence the next container of the id",
          "[bypass][stop-token]") {
  StopFixture f;
  create_container(f, "c1");
  REQUIRE(killed(in_child([&] { one_delete(f, "c1", true); })));
  REQUIRE(f.exists("c1/stop-token"));  // left behind, "recorded"
  create_container(f, "c1");           // the next container of this id
  REQUIRE(in_child([&] { one_delete(f, "c1", false); }) == 0);
  CHECK(f.stops("c1") == 2);  // one per container
}

TEST_CASE("bypass: concurrent deletes of one container give one stop record", "[bypass][stop-token]") {
  StopFixture f;
  make_idmapped_root_dir(f, "c1");
  create_container(f, "c1");
  std::vector<pid_t> kids;
  for (int i = 0; i < 8; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      one_delete(f, "c1", false);
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(status == 0);
  }
  CHECK(f.stops("c1") == 1);
  CHECK_FALSE(f.exists("c1"));
}

TEST_CASE("bypass: concurrent deletes, one SIGKILLed mid-way, still one stop record", "[bypass][stop-token]") {
  StopFixture f;
  create_container(f, "c1");
  std::vector<pid_t> kids;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      one_delete(f, "c1", i % 2 == 0);
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
  }
  CHECK(f.stops("c1") == 1);
}

}  // namespace oci_harden
