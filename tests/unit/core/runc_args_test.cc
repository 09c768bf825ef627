// runc's command line parsed by its grammar: every global flag form, values that look like
// subcommands, flags after the container id (not for exec), "--", and the argv kept unchanged.

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "shim/core/runc_args.hh"

namespace oci_harden {
namespace {

using Argv = std::vector<std::string>;
using Flags = std::vector<std::pair<std::string, std::string>>;

RuncArgs parse(Argv argv) {
  argv.insert(argv.begin(), "oci-harden");
  auto r = parse_runc_args(argv);
  if (!r) FAIL_CHECK("parse_runc_args refused: " << r.error().message);
  REQUIRE(r.ok());
  CHECK(r->argv == argv);  // never rewritten
  return std::move(*r);
}

Error parse_error(Argv argv) {
  argv.insert(argv.begin(), "oci-harden");
  auto r = parse_runc_args(argv);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kUsage);
  return r.error();
}

}  // namespace

TEST_CASE("runc_args: global flags in every form", "[runc_args]") {
  SECTION("--root x") {
    RuncArgs a = parse({"--root", "/run/docker/runtime-runc/moby", "create", "--bundle", "/b", "id"});
    CHECK(a.root == "/run/docker/runtime-runc/moby");
    CHECK(a.command == "create");
    CHECK(*a.flag("bundle") == "/b");
    CHECK(a.container_id() == "id");
  }
  SECTION("--root=x") {
    RuncArgs a = parse({"--root=/r", "state", "id"});
    CHECK(a.root == "/r");
    CHECK(a.command == "state");
    CHECK(a.positionals == Argv{"id"});
  }
  SECTION("-root x (one dash)") {
    RuncArgs a = parse({"-root", "/r", "delete", "id"});
    CHECK(a.root == "/r");
    CHECK(a.command == "delete");
  }
  SECTION("-root=x") {
    RuncArgs a = parse({"-root=/r", "kill", "id", "9"});
    CHECK(a.root == "/r");
    CHECK(a.command == "kill");
    CHECK(a.positionals == Argv{"id", "9"});
  }
  SECTION("--log=/p and --log-format json") {
    RuncArgs a = parse({"--log=/run/x/log.json", "--log-format", "json", "create", "id"});
    CHECK(a.log == "/run/x/log.json");
    CHECK(a.log_format == "json");
    CHECK(a.command == "create");
  }
  SECTION("--log /p and --log-format=text") {
    RuncArgs a = parse({"--log", "/p", "--log-format=text", "start", "id"});
    CHECK(a.log == "/p");
    CHECK(a.log_format == "text");
    CHECK(a.command == "start");
  }
  SECTION("--debug, --debug=false, --debug=true") {
    CHECK(parse({"--debug", "state", "id"}).debug);
    CHECK_FALSE(parse({"--debug=false", "state", "id"}).debug);
    CHECK(parse({"--debug=true", "state", "id"}).debug);
    CHECK(parse({"-debug", "state", "id"}).debug);
    CHECK_FALSE(parse({"state", "id"}).debug);
    RuncArgs a = parse({"--debug", "--debug=false", "state", "id"});
    CHECK_FALSE(a.debug);  // the last one wins
  }
  SECTION("--systemd-cgroup takes no value") {
    RuncArgs a = parse({"--systemd-cgroup", "create", "id"});
    CHECK(a.command == "create");
    CHECK(a.positionals == Argv{"id"});
  }
  SECTION("--rootless false takes a value") {
    RuncArgs a = parse({"--rootless", "false", "create", "id"});
    CHECK(a.command == "create");
    CHECK(a.positionals == Argv{"id"});
    CHECK(parse({"--rootless=auto", "run", "id"}).command == "run");
  }
  SECTION("--criu /x") {
    RuncArgs a = parse({"--criu", "/usr/sbin/criu", "restore", "--bundle", "/b", "id"});
    CHECK(a.command == "restore");
    CHECK(*a.flag("bundle") == "/b");
  }
  SECTION("crun's --cgroup-manager systemd") {
    RuncArgs a = parse({"--cgroup-manager", "systemd", "create", "--bundle", "/b", "id"});
    CHECK(a.command == "create");
    CHECK(a.container_id() == "id");
  }
  SECTION("everything together, as containerd calls runc") {
    RuncArgs a = parse({"--root", "/run/containerd/runc/k8s.io", "--log",
                        "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/log.json",
                        "--log-format", "json", "--systemd-cgroup", "create", "--bundle",
                        "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc", "--pid-file",
                        "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/init.pid", "abc"});
    CHECK(a.root == "/run/containerd/runc/k8s.io");
    CHECK(a.log == "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/log.json");
    CHECK(a.log_format == "json");
    CHECK(a.command == "create");
    CHECK(*a.flag("bundle") == "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc");
    CHECK(*a.flag("pid-file") == "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/init.pid");
    CHECK(a.positionals == Argv{"abc"});
  }
}

