// JSON parsing (yajl's event parser, so number text is kept) and generation (yajl_gen).

#include "shim/core/json.hh"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "shim/core/handles.hh"

namespace oci_harden {

Json Json::boolean(bool b) {
  Json j;
  j.kind_ = Kind::kBool;
  j.bool_ = b;
  return j;
}

Json Json::number_text(std::string text) {
  Json j;
  j.kind_ = Kind::kNumber;
  j.text_ = std::move(text);
  return j;
}

Json Json::integer(int64_t n) { return number_text(std::to_string(n)); }
Json Json::unsigned_integer(uint64_t n) { return number_text(std::to_string(n)); }

Json Json::string(std::string s) {
  Json j;
  j.kind_ = Kind::kString;
  j.text_ = std::move(s);
  return j;
}

Json Json::array(std::vector<Json> items) {
  Json j;
  j.kind_ = Kind::kArray;
  j.items_ = std::move(items);
  return j;
}

Json Json::object() {
  Json j;
  j.kind_ = Kind::kObject;
  return j;
}

namespace {

bool is_plain_integer(const std::string& t) {
  size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (i >= t.size()) return false;
  for (size_t k = i; k < t.size(); ++k) {
    if (t[k] < '0' || t[k] > '9') return false;
  }
  return true;
}

// Folds one key character the way Go's case-insensitive field match does for ASCII field names:
// ASCII letters to lower case, KELVIN SIGN (U+212A) to 'k', LATIN SMALL LONG S (U+017F) to 's'.
// Returns the number of bytes consumed; writes the folded byte to *out.
size_t fold_next(std::string_view s, size_t i, char* out) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x84 &&
      static_cast<unsigned char>(s[i + 2]) == 0xAA) {
    *out = 'k';
    return 3;
  }
  if (c == 0xC5 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF) {
    *out = 's';
    return 2;
  }
  *out = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  return 1;
}

}  // namespace

bool go_key_equal(std::string_view a, std::string_view b) {
  if (a.size() == b.size() && a == b) return true;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char ca, cb;
    i += fold_next(a, i, &ca);
    j += fold_next(b, j, &cb);
    if (ca != cb) return false;
  }
  return i == a.size() && j == b.size();
}

