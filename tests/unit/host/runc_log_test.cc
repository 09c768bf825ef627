// The diagnostic logger: what the engine reads from runc's --log file to tell the user why a
// container did not start (JSON for containerd's shims, logrus text by default), what --debug
// adds, and what reaches stderr. Formats as runc 1.1.5 (logrus 1.8.1, Go 1.19) writes them.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <climits>
#include <cstdlib>
#include <ctime>
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
  ~TempDir() {
    set_runc_log("", "", false);  // the next test starts from the default: stderr only
    (void)!std::system(("rm -rf '" + path + "'").c_str());
  }
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

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// stderr sent to a file for the scope, so what the logger writes there can be read back.
struct StderrCapture {
  std::string path;
  int saved = -1;
  explicit StderrCapture(const std::string& p) : path(p) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    saved = ::dup(2);
    REQUIRE(::dup2(fd, 2) == 2);
    ::close(fd);
  }
  ~StderrCapture() {
    if (saved >= 0) {
      ::dup2(saved, 2);
      ::close(saved);
    }
  }
  std::string text() const { return slurp(path); }
};

// Go's time.RFC3339: seconds, "Z" or a numeric offset.
const char* const kTime = R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2}))";

// A caller with a known name and line, for --debug's func= and file=.
int g_debug_line = 0;
int g_error_line = 0;
void log_from_a_known_place() {
  g_debug_line = __LINE__ + 1;
  log_debug("debugging");
  g_error_line = __LINE__ + 1;
  log_error("failing");
}

}  // namespace

TEST_CASE("runc_log: json format", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  std::string log = dir.path + "/log.json";
  const std::string msg = "refused by privileged: \"quoted\"\nsecond line \\ tab\t";
  set_runc_log(log, "json", false);
  log_error(msg);
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
  // Byte for byte: logrus's keys sorted, Go's escapes.
  CHECK(std::regex_match(lines[0], std::regex(std::string(R"(\{"level":"error","msg":"refused by privileged: \\"quoted\\"\\nsecond line \\\\ tab\\t","time":")") + kTime + "\"\\}")));
  // stderr has the message itself, as oci-harden always printed it.
  CHECK(err.text() == msg + "\n");
}

// encoding/json with logrus's HTML escaping: < > & and U+2028/2029 escaped, controls as
// \u00nn (Go 1.19: \b and \f too), a byte that is not UTF-8 as \ufffd, other Unicode raw.
TEST_CASE("runc_log: json escapes as Go's encoding/json", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  std::string log = dir.path + "/log.json";
  set_runc_log(log, "json", false);
  log_error("<a&b> \x01\b\f\x7f \xff caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80");
  std::vector<std::string> lines = lines_of(slurp(log));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("msg":"\u003ca\u0026b\u003e \u0001\u0008\u000c)"
                      "\x7f"
                      R"( \ufffd caf)"
                      "\xc3\xa9"
                      R"( \u2028 )"
                      "\xf0\x9f\x98\x80"
                      R"(",)") != std::string::npos);
  auto rec = parse_json(lines[0]);
  REQUIRE(rec.ok());
  CHECK(rec->get_exact("msg")->text().find("<a&b>") == 0);
}

TEST_CASE("runc_log: text format is logrus's", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  std::string log = dir.path + "/log";
  set_runc_log(log, "text", false);
  log_error("refused by sensitive-mounts: say \"no\" to C:\\docker");
  std::vector<std::string> lines = lines_of(slurp(log));
  REQUIRE(lines.size() == 1);
  std::smatch m;
  REQUIRE(std::regex_match(lines[0], m, std::regex(std::string("time=\"(") + kTime + ")\" level=error msg=\"(.*)\"")));
  CHECK(m[3].str() == R"(refused by sensitive-mounts: say \"no\" to C:\\docker)");

  // Newlines and tabs stay on one line; "" (no --log-format) is text too.
  std::string log2 = dir.path + "/log2";
  set_runc_log(log2, "", false);
  log_error("a\nb\tc");
  std::string text = slurp(log2);
  CHECK(lines_of(text).size() == 1);
  CHECK(text.find(R"( level=error msg="a\nb\tc")") != std::string::npos);
  CHECK(text.rfind("time=\"", 0) == 0);

  // logrus leaves a value bare when it is only letters, digits and -._/@^+; an empty message
  // has no msg= at all.
  std::string log3 = dir.path + "/log3";
  set_runc_log(log3, "text", false);
  log_error("plain-word_1.2/x@y^z+w");
  log_error("");
  std::vector<std::string> t = lines_of(slurp(log3));
  REQUIRE(t.size() == 2);
  CHECK(std::regex_match(t[0], std::regex(std::string("time=\"") + kTime + "\" level=error msg=plain-word_1\\.2/x@y\\^z\\+w")));
  CHECK(std::regex_match(t[1], std::regex(std::string("time=\"") + kTime + "\" level=error")));
}