TEST_CASE("runc_args: an unknown global flag is passed through", "[runc_args]") {
  RuncArgs a = parse({"--some-new-flag", "create", "--bundle", "/b", "id"});
  CHECK(a.command == "create");
  CHECK(a.container_id() == "id");
  CHECK(a.root.empty());
  RuncArgs b = parse({"--weird=1", "state", "id"});
  CHECK(b.command == "state");
}

TEST_CASE("runc_args: a global flag's value is not the subcommand", "[runc_args]") {
  RuncArgs a = parse({"--root", "create", "run", "x"});
  CHECK(a.root == "create");
  CHECK(a.command == "run");
  CHECK(a.positionals == Argv{"x"});
  CHECK(rewrites_bundle(a.command));

  RuncArgs b = parse({"--log", "exec", "--log-format", "create", "state", "id"});
  CHECK(b.log == "exec");
  CHECK(b.log_format == "create");
  CHECK(b.command == "state");
  CHECK_FALSE(rewrites_bundle(b.command));
}

TEST_CASE("runc_args: create's flags in every position", "[runc_args]") {
  SECTION("--bundle=x id") {
    RuncArgs a = parse({"create", "--bundle=/b", "id"});
    CHECK(*a.flag("bundle") == "/b");
    CHECK(a.positionals == Argv{"id"});
    CHECK(a.flag_spans == std::vector<std::pair<size_t, size_t>>{{2, 1}});
  }
  SECTION("-b x id") {
    RuncArgs a = parse({"create", "-b", "/b", "id"});
    REQUIRE(a.flag("bundle") != nullptr);
    CHECK(*a.flag("bundle") == "/b");
    CHECK(a.flags == Flags{{"bundle", "/b"}});
    CHECK(a.flag_spans == std::vector<std::pair<size_t, size_t>>{{2, 2}});
    CHECK(a.positionals == Argv{"id"});
  }
  SECTION("--b=x; -bundle x is refused (crun reads it as -b undle)") {
    CHECK(*parse({"create", "--b=/b", "id"}).flag("bundle") == "/b");
    CHECK_THAT(parse_error({"create", "-bundle", "/b", "id"}).message,
               Catch::Matchers::Contains("read as -b undle by crun"));
  }
  SECTION("id -b x: flags after the id") {
    RuncArgs a = parse({"create", "id", "-b", "/b"});
    CHECK(*a.flag("bundle") == "/b");
    CHECK(a.positionals == Argv{"id"});
    CHECK(a.container_id() == "id");
  }
  SECTION("--bundle x --bundle y: the last wins") {
    RuncArgs a = parse({"create", "--bundle", "/x", "--bundle", "/y", "id"});
    CHECK(*a.flag("bundle") == "/y");
    CHECK(a.flag_values("bundle") == Argv{"/x", "/y"});
  }
  SECTION("bool flags and value flags mixed") {
    RuncArgs a = parse({"run", "-d", "--no-pivot", "--console-socket", "/s.sock", "--preserve-fds=2", "--keep",
                        "-b", "/b", "id"});
    CHECK(a.command == "run");
    CHECK(*a.flag("detach") == "true");
    CHECK(*a.flag("no-pivot") == "true");
    CHECK(*a.flag("console-socket") == "/s.sock");
    CHECK(*a.flag("preserve-fds") == "2");
    CHECK(*a.flag("keep") == "true");
    CHECK(*a.flag("bundle") == "/b");
    CHECK(a.positionals == Argv{"id"});
    CHECK(a.flag("pid-file") == nullptr);
    CHECK(a.flag_values("pid-file").empty());
  }
  SECTION("no --bundle: none recorded (the cwd is the bundle)") {
    RuncArgs a = parse({"create", "id"});
    CHECK(a.flag("bundle") == nullptr);
    CHECK(a.container_id() == "id");
  }
}