bool Json::to_int64(int64_t* out) const {
  if (kind_ != Kind::kNumber || !is_plain_integer(text_)) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text_.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

bool Json::to_uint64(uint64_t* out) const {
  if (kind_ != Kind::kNumber || !is_plain_integer(text_) || text_[0] == '-') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text_.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

const Json* Json::get(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (go_key_equal(it->first, key)) return &it->second;
  }
  return nullptr;
}

Json* Json::get(std::string_view key) {
  return const_cast<Json*>(static_cast<const Json*>(this)->get(key));
}

const Json* Json::get_exact(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

Json* Json::get_exact(std::string_view key) {
  return const_cast<Json*>(static_cast<const Json*>(this)->get_exact(key));
}

Json& Json::set(std::string_view key, Json value) {
  if (kind_ != Kind::kObject) *this = object();
  Member* kept = nullptr;
  for (auto it = members_.begin(); it != members_.end();) {
    if (go_key_equal(it->first, key)) {
      if (kept == nullptr) {
        kept = &*it;
        ++it;
      } else {
        it = members_.erase(it);
      }
    } else {
      ++it;
    }
  }
  if (kept != nullptr) {
    kept->first = std::string(key);
    kept->second = std::move(value);
    return kept->second;
  }
  members_.emplace_back(std::string(key), std::move(value));
  return members_.back().second;
}

Json& Json::set_exact(std::string_view key, Json value) {
  if (kind_ != Kind::kObject) *this = object();
  if (Json* existing = get_exact(key)) {
    *existing = std::move(value);
    return *existing;
  }
  members_.emplace_back(std::string(key), std::move(value));
  return members_.back().second;
}

bool Json::erase(std::string_view key) {
  bool removed = false;
  for (auto it = members_.begin(); it != members_.end();) {
    if (go_key_equal(it->first, key)) {
      it = members_.erase(it);
      removed = true;
    } else {
      ++it;
    }
  }
  return removed;
}

bool Json::operator==(const Json& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool: return bool_ == other.bool_;
    case Kind::kNumber:
    case Kind::kString: return text_ == other.text_;
    case Kind::kArray: return items_ == other.items_;
    case Kind::kObject: return members_ == other.members_;
  }
  return false;
}

// ---- parsing ----

namespace {

size_t utf8_sequence(std::string_view s, size_t i);  // below, with generation

bool well_formed_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {  // ASCII, nearly every byte of a config
      ++i;
      continue;
    }
    size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// The string Go's encoding/json decodes from these bytes (runc's reading of config.json): each
// byte of an ill-formed UTF-8 sequence (overlong, surrogate, truncated, stray) becomes U+FFFD.
std::string go_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// yajl lets ill-formed UTF-8 through (an overlong "\xC0\xAE" is valid to it); a value is
// judged as runc will read it, so it is decoded here as Go decodes it.
std::string decoded_string(const unsigned char* s, size_t n) {
  std::string_view text(reinterpret_cast<const char*>(s), n);
  return well_formed_utf8(text) ? std::string(text) : go_utf8(text);
}

struct ParseState {
  std::vector<Json*> stack;    // open containers
  std::vector<std::string> keys;  // pending key per open object
  Json root;
  bool have_root = false;
  int max_depth;
  bool too_deep = false;

  Json* add(Json value) {
    if (stack.empty()) {
      root = std::move(value);
      have_root = true;
      return &root;
    }
    Json* top = stack.back();
    if (top->is_array()) {
      top->items().push_back(std::move(value));
      return &top->items().back();
    }
    top->members().emplace_back(std::move(keys.back()), std::move(value));
    return &top->members().back().second;
  }
  int open(Json value) {
    if (static_cast<int>(stack.size()) >= max_depth) {
      too_deep = true;
      return 0;
    }
    stack.push_back(add(std::move(value)));
    keys.emplace_back();
    return 1;
  }
  int close() {
    stack.pop_back();
    keys.pop_back();
    return 1;
  }
};

ParseState* st(void* ctx) { return static_cast<ParseState*>(ctx); }

int on_null(void* ctx) { st(ctx)->add(Json()); return 1; }
int on_boolean(void* ctx, int b) { st(ctx)->add(Json::boolean(b != 0)); return 1; }
int on_number(void* ctx, const char* s, size_t n) {
  st(ctx)->add(Json::number_text(std::string(s, n)));
  return 1;
}
int on_string(void* ctx, const unsigned char* s, size_t n) {
  st(ctx)->add(Json::string(decoded_string(s, n)));
  return 1;
}
int on_start_map(void* ctx) { return st(ctx)->open(Json::object()); }
int on_map_key(void* ctx, const unsigned char* s, size_t n) {
  st(ctx)->keys.back() = decoded_string(s, n);
  return 1;
}
int on_end_map(void* ctx) { return st(ctx)->close(); }
int on_start_array(void* ctx) { return st(ctx)->open(Json::array()); }
int on_end_array(void* ctx) { return st(ctx)->close(); }

const yajl_callbacks kCallbacks = {
    on_null, on_boolean, nullptr, nullptr, on_number, on_string,
    on_start_map, on_map_key, on_end_map, on_start_array, on_end_array,
};

}  // namespace

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a \uXXXX escape starting at text[i] (the backslash), or -1.
long unicode_escape(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  long v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int h = hex_value(text[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// yajl decodes a lone UTF-16 surrogate escape as "?", Go as U+FFFD: a path judged as "/x?y"
// is not the path runc opens. Such escapes are refused; the offset of the first is returned.
std::optional<size_t> lone_surrogate(std::string_view text) {
  for (size_t i = text.find('\\'); i != std::string_view::npos; i = text.find('\\', i)) {
    long unit = unicode_escape(text, i);
    if (unit < 0) {
      i += 2;  // \" \\ \n ...: the escaped character is never the start of another escape
      continue;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) return i;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      long low = unicode_escape(text, i + 6);
      if (low < 0xDC00 || low > 0xDFFF) return i;
      i += 12;
      continue;
    }
    i += 6;
  }
  return std::nullopt;
}

}  // namespace

Result<Json> parse_json(std::string_view text, int max_depth) {
  if (auto at = lone_surrogate(text)) {
    return make_error(ErrorCode::kSpec, "invalid JSON at byte " + std::to_string(*at) +
                                            ": lone UTF-16 surrogate in a \\u escape");
  }
  ParseState state;
  state.max_depth = max_depth;
  YajlHandle handle(yajl_alloc(&kCallbacks, nullptr, &state));
  if (!handle) return make_error(ErrorCode::kSpec, "out of memory");
  auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  yajl_status status = yajl_parse(handle.get(), bytes, text.size());
  // yajl_complete_parse parses a buffer of its own: an error there is at the end of the input.
  bool at_end = false;
  if (status == yajl_status_ok) {
    status = yajl_complete_parse(handle.get());
    at_end = true;
  }
  if (state.too_deep) {
    return make_error(ErrorCode::kSpec,
                      "nesting deeper than " + std::to_string(max_depth) + " levels");
  }
  if (status != yajl_status_ok) {
    unsigned char* msg = yajl_get_error(handle.get(), 0, bytes, text.size());
    std::string message = msg ? reinterpret_cast<char*>(msg) : "invalid JSON";
    if (msg) yajl_free_error(handle.get(), msg);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    size_t offset = at_end ? text.size() : yajl_get_bytes_consumed(handle.get());
    return make_error(ErrorCode::kSpec,
                      "invalid JSON at byte " + std::to_string(offset) + ": " + message);
  }
  if (!state.have_root) return make_error(ErrorCode::kSpec, "empty document");
  return std::move(state.root);
}

// ---- generation ----

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7), or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c == 0xED) n = 3, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c == 0xF4) n = 4, hi = 0x8F;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

