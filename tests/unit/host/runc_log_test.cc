// runc-format log records: what the engine reads from runc's --log file to tell the user why a
// container did not start. JSON (containerd's shims) and logrus text (runc's default).

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "shim/core/json.hh"
#include "shim/host/runc_log.hh"

namespace oci_harden {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-runclog-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const char* const kTime = R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)";

}  // namespace

TEST_CASE("runc_log: json format", "[runc_log]") {
  TempDir dir;
  std::string log = dir.path + "/log.json";
  const std::string msg = "refused by privileged: \"quoted\"\nsecond line \\ tab\t";
  write_runc_log(log, "json", msg);
  std::string text = slurp(log);
  REQUIRE_FALSE(text.empty());
  CHECK(text.back() == '\n');
  std::vector<std::string> lines = lines_of(text);
  REQUIRE(lines.size() == 1);
  auto rec = parse_json(lines[0]);
  REQUIRE(rec.ok());
  REQUIRE(rec->is_object());
  CHECK(rec->members().size() == 3);
  REQUIRE(rec->get_exact("level") != nullptr);
  CHECK(rec->get_exact("level")->text() == "error");
  REQUIRE(rec->get_exact("msg") != nullptr);
  CHECK(rec->get_exact("msg")->text() == msg);
  REQUIRE(rec->get_exact("time") != nullptr);
  CHECK(std::regex_match(rec->get_exact("time")->text(), std::regex(kTime)));
}

TEST_CASE("runc_log: text format is logrus's", "[runc_log]") {
  TempDir dir;
  std::string log = dir.path + "/log";
  write_runc_log(log, "text", "refused by sensitive-mounts: say \"no\" to C:\\docker");
  std::vector<std::string> lines = lines_of(slurp(log));
  REQUIRE(lines.size() == 1);
  std::smatch m;
  REQUIRE(std::regex_match(lines[0], m, std::regex(std::string("time=\"(") + kTime + ")\" level=error msg=\"(.*)\"")));
  CHECK(m[2].str() == R"(refused by sensitive-mounts: say \"no\" to C:\\docker)");

  // Newlines and tabs stay on one line.
  std::string log2 = dir.path + "/log2";
  write_runc_log(log2, "", "a\nb\tc");
  std::string text = slurp(log2);
  CHECK(lines_of(text).size() == 1);
  CHECK(text.find(R"(msg="a\nb\tc")") != std::string::npos);
  CHECK(text.rfind("time=\"", 0) == 0);
}

// The message carries text from the spec (paths, annotation values). logrus quotes with Go's
// %q, so control characters (\r, ESC) are escaped; written raw they rewrite the terminal of
// whoever reads the log.
TEST_CASE("runc_log: text format escapes control characters", "[runc_log]") {
  TempDir dir;
  std::string log = dir.path + "/log";
  write_runc_log(log, "text", "a\rb\x1b[2Jc\x01");
  std::string text = slurp(log);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x01') == std::string::npos);
  CHECK(text.find(R"(msg="a\rb\x1b[2Jc\x01")") != std::string::npos);
}

TEST_CASE("runc_log: appends one line per call", "[runc_log]") {
  TempDir dir;
  std::string log = dir.path + "/log.json";
  std::ofstream(log) << "{\"level\":\"info\",\"msg\":\"earlier\",\"time\":\"x\"}\n";
  write_runc_log(log, "json", "first");
  write_runc_log(log, "json", "second");
  std::vector<std::string> lines = lines_of(slurp(log));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "{\"level\":\"info\",\"msg\":\"earlier\",\"time\":\"x\"}");
  auto a = parse_json(lines[1]);
  auto b = parse_json(lines[2]);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->get_exact("msg")->text() == "first");
  CHECK(b->get_exact("msg")->text() == "second");

  std::string tlog = dir.path + "/log.txt";
  write_runc_log(tlog, "text", "one");
  write_runc_log(tlog, "text", "two");
  std::vector<std::string> t = lines_of(slurp(tlog));
  REQUIRE(t.size() == 2);
  CHECK(t[0].find("msg=\"one\"") != std::string::npos);
  CHECK(t[1].find("msg=\"two\"") != std::string::npos);
}

TEST_CASE("runc_log: no path, no write; an unwritable path is not fatal", "[runc_log]") {
  TempDir dir;
  char cwd[PATH_MAX];
  REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
  REQUIRE(::chdir(dir.path.c_str()) == 0);
  write_runc_log("", "json", "nothing");
  write_runc_log("", "text", "nothing");
  REQUIRE(::chdir(cwd) == 0);
  CHECK(std::system(("test -z \"$(ls -A '" + dir.path + "')\"").c_str()) == 0);

  write_runc_log(dir.path + "/missing-dir/log.json", "json", "x");  // best effort: no crash
  CHECK(::access((dir.path + "/missing-dir").c_str(), F_OK) != 0);
}

}  // namespace oci_harden