// The message carries text from the spec (paths, annotation values). logrus quotes with Go's
// %q, so control characters (\r, ESC), bytes that are not UTF-8 and invisible or reordering
// code points are escaped; written raw they rewrite the terminal of whoever reads the log.
TEST_CASE("runc_log: text format escapes control characters", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  std::string log = dir.path + "/log";
  set_runc_log(log, "text", false);
  log_error("a\rb\x1b[2Jc\x01");
  log_error("\a\b\f\v\x7f \xff\xc0\xaf \xe2\x80\xae \xe2\x80\x8b \xc2\x85 caf\xc3\xa9 \xf0\x9f\x98\x80 \xf3\xb0\x80\x80");
  std::string text = slurp(log);
  std::vector<std::string> lines = lines_of(text);
  REQUIRE(lines.size() == 2);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x01') == std::string::npos);
  CHECK(lines[0].find(R"(msg="a\rb\x1b[2Jc\x01")") != std::string::npos);
  CHECK(lines[1].find(R"(msg="\a\b\f\v\x7f \xff\xc0\xaf \u202e \u200b \u0085 caf)"
                      "\xc3\xa9 \xf0\x9f\x98\x80"
                      R"( \U000f0000")") != std::string::npos);
}

TEST_CASE("runc_log: the time is Go's RFC3339 in local time", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  const char* old = std::getenv("TZ");
  std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", "<+0530>-5:30", 1);
  ::tzset();
  std::string log = dir.path + "/log.json";
  set_runc_log(log, "json", false);
  log_error("x");
  if (old != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  auto rec = parse_json(lines_of(slurp(log)).at(0));
  REQUIRE(rec.ok());
  CHECK(std::regex_match(rec->get_exact("time")->text(), std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30)")));
}

TEST_CASE("runc_log: appends one line per record", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  std::string log = dir.path + "/log.json";
  std::ofstream(log) << "{\"level\":\"info\",\"msg\":\"earlier\",\"time\":\"x\"}\n";
  set_runc_log(log, "json", false);
  log_error("first");
  log_error("second");
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
  set_runc_log(tlog, "text", false);
  log_error("one");
  log_error("two");
  std::vector<std::string> t = lines_of(slurp(tlog));
  REQUIRE(t.size() == 2);
  CHECK(t[0].find("msg=one") != std::string::npos);
  CHECK(t[1].find("msg=two") != std::string::npos);
  CHECK(err.text() == "first\nsecond\none\ntwo\n");
}

TEST_CASE("runc_log: no path, no write; an unwritable path is not fatal; nothing opened before a record",
          "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  char cwd[PATH_MAX];
  REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
  REQUIRE(::mkdir((dir.path + "/cwd").c_str(), 0700) == 0);
  REQUIRE(::chdir((dir.path + "/cwd").c_str()) == 0);
  set_runc_log("", "json", false);
  log_error("nothing");
  set_runc_log("", "text", true);
  log_error("nothing");
  log_debug("nothing");
  REQUIRE(::chdir(cwd) == 0);
  CHECK(std::system(("test -z \"$(ls -A '" + dir.path + "/cwd')\"").c_str()) == 0);
  CHECK(err.text() == "nothing\nnothing\n");

  set_runc_log(dir.path + "/missing-dir/log.json", "json", false);
  log_error("x");  // best effort: no crash, stderr still has it
  CHECK_FALSE(exists(dir.path + "/missing-dir"));
  CHECK(err.text() == "nothing\nnothing\nx\n");

  // The logger (and the file) only come with the first record.
  std::string lazy = dir.path + "/lazy.json";
  set_runc_log(lazy, "json", true);
  CHECK_FALSE(exists(lazy));
  log_error("now");
  CHECK(exists(lazy));
}

// runc --debug: debug records too, and every record names its caller (logrus ReportCaller):
// text func="f()" file="path:line" after msg; JSON "file" and "func" among the sorted keys.
TEST_CASE("runc_log: --debug adds debug records and the caller", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  const std::string file = __FILE__;

  std::string tlog = dir.path + "/log.txt";
  set_runc_log(tlog, "text", true);
  log_from_a_known_place();
  std::vector<std::string> t = lines_of(slurp(tlog));
  REQUIRE(t.size() == 2);
  CHECK(std::regex_match(t[0], std::regex(std::string("time=\"") + kTime + "\" level=debug msg=debugging func=.*")));
  const std::string caller = " func=\"log_from_a_known_place()\" file=\"" + file + ":" + std::to_string(g_debug_line) + "\"";
  REQUIRE(t[0].size() > caller.size());
  CHECK(t[0].compare(t[0].size() - caller.size(), caller.size(), caller) == 0);
  CHECK(t[1].find(" level=error msg=failing func=\"log_from_a_known_place()\" file=\"" + file + ":" +
                  std::to_string(g_error_line) + "\"") != std::string::npos);

  std::string jlog = dir.path + "/log.json";
  set_runc_log(jlog, "json", true);
  log_from_a_known_place();
  std::vector<std::string> j = lines_of(slurp(jlog));
  REQUIRE(j.size() == 2);
  CHECK(j[0].rfind("{\"file\":\"" + file + ":" + std::to_string(g_debug_line) +
                       "\",\"func\":\"log_from_a_known_place\",\"level\":\"debug\",\"msg\":\"debugging\",\"time\":\"",
                   0) == 0);
  CHECK(j[1].rfind("{\"file\":\"" + file + ":" + std::to_string(g_error_line) +
                       "\",\"func\":\"log_from_a_known_place\",\"level\":\"error\",\"msg\":\"failing\",\"time\":\"",
                   0) == 0);
  // Debug records never reach stderr (engines parse the runtime's output with stderr merged).
  CHECK(err.text() == "failing\nfailing\n");
}

TEST_CASE("runc_log: without --debug, no debug records and no caller", "[runc_log]") {
  TempDir dir;
  StderrCapture err(dir.path + "/stderr");
  std::string log = dir.path + "/log.json";
  set_runc_log(log, "json", false);
  log_debug("hidden");
  CHECK_FALSE(exists(log));  // nothing to write: not even opened
  log_from_a_known_place();
  std::vector<std::string> lines = lines_of(slurp(log));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("{\"level\":\"error\",\"msg\":\"failing\",\"time\":\"", 0) == 0);
  CHECK(err.text() == "failing\n");
}

}  // namespace oci_harden