// Text made in code (a host path read from the filesystem) need not be UTF-8. What is written
// must parse: each byte of an ill-formed sequence becomes U+FFFD, as Go's encoding/json does.
bool gen_string(yajl_gen g, std::string_view s) {
  std::string fixed;
  if (!well_formed_utf8(s)) {
    fixed = go_utf8(s);
    s = fixed;
  }
  return yajl_gen_string(g, reinterpret_cast<const unsigned char*>(s.data()), s.size()) ==
         yajl_gen_status_ok;
}

bool generate(yajl_gen g, const Json& v) {
  switch (v.kind()) {
    case Json::Kind::kNull: return yajl_gen_null(g) == yajl_gen_status_ok;
    case Json::Kind::kBool: return yajl_gen_bool(g, v.as_bool()) == yajl_gen_status_ok;
    case Json::Kind::kNumber:
      return yajl_gen_number(g, v.text().data(), v.text().size()) == yajl_gen_status_ok;
    case Json::Kind::kString:
      return gen_string(g, v.text());
    case Json::Kind::kArray:
      if (yajl_gen_array_open(g) != yajl_gen_status_ok) return false;
      for (const Json& item : v.items()) {
        if (!generate(g, item)) return false;
      }
      return yajl_gen_array_close(g) == yajl_gen_status_ok;
    case Json::Kind::kObject:
      if (yajl_gen_map_open(g) != yajl_gen_status_ok) return false;
      for (const auto& [key, value] : v.members()) {
        if (!gen_string(g, key)) return false;
        if (!generate(g, value)) return false;
      }
      return yajl_gen_map_close(g) == yajl_gen_status_ok;
  }
  return false;
}

}  // namespace

std::string to_json(const Json& value) {
  YajlGen g(yajl_gen_alloc(nullptr));
  if (!g) throw std::bad_alloc();
  // Nesting is bounded by parse_json (64 levels); yajl_gen stops at 128.
  if (!generate(g.get(), value)) throw std::logic_error("JSON generation failed");
  const unsigned char* buf = nullptr;
  size_t len = 0;
  yajl_gen_get_buf(g.get(), &buf, &len);
  return std::string(reinterpret_cast<const char*>(buf), len);
}

std::string json_path_join(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out = base;
  out += '.';
  out += key;
  return out;
}

std::string json_path_index(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

}  // namespace oci_harden