TEST_CASE("runc_args: exec reads flags only before the container id", "[runc_args]") {
  SECTION("exec id create: create is a positional") {
    RuncArgs a = parse({"exec", "id", "create"});
    CHECK(a.command == "exec");
    CHECK(a.positionals == Argv{"id", "create"});
    CHECK(a.flags.empty());
    CHECK_FALSE(rewrites_bundle(a.command));
  }
  SECTION("exec -t id sh -c x") {
    RuncArgs a = parse({"exec", "-t", "id", "sh", "-c", "x"});
    CHECK(*a.flag("tty") == "true");
    CHECK(a.positionals == Argv{"id", "sh", "-c", "x"});
    CHECK(a.flag("cap") == nullptr);  // -c belongs to the command
    CHECK(a.container_id() == "id");
  }
  SECTION("exec id -t: -t is the command") {
    RuncArgs a = parse({"exec", "id", "-t"});
    CHECK(a.flags.empty());
    CHECK(a.positionals == Argv{"id", "-t"});
  }
  SECTION("exec --process p, --process=p, --cap, --user (-p=p: see crun's grammar below)") {
    RuncArgs a = parse({"exec", "--process", "/tmp/p.json", "--detach", "--pid-file", "/x.pid", "id"});
    CHECK(*a.flag("process") == "/tmp/p.json");
    CHECK(*a.flag("detach") == "true");
    CHECK(a.positionals == Argv{"id"});
    RuncArgs b = parse({"exec", "--process=/p.json", "-c", "CAP_SYS_ADMIN", "--cap=CAP_NET_ADMIN", "-u", "0:0", "id"});
    CHECK(*b.flag("process") == "/p.json");
    CHECK(b.flag_values("cap") == Argv{"CAP_SYS_ADMIN", "CAP_NET_ADMIN"});
    CHECK(*b.flag("user") == "0:0");
    CHECK(b.flag_spans == std::vector<std::pair<size_t, size_t>>{{2, 1}, {3, 2}, {5, 1}, {6, 2}});
  }
  SECTION("exec --env with = in the value") {
    RuncArgs a = parse({"exec", "-e", "A=B=C", "--env=X=1", "id", "env"});
    CHECK(a.flag_values("env") == Argv{"A=B=C", "X=1"});
    CHECK(a.positionals == Argv{"id", "env"});
  }
}

TEST_CASE("runc_args: -- ends the flags", "[runc_args]") {
  RuncArgs a = parse({"create", "--bundle", "/b", "--", "-weird-id"});
  CHECK(*a.flag("bundle") == "/b");
  CHECK(a.positionals == Argv{"-weird-id"});
  CHECK(a.container_id() == "-weird-id");

  RuncArgs b = parse({"create", "--", "id", "--bundle", "/x"});
  CHECK(b.flag("bundle") == nullptr);
  CHECK(b.positionals == Argv{"id", "--bundle", "/x"});

  RuncArgs c = parse({"exec", "--", "id", "sh"});
  CHECK(c.positionals == Argv{"id", "sh"});

  RuncArgs d = parse({"--root", "/r", "--", "create", "id"});
  CHECK(d.root == "/r");
  CHECK(d.command == "create");
  CHECK(d.positionals == Argv{"id"});
}

TEST_CASE("runc_args: --help and --version alone", "[runc_args]") {
  RuncArgs h = parse({"--help"});
  CHECK(h.help);
  CHECK(h.command.empty());
  CHECK_FALSE(h.version);
  CHECK(parse({"-h"}).help);

  RuncArgs v = parse({"--version"});
  CHECK(v.version);
  CHECK(v.command.empty());
  CHECK_FALSE(v.help);
  CHECK(parse({"-v"}).version);
  CHECK(parse({"-version"}).version);

  RuncArgs none = parse({});
  CHECK(none.command.empty());
  CHECK_FALSE(none.help);
  CHECK_FALSE(none.version);

  // --help after a subcommand is that subcommand's.
  RuncArgs sub = parse({"create", "--help"});
  CHECK(sub.command == "create");
  CHECK_FALSE(sub.help);
}

TEST_CASE("runc_args: a missing flag value is a usage error", "[runc_args]") {
  Error e = parse_error({"create", "--bundle"});
  CHECK(e.message == "create: flag needs an argument: --bundle");
  CHECK(parse_error({"create", "id", "-b"}).message == "create: flag needs an argument: -b");
  CHECK(parse_error({"exec", "--process"}).message == "exec: flag needs an argument: --process");
  CHECK(parse_error({"--root"}).message == "flag needs an argument: --root");
  CHECK(parse_error({"--log-format"}).message == "flag needs an argument: --log-format");
  // An empty value given with = is a value.
  CHECK(parse({"create", "--bundle=", "id"}).flag("bundle")->empty());
}

