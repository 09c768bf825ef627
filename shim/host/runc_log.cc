// The process's one spdlog logger, and the sink that writes runc's --log format.
//
// runc 1.1.5 logs through logrus 1.8.1 (runc's utils.go configLogrus): --log opens the file
// O_APPEND|O_CREAT, 0644; --log-format json selects logrus's JSONFormatter, anything else its
// TextFormatter (no terminal: no colours, full timestamps); --debug lowers the level to debug
// and reports the caller on every record. Both formatters stamp time.RFC3339 in local time
// (seconds, "Z" or "+hh:mm"). What each writes, byte for byte, is below.

#include "shim/host/runc_log.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include "shim/core/handles.hh"

namespace oci_harden {

namespace {

using Buffer = spdlog::memory_buf_t;
using Record = spdlog::details::log_msg;

const char kLowerHex[] = "0123456789abcdef";

void append(Buffer& b, std::string_view s) { b.append(s.data(), s.data() + s.size()); }

void append_hex(Buffer& b, uint32_t v, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) b.push_back(kLowerHex[(v >> shift) & 0xf]);
}

// One UTF-8 sequence at s[i], decoded as Go decodes it: the code point and its length, or -1
// with length 1 for a byte that starts no valid sequence (stray continuation, overlong form,
// surrogate, beyond U+10FFFF, cut short).
int32_t decode_rune(std::string_view s, size_t i, size_t& len) {
  len = 1;
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return c;
  size_t n = 0;
  int32_t r = 0;
  int32_t min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, r = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, r = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, r = c & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (i + n > s.size()) return -1;
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return -1;
    r = (r << 6) | (cc & 0x3f);
  }
  if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return -1;
  len = n;
  return r;
}

// Beyond ASCII, the code points Go's unicode.IsPrint rejects that matter in a log line: C1
// controls, spaces other than ' ', line and paragraph separators, format characters (zero
// widths, bidirectional overrides, BOM, tags), private use, noncharacters. (Go also rejects
// unassigned code points; those are written as they are here.)
bool go_unprintable(int32_t r) {
  return r <= 0x9f || r == 0xa0 || r == 0xad || (r >= 0x600 && r <= 0x605) || r == 0x61c || r == 0x6dd ||
         r == 0x70f || r == 0x1680 || r == 0x180e || (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
         (r >= 0x205f && r <= 0x206f) || r == 0x3000 || (r >= 0xe000 && r <= 0xf8ff) || r == 0xfeff ||
         (r >= 0xfff9 && r <= 0xfffb) || (r & 0xfffe) == 0xfffe || (r >= 0x1bca0 && r <= 0x1bca3) ||
         (r >= 0x1d173 && r <= 0x1d17a) || (r >= 0xe0000 && r <= 0xe007f) || r >= 0xf0000;
}

// logrus's text value: bare when every character is a letter, digit or one of -._/@^+;
// otherwise Go's %q (strconv.Quote): \" \\ \a \b \f \n \r \t \v, other controls \xNN, a byte
// that is not UTF-8 \xNN, an unprintable code point \uNNNN or \UNNNNNNNN.
void append_text_value(Buffer& b, std::string_view s) {
  bool bare = true;
  for (char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '.' || c == '_' || c == '/' || c == '@' || c == '^' || c == '+';
    if (!plain) bare = false;
  }
  if (bare) return append(b, s);
  b.push_back('"');
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    int32_t r = decode_rune(s, i, len);
    if (r < 0) {
      append(b, "\\x");
      append_hex(b, static_cast<unsigned char>(s[i]), 2);
    } else if (r == '"' || r == '\\') {
      b.push_back('\\');
      b.push_back(static_cast<char>(r));
    } else if (r >= 0x20 && r < 0x7f) {
      b.push_back(static_cast<char>(r));
    } else if (r >= 0x80 && !go_unprintable(r)) {
      append(b, s.substr(i, len));
    } else {
      switch (r) {
        case '\a': append(b, "\\a"); break;
        case '\b': append(b, "\\b"); break;
        case '\f': append(b, "\\f"); break;
        case '\n': append(b, "\\n"); break;
        case '\r': append(b, "\\r"); break;
        case '\t': append(b, "\\t"); break;
        case '\v': append(b, "\\v"); break;
        default:
          if (r < 0x20 || r == 0x7f) {
            append(b, "\\x");
            append_hex(b, static_cast<uint32_t>(r), 2);
          } else if (r < 0x10000) {
            append(b, "\\u");
            append_hex(b, static_cast<uint32_t>(r), 4);
          } else {
            append(b, "\\U");
            append_hex(b, static_cast<uint32_t>(r), 8);
          }
      }
    }
    i += len;
  }
  b.push_back('"');
}

// A JSON string as Go 1.19's encoding/json writes it with HTML escaping on (logrus's default):
// \" \\ \n \r \t, other controls \u00nn, < > & as \u003c \u003e \u0026, U+2028 and U+2029
// escaped, a byte that is not UTF-8 replaced by \ufffd; everything else as it is (DEL too).
void append_json_string(Buffer& b, std::string_view s) {
  b.push_back('"');
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    int32_t r = decode_rune(s, i, len);
    if (r < 0) {
      append(b, "\\ufffd");
    } else if (r == '"' || r == '\\') {
      b.push_back('\\');
      b.push_back(static_cast<char>(r));
    } else if (r == '\n') {
      append(b, "\\n");
    } else if (r == '\r') {
      append(b, "\\r");
    } else if (r == '\t') {
      append(b, "\\t");
    } else if (r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029) {
      append(b, "\\u");
      append_hex(b, static_cast<uint32_t>(r), 4);
    } else {
      append(b, s.substr(i, len));
    }
    i += len;
  }
  b.push_back('"');
}

