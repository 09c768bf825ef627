// The stop token (issue 14): one taker records, a later comer stands down, a taker that dies
// is taken over, a live one is waited for, and the last one out removes the token.

#include "shim/host/stop_token.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "shim/host/stop_record.hh"
#include "tests/unit/stop_fixture.hh"

namespace oci_harden {

using stop_test::in_child;
using stop_test::killed;
using stop_test::StopFixture;

TEST_CASE("stop token: the first taker records; once marked, a later comer stands down", "[stop-token]") {
  StopFixture f;
  {
    auto a = take_stop_token(f.state, "c1");
    REQUIRE(a.ok());
    CHECK(a->mine());
    CHECK_FALSE(a->taken_over());
    CHECK(stop_token_path(f.state, "c1") == f.state + "/c1/stop-token");
    CHECK(stop_token_exists(f.state, "c1"));
    REQUIRE(a->mark_recorded().ok());
  }
  auto b = take_stop_token(f.state, "c1");
  REQUIRE(b.ok());
  CHECK_FALSE(b->mine());
  CHECK_FALSE(stop_token_exists(f.state, "c2"));
  // 0711, as the idmapped root's directories: runc's init walks through them.
  struct stat st {};
  REQUIRE(::stat((f.state + "/c1").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0711);
  // No private name left behind.
  CHECK_FALSE(f.exists("c1/stop-token." + std::to_string(::getpid())));
}

TEST_CASE("stop token: a taker that died before its record is taken over", "[stop-token]") {
  StopFixture f;
  int status = in_child([&] {
    auto t = take_stop_token(f.state, "c1");
    if (!t || !t->mine()) ::_exit(3);
    ::raise(SIGKILL);  // between the token and the record
  });
  REQUIRE(killed(status));
  auto t = take_stop_token(f.state, "c1");
  REQUIRE(t.ok());
  CHECK(t->mine());
  CHECK(t->taken_over());
}

TEST_CASE("stop token: a live taker is waited for, and its record stands", "[stop-token]") {
  StopFixture f;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto t = take_stop_token(f.state, "c1");
    char c = (t && t->mine()) ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::usleep(300 * 1000);
    if (t && t->mine()) (void)t->mark_recorded();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  REQUIRE(c == 'y');
  auto t = take_stop_token(f.state, "c1");
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(t.ok());
  // Not mine, and not taken over: the taker was alive and unrecorded when we came; we either
  // waited for its lock until it marked the token, or came after the mark. Never a second taker.
  CHECK_FALSE(t->mine());
  CHECK_FALSE(t->taken_over());
}

TEST_CASE("stop token: a delete's hold keeps the token; the last one out removes it and the directory",
          "[stop-token]") {
  StopFixture f;
  auto hold = DeleteHold::enter(f.state, "c1");
  REQUIRE(hold.ok());
  {
    auto t = take_stop_token(f.state, "c1");
    REQUIRE(t.ok());
    REQUIRE(t->mine());
    REQUIRE(t->mark_recorded().ok());
  }
  release_stop_token_if_alone(f.state, "c1");  // the hook: a delete holds it, so it stays
  CHECK(f.exists("c1/stop-token"));
  auto second = DeleteHold::enter(f.state, "c1");  // a concurrent delete
  REQUIRE(second.ok());
  hold->leave();
  CHECK(f.exists("c1/stop-token"));  // not the last one out
  second->leave();
  CHECK_FALSE(f.exists("c1"));
  // With no delete around, the hook is the last one out.
  {
    auto t = take_stop_token(f.state, "c2");
    REQUIRE(t.ok());
    REQUIRE(t->mark_recorded().ok());
  }
  release_stop_token_if_alone(f.state, "c2");
  CHECK_FALSE(f.exists("c2"));
}

TEST_CASE("stop token: an unrecorded token outlives the last one out, for a later delete to take over",
          "[stop-token]") {
  StopFixture f;
  REQUIRE(killed(in_child([&] {
    auto t = take_stop_token(f.state, "c1");
    ::raise(SIGKILL);
  })));
  release_stop_token_if_alone(f.state, "c1");
  CHECK(f.exists("c1/stop-token"));
  auto hold = DeleteHold::enter(f.state, "c1");
  REQUIRE(hold.ok());
  hold->leave();
  CHECK(f.exists("c1/stop-token"));
}

TEST_CASE("stop token: create forgets a token left by an earlier container of the id", "[stop-token]") {
  StopFixture f;
  {
    auto t = take_stop_token(f.state, "c1");
    REQUIRE(t.ok());
    REQUIRE(t->mark_recorded().ok());
  }
  forget_stop_token(f.state, "c1");
  CHECK_FALSE(stop_token_exists(f.state, "c1"));
  auto t = take_stop_token(f.state, "c1");
  REQUIRE(t.ok());
  CHECK(t->mine());
  CHECK_FALSE(t->taken_over());
  forget_stop_token(f.state, "absent");  // ENOENT is fine
}

TEST_CASE("stop token: a token others could write, or not a regular file, is refused", "[stop-token]") {
  StopFixture f;
  REQUIRE(killed(in_child([&] {
    auto t = take_stop_token(f.state, "c1");
    ::raise(SIGKILL);
  })));
  REQUIRE(::chmod(stop_token_path(f.state, "c1").c_str(), 0622) == 0);
  CHECK_FALSE(take_stop_token(f.state, "c1").ok());
  REQUIRE(::unlink(stop_token_path(f.state, "c1").c_str()) == 0);
  REQUIRE(::symlink("/etc/passwd", stop_token_path(f.state, "c1").c_str()) == 0);
  CHECK_FALSE(take_stop_token(f.state, "c1").ok());  // never through a link
}

TEST_CASE("stop token: ids and state directories that would leave state_dir are refused", "[stop-token]") {
  StopFixture f;
  CHECK_FALSE(take_stop_token(f.state, "../escape").ok());
  CHECK_FALSE(take_stop_token(f.state, "").ok());
  CHECK_FALSE(take_stop_token("relative/state", "c1").ok());
  CHECK_FALSE(DeleteHold::enter(f.state, "../escape").ok());
  CHECK_FALSE(stop_token_exists(f.state, "../escape"));
}

TEST_CASE("record_stop_once: one record, the idmapped root's directory removed, a second call records nothing",
          "[stop-token]") {
  StopFixture f;
  REQUIRE(::mkdir(f.state.c_str(), 0711) == 0);
  REQUIRE(::mkdir((f.state + "/c1").c_str(), 0711) == 0);
  REQUIRE(::mkdir((f.state + "/c1/rootfs").c_str(), 0711) == 0);
  StopOutcome first = record_stop_once(f.policy, "c1", "/b", StopRecorder::kHook, now_us());
  CHECK(first.recorded);
  CHECK(first.status.ok());
  CHECK_FALSE(f.exists("c1/rootfs"));
  StopOutcome again = record_stop_once(f.policy, "c1", "/b", StopRecorder::kDelete, now_us());
  CHECK_FALSE(again.recorded);
  CHECK(f.stops("c1") == 1);
  CHECK(f.lines_with("\"recorded_by\"") == 0);  // the hook's record
  release_stop_token_if_alone(f.state, "c1");
  CHECK_FALSE(f.exists("c1"));
}

TEST_CASE("record_stop_once: a delete takes over from a hook killed before its record", "[stop-token]") {
  StopFixture f;
  REQUIRE(killed(in_child([&] {
    auto t = take_stop_token(f.state, "c1");
    ::raise(SIGKILL);
  })));
  CHECK(f.stops("c1") == 0);
  StopOutcome out = record_stop_once(f.policy, "c1", "", StopRecorder::kDelete, now_us());
  CHECK(out.recorded);
  CHECK(out.taken_over);
  CHECK(f.stops("c1") == 1);
  CHECK(f.lines_with("\"taken_over\":true") == 1);
  CHECK(f.lines_with("\"recorded_by\":\"delete\"") == 1);
}

TEST_CASE("record_stop_once: the remaining window, a taker killed between its record and the mark, "
          "gives a duplicate and never a loss",
          "[stop-token]") {
  StopFixture f;
  REQUIRE(killed(in_child([&] {
    auto t = take_stop_token(f.state, "c1");
    AuditEvent e;
    e.event = "stop";
    e.container = "c1";
    e.decision = "unchanged";
    (void)record_event(f.policy, e, now_us());
    ::raise(SIGKILL);
  })));
  (void)record_stop_once(f.policy, "c1", "", StopRecorder::kDelete, now_us());
  CHECK(f.stops("c1") == 2);
}

}  // namespace oci_harden