TEST_CASE("runc_args: commands without a flag table keep their words", "[runc_args]") {
  RuncArgs a = parse({"delete", "--force", "id"});
  CHECK(a.command == "delete");
  CHECK(a.positionals == Argv{"id"});
  CHECK(a.flags == Flags{{"force", ""}});

  RuncArgs f = parse({"features"});
  CHECK(f.command == "features");
  CHECK(f.positionals.empty());
  CHECK(f.root.empty());
  CHECK(f.log.empty());

  RuncArgs u = parse({"update", "--pids-limit", "10", "--resources", "-", "id"});
  CHECK(*u.flag("pids-limit") == "10");
  CHECK(*u.flag("resources") == "-");
  CHECK(u.positionals == Argv{"id"});

  RuncArgs r = parse({"restore", "--image-path", "/img", "--detach", "-b", "/b", "id"});
  CHECK(*r.flag("image-path") == "/img");
  CHECK(*r.flag("bundle") == "/b");
  CHECK(r.positionals == Argv{"id"});
}

TEST_CASE("runc_args: rewrites_bundle", "[runc_args]") {
  CHECK(rewrites_bundle("create"));
  CHECK(rewrites_bundle("run"));
  CHECK(rewrites_bundle("restore"));
  for (const char* cmd : {"exec", "start", "state", "delete", "kill", "ps", "update", "features", "checkpoint",
                          "pause", "resume", "events", "list", "spec", "", "Create", "CREATE"}) {
    INFO(cmd);
    CHECK_FALSE(rewrites_bundle(cmd));
  }
}

TEST_CASE("runc_args: a lone dash is a word, not a flag", "[runc_args]") {
  RuncArgs a = parse({"update", "-r", "-", "id"});
  CHECK(*a.flag("resources") == "-");
  RuncArgs b = parse({"-", "x"});
  CHECK(b.command == "-");
  CHECK(b.positionals == Argv{"x"});
}

TEST_CASE("runc_args: crun's grammar: --config/-f, prefixes, short clusters", "[runc_args][bypass]") {
  SECTION("--config and -f are create's and run's flags with a value") {
    CHECK(*parse({"run", "--config", "/tmp/other.json", "id"}).flag("config") == "/tmp/other.json");
    CHECK(*parse({"create", "-f", "/tmp/other.json", "id"}).flag("config") == "/tmp/other.json");
    CHECK(parse({"create", "-f", "/tmp/other.json", "id"}).positionals == Argv{"id"});
    CHECK(*parse({"run", "--config=x.json", "id"}).flag("config") == "x.json");
  }
  SECTION("a long flag's unambiguous prefix is that flag (argp), an ambiguous one an error") {
    CHECK(*parse({"create", "--conf", "/o.json", "id"}).flag("config") == "/o.json");
    CHECK(*parse({"create", "--bun=/b", "id"}).flag("bundle") == "/b");
    CHECK(parse({"create", "--bun", "/b", "id"}).positionals == Argv{"id"});
    CHECK(*parse({"exec", "--process-l", "x", "id"}).flag("process-label") == "x");
    CHECK_THAT(parse_error({"exec", "--proc", "/p.json", "id"}).message, Catch::Matchers::Contains("ambiguous"));
    CHECK(*parse({"update", "--res", "-", "id"}).flag("resources") == "-");
    CHECK(*parse({"update", "--cpu-p", "1000", "id"}).flag("cpu-period") == "1000");
    CHECK_THAT(parse_error({"create", "--con", "x", "id"}).message, Catch::Matchers::Contains("ambiguous"));
    CHECK_THAT(parse_error({"update", "--cpu", "1", "id"}).message, Catch::Matchers::Contains("ambiguous"));
  }
  SECTION("exact names and one-letter aliases win over prefixes") {
    CHECK(*parse({"create", "--b", "/b", "id"}).flag("bundle") == "/b");
    CHECK(*parse({"run", "--detach", "id"}).flag("detach") == "true");
  }
  SECTION("a short cluster reaching a flag with a value is refused") {
    for (const Argv& argv : {Argv{"create", "-f/tmp/o.json", "id"}, Argv{"create", "-df", "/o.json", "id"},
                             Argv{"run", "-dbX", "id"}, Argv{"create", "-b=/b", "id"},
                             Argv{"exec", "-process", "/p.json", "id", "sh"}, Argv{"update", "-r-", "id"}}) {
      INFO(argv[1]);
      CHECK_THAT(parse_error(argv).message, Catch::Matchers::Contains("by crun"));
    }
  }
  SECTION("short clusters of flags without a value, and Go's -x=v for them, are kept") {
    CHECK(parse({"exec", "-dt", "id", "sh"}).positionals == Argv{"id", "sh"});
    CHECK(*parse({"run", "-d=true", "id"}).flag("detach") == "true");
    CHECK(*parse({"create", "-pid-file", "/p", "id"}).flag("pid-file") == "/p");
  }
}

}  // namespace oci_harden