// Go's time.RFC3339 of a record's time in local time: 2006-01-02T15:04:05Z07:00.
std::string rfc3339_local(spdlog::log_clock::time_point t) {
  std::time_t secs = spdlog::log_clock::to_time_t(t);
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  long off = tm.tm_gmtoff;
  if (off == 0) return out + "Z";
  out += off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  std::snprintf(buf, sizeof buf, "%02ld:%02ld", off / 3600, (off / 60) % 60);
  return out + buf;
}

// logrus's level names (warn is "warning"; spdlog's critical stands for fatal).
std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warning";
    case spdlog::level::err: return "error";
    default: return "fatal";
  }
}

std::string_view payload(const Record& r) { return {r.payload.data(), r.payload.size()}; }

// One record as runc writes it to its --log file.
//   text: time="…" level=error msg="…" [func="f()" file="path:line"]   (msg left out when empty)
//   json: {["file":"path:line","func":"f",]"level":"error","msg":"…","time":"…"}   (keys sorted)
class RuncFormatter final : public spdlog::formatter {
 public:
  RuncFormatter(bool json, bool caller) : json_(json), caller_(caller) {}

  void format(const Record& r, Buffer& dest) override {
    bool has_caller = caller_ && !r.source.empty();
    std::string file;
    std::string func;
    if (has_caller) {
      file = std::string(r.source.filename) + ":" + std::to_string(r.source.line);
      func = r.source.funcname != nullptr ? r.source.funcname : "";
    }
    std::string time = rfc3339_local(r.time);
    if (json_) {
      dest.push_back('{');
      if (has_caller) {
        append(dest, "\"file\":");
        append_json_string(dest, file);
        append(dest, ",\"func\":");
        append_json_string(dest, func);
        dest.push_back(',');
      }
      append(dest, "\"level\":");
      append_json_string(dest, level_name(r.level));
      append(dest, ",\"msg\":");
      append_json_string(dest, payload(r));
      append(dest, ",\"time\":");
      append_json_string(dest, time);
      append(dest, "}\n");
      return;
    }
    append(dest, "time=");
    append_text_value(dest, time);
    append(dest, " level=");
    append_text_value(dest, level_name(r.level));
    if (!payload(r).empty()) {
      append(dest, " msg=");
      append_text_value(dest, payload(r));
    }
    if (has_caller) {
      append(dest, " func=");
      append_text_value(dest, func + "()");
      append(dest, " file=");
      append_text_value(dest, file);
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<RuncFormatter>(json_, caller_); }

 private:
  bool json_;
  bool caller_;
};

// stderr's form: the message as it is, one line (what oci-harden always printed there).
class BareFormatter final : public spdlog::formatter {
 public:
  void format(const Record& r, Buffer& dest) override {
    append(dest, payload(r));
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<BareFormatter>(); }
};

// Writes each formatted record with one write(2) on a descriptor: an O_APPEND file gets whole
// lines even when runc's own records land in it too. Single-threaded programs: no mutex, so a
// plain spdlog sink rather than base_sink; a pattern is ignored (the format is runc's, fixed).
class FdSink final : public spdlog::sinks::sink {
 public:
  FdSink(int fd, UniqueFd owned, std::unique_ptr<spdlog::formatter> formatter)
      : fd_(fd), owned_(std::move(owned)), formatter_(std::move(formatter)) {}

  void log(const Record& r) override {
    Buffer line;
    formatter_->format(r, line);
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // best effort: a diagnostic never fails the program
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  void flush() override {}
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override { formatter_ = std::move(formatter); }

 private:
  int fd_;
  UniqueFd owned_;
  std::unique_ptr<spdlog::formatter> formatter_;
};

struct Settings {
  std::string path;
  std::string format;
  bool debug = false;
};

Settings& settings() {
  static Settings s;
  return s;
}

std::unique_ptr<spdlog::logger>& logger_slot() {
  static std::unique_ptr<spdlog::logger> slot;
  return slot;
}

// Built at the first record: stderr (info and above), and the --log file when there is one.
spdlog::logger& logger() {
  std::unique_ptr<spdlog::logger>& slot = logger_slot();
  if (slot) return *slot;
  const Settings& s = settings();
  std::vector<spdlog::sink_ptr> sinks;
  auto to_stderr = std::make_shared<FdSink>(STDERR_FILENO, UniqueFd(), std::make_unique<BareFormatter>());
  to_stderr->set_level(spdlog::level::info);
  sinks.push_back(std::move(to_stderr));
  if (!s.path.empty()) {
    UniqueFd fd(::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (fd.valid()) {
      int raw = fd.get();
      sinks.push_back(std::make_shared<FdSink>(raw, std::move(fd), std::make_unique<RuncFormatter>(s.format == "json", s.debug)));
    }
  }
  slot = std::make_unique<spdlog::logger>("oci-harden", sinks.begin(), sinks.end());
  slot->set_level(s.debug ? spdlog::level::debug : spdlog::level::info);
  return *slot;
}

void log_at(spdlog::level::level_enum level, const std::string& msg, const LogSite& site) {
  logger().log(spdlog::source_loc{site.file, site.line, site.func}, level, spdlog::string_view_t(msg.data(), msg.size()));
}

}  // namespace

void set_runc_log(const std::string& path, const std::string& format, bool debug) {
  Settings& s = settings();
  s.path = path;
  s.format = format;
  s.debug = debug;
  logger_slot().reset();
}

void log_error(const std::string& msg, const LogSite& site) { log_at(spdlog::level::err, msg, site); }

void log_debug(const std::string& msg, const LogSite& site) {
  const Settings& s = settings();
  if (!s.debug || s.path.empty()) return;  // nothing would be written: build nothing
  log_at(spdlog::level::debug, msg, site);
}

}  // namespace oci_harden
