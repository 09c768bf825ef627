// The strict TOML subset reader and the line editor (see toml_edit.hh).

#include "shim/core/toml_edit.hh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace oci_harden {

namespace {

bool is_bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string quote_basic(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string key_text(const std::string& key) {
  bool bare = !key.empty();
  for (char c : key) bare = bare && is_bare_key_char(c);
  return bare ? key : quote_basic(key);
}

void append_utf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_integer_text(const std::string& t) {
  size_t i = (t[0] == '+' || t[0] == '-') ? 1 : 0;
  if (i >= t.size()) return false;
  if (t[i] == '0') return i + 1 == t.size();
  bool prev_digit = false;
  for (; i < t.size(); ++i) {
    if (t[i] >= '0' && t[i] <= '9') prev_digit = true;
    else if (t[i] == '_' && prev_digit) prev_digit = false;
    else return false;
  }
  return prev_digit;
}

bool is_float_text(const std::string& t) {
  size_t i = (t[0] == '+' || t[0] == '-') ? 1 : 0;
  std::string rest = t.substr(i);
  if (rest == "inf" || rest == "nan") return true;
  size_t exp = rest.find_first_of("eE");
  std::string mant = rest.substr(0, exp);
  size_t dot = mant.find('.');
  if (dot == std::string::npos && exp == std::string::npos) return false;
  auto digits = [](const std::string& d) {
    if (d.empty() || d.front() == '_' || d.back() == '_') return false;
    for (size_t k = 0; k < d.size(); ++k) {
      if (d[k] == '_' && d[k + 1] == '_') return false;
      if (d[k] != '_' && (d[k] < '0' || d[k] > '9')) return false;
    }
    return true;
  };
  std::string int_part = mant.substr(0, dot);
  if (!digits(int_part) || (int_part.size() > 1 && int_part[0] == '0')) return false;
  if (dot != std::string::npos && !digits(mant.substr(dot + 1))) return false;
  if (exp != std::string::npos) {
    std::string e = rest.substr(exp + 1);
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) e = e.substr(1);
    if (!digits(e)) return false;
  }
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, std::string name) : t_(text), name_(std::move(name)) {}

  Result<std::vector<TomlDocument::Entry>> run();

 private:
  std::string_view t_;
  std::string name_;
  size_t pos_ = 0;
  size_t line_ = 0;

  bool at_end() const { return pos_ >= t_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < t_.size() ? t_[pos_ + ahead] : '\0'; }
  Error fail(const std::string& what) const {
    return make_error(ErrorCode::kSpec, name_ + ":" + std::to_string(line_ + 1) + ": " + what);
  }
  void skip_spaces() {
    while (peek() == ' ' || peek() == '\t') ++pos_;
  }
  // A comment to the end of the line; refuses control characters TOML forbids in one.
  Result<std::string> comment_and_eol();
  Status newline();
  Result<std::string> basic_string();
  Result<std::string> literal_string();
  Result<TomlPath> key_path();
  Result<TomlValue> value(int depth);
  Result<TomlValue> array(int depth);
  Result<TomlValue> inline_table(int depth);
  Status skip_array_trivia();
};

Result<std::string> Parser::comment_and_eol() {
  size_t start = pos_;
  skip_spaces();
  if (peek() == '#') {
    while (!at_end() && peek() != '\n') {
      auto c = static_cast<unsigned char>(peek());
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) return fail("control character in a comment");
      ++pos_;
    }
  }
  std::string text(t_.substr(start, pos_ - start));
  if (!text.empty() && text.back() == '\r') text.pop_back();
  bool only_space = text.find_first_not_of(" \t") == std::string::npos;
  auto st = newline();
  if (!st) return st.error();
  return only_space ? std::string() : text;
}

Status Parser::newline() {
  if (at_end()) return Ok{};
  if (peek() == '\r' && peek(1) == '\n') ++pos_;
  if (peek() != '\n') return fail(std::string("unexpected '") + peek() + "' after the value");
  ++pos_;
  ++line_;
  return Ok{};
}

Result<std::string> Parser::basic_string() {
  if (peek(1) == '"' && peek(2) == '"') return fail(R"(multi-line strings (""") are not supported)");
  ++pos_;
  std::string out;
  for (;;) {
    if (at_end() || peek() == '\n') return fail("unterminated string");
    char c = t_[pos_++];
    if (c == '"') return out;
    if (c != '\\') {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return fail("control character in a string");
      out += c;
      continue;
    }
    char e = peek();
    ++pos_;
    switch (e) {
      case 'b': out += '\b'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'f': out += '\f'; break;
      case 'r': out += '\r'; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case 'u':
      case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        if (pos_ + n > t_.size()) return fail("short \\" + std::string(1, e) + " escape");
        std::string hex(t_.substr(pos_, n));
        if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return fail("bad \\u escape");
        uint32_t cp = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return fail("escape is not a Unicode scalar value");
        append_utf8(&out, cp);
        pos_ += n;
        break;
      }
      default: return fail(std::string("unknown escape \\") + e);
    }
  }
}

Result<std::string> Parser::literal_string() {
  if (peek(1) == '\'' && peek(2) == '\'') return fail("multi-line strings (''') are not supported");
  ++pos_;
  size_t start = pos_;
  while (!at_end() && peek() != '\'' && peek() != '\n') {
    auto u = static_cast<unsigned char>(peek());
    if ((u < 0x20 && u != '\t') || u == 0x7f) return fail("control character in a string");
    ++pos_;
  }
  if (peek() != '\'') return fail("unterminated string");
  std::string out(t_.substr(start, pos_ - start));
  ++pos_;
  return out;
}

Result<TomlPath> Parser::key_path() {
  TomlPath path;
  for (;;) {
    skip_spaces();
    if (peek() == '"') {
      auto s = basic_string();
      if (!s) return s.error();
      path.push_back(*s);
    } else if (peek() == '\'') {
      auto s = literal_string();
      if (!s) return s.error();
      path.push_back(*s);
    } else {
      size_t start = pos_;
      while (is_bare_key_char(peek())) ++pos_;
      if (start == pos_) return fail("expected a key");
      path.emplace_back(t_.substr(start, pos_ - start));
    }
    skip_spaces();
    if (peek() != '.') return path;
    ++pos_;
  }
}

Status Parser::skip_array_trivia() {
  for (;;) {
    skip_spaces();
    if (peek() == '#' || peek() == '\n' || (peek() == '\r' && peek(1) == '\n')) {
      auto c = comment_and_eol();
      if (!c) return c.error();
      if (at_end()) return fail("unterminated array");
      continue;
    }
    return Ok{};
  }
}

Result<TomlValue> Parser::array(int depth) {
  ++pos_;
  TomlValue v;
  v.kind = TomlValue::Kind::kArray;
  for (;;) {
    auto st = skip_array_trivia();
    if (!st) return st.error();
    if (peek() == ']') break;
    auto item = value(depth + 1);
    if (!item) return item.error();
    v.items.push_back(std::move(*item));
    st = skip_array_trivia();
    if (!st) return st.error();
    if (peek() == ',') {
      ++pos_;
      continue;
    }
    if (peek() != ']') return fail("expected ',' or ']' in an array");
    break;
  }
  ++pos_;
  v.canonical = "[";
  for (size_t i = 0; i < v.items.size(); ++i) v.canonical += (i ? ", " : "") + v.items[i].canonical;
  v.canonical += "]";
  return v;
}

Result<TomlValue> Parser::inline_table(int depth) {
  ++pos_;
  TomlValue v;
  v.kind = TomlValue::Kind::kInlineTable;
  v.canonical = "{";
  std::vector<TomlPath> keys;
  skip_spaces();
  if (peek() == '}') {
    ++pos_;
    v.canonical += "}";
    return v;
  }
  for (;;) {
    auto key = key_path();
    if (!key) return key.error();
    for (const auto& k : keys)
      if (k == *key) return fail("key " + toml_path_text(*key) + " defined twice in an inline table");
    keys.push_back(*key);
    if (peek() != '=') return fail("expected '=' after a key");
    ++pos_;
    skip_spaces();
    auto item = value(depth + 1);
    if (!item) return item.error();
    v.canonical += (keys.size() > 1 ? ", " : " ") + toml_path_text(*key) + " = " + item->canonical;
    skip_spaces();
    if (peek() == ',') {
      ++pos_;
      skip_spaces();
      continue;
    }
    if (peek() != '}') return fail("expected ',' or '}' in an inline table");
    ++pos_;
    v.canonical += " }";
    return v;
  }
}

Result<TomlValue> Parser::value(int depth) {
  if (depth > 32) return fail("values nested too deeply");
  char c = peek();
  if (c == '"' || c == '\'') {
    auto s = c == '"' ? basic_string() : literal_string();
    if (!s) return s.error();
    return TomlValue::string(*s);
  }
  if (c == '[') return array(depth);
  if (c == '{') return inline_table(depth);
  size_t start = pos_;
  while (!at_end() && (is_bare_key_char(peek()) || peek() == '+' || peek() == '.' || peek() == ':')) ++pos_;
  std::string tok(t_.substr(start, pos_ - start));
  if (tok.empty()) return fail("expected a value");
  TomlValue v;
  v.text = tok;
  v.canonical = tok;
  if (tok == "true" || tok == "false") {
    v.kind = TomlValue::Kind::kBool;
  } else if (is_integer_text(tok)) {
    v.kind = TomlValue::Kind::kInteger;
  } else if (is_float_text(tok)) {
    v.kind = TomlValue::Kind::kFloat;
  } else {
    return fail("value " + tok + " is not understood (hexadecimal numbers and dates are not supported)");
  }
  return v;
}

Result<std::vector<TomlDocument::Entry>> Parser::run() {
  std::vector<TomlDocument::Entry> entries;
  TomlPath table;
  while (!at_end()) {
    size_t line_start = pos_;
    skip_spaces();
    std::string indent(t_.substr(line_start, pos_ - line_start));
    if (peek() == '#' || peek() == '\n' || (peek() == '\r' && peek(1) == '\n') || at_end()) {
      auto c = comment_and_eol();
      if (!c) return c.error();
      continue;
    }
    TomlDocument::Entry e;
    e.first_line = line_;
    e.indent = indent;
    if (peek() == '[') {
      if (peek(1) == '[') return fail("arrays of tables ([[...]]) are not supported; edit this file by hand");
      ++pos_;
      auto path = key_path();
      if (!path) return path.error();
      if (peek() != ']') return fail("expected ']' to close the table header");
      ++pos_;
      e.kind = TomlDocument::Entry::Kind::kTable;
      e.path = *path;
      table = *path;
    } else {
      size_t key_start = pos_;
      auto key = key_path();
      if (!key) return key.error();
      if (peek() != '=') return fail("expected '=' after the key " + toml_path_text(*key));
      e.key_text = std::string(t_.substr(key_start, pos_ - key_start));
      while (!e.key_text.empty() && (e.key_text.back() == ' ' || e.key_text.back() == '\t')) e.key_text.pop_back();
      ++pos_;
      skip_spaces();
      auto v = value(0);
      if (!v) return v.error();
      e.kind = TomlDocument::Entry::Kind::kKeyValue;
      e.path = table;
      e.table_depth = table.size();
      e.path.insert(e.path.end(), key->begin(), key->end());
      e.value = std::move(*v);
    }
    e.last_line = line_;
    auto c = comment_and_eol();
    if (!c) return c.error();
    e.comment = *c;
    // A path defined twice, or a table over a value, is invalid TOML: refuse rather than pick one.
    for (const auto& other : entries) {
      bool same = other.path == e.path;
      if (same) {
        line_ = e.first_line;
        return fail(toml_path_text(e.path) + " is defined twice (first on line " +
                    std::to_string(other.first_line + 1) + ")");
      }
      const TomlPath& shorter = other.path.size() < e.path.size() ? other.path : e.path;
      const auto& shorter_entry = other.path.size() < e.path.size() ? other : e;
      const TomlPath& longer = other.path.size() < e.path.size() ? e.path : other.path;
      if (shorter_entry.kind == TomlDocument::Entry::Kind::kKeyValue &&
          std::equal(shorter.begin(), shorter.end(), longer.begin())) {
        line_ = e.first_line;
        return fail(toml_path_text(longer) + " is inside the value " + toml_path_text(shorter) + " (line " +
                    std::to_string(shorter_entry.first_line + 1) + ")");
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

bool has_prefix(const TomlPath& path, const TomlPath& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

}  // namespace

TomlValue TomlValue::string(const std::string& s) {
  TomlValue v;
  v.kind = Kind::kString;
  v.text = s;
  v.canonical = quote_basic(s);
  return v;
}

TomlValue TomlValue::boolean(bool b) {
  TomlValue v;
  v.kind = Kind::kBool;
  v.text = b ? "true" : "false";
  v.canonical = v.text;
  return v;
}

TomlValue TomlValue::string_array(const std::vector<std::string>& items) {
  TomlValue v;
  v.kind = Kind::kArray;
  v.canonical = "[";
  for (const auto& s : items) {
    v.items.push_back(string(s));
    v.canonical += (v.items.size() > 1 ? ", " : "") + v.items.back().canonical;
  }
  v.canonical += "]";
  return v;
}

std::string toml_path_text(const TomlPath& path) {
  std::string out;
  for (const auto& k : path) out += (out.empty() ? "" : ".") + key_text(k);
  return out;
}

Result<TomlDocument> TomlDocument::parse(std::string_view text, const std::string& name) {
  TomlDocument doc;
  doc.name_ = name;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      doc.lines_.emplace_back(text.substr(start));
      doc.final_newline_ = false;
      break;
    }
    doc.lines_.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  auto st = doc.reparse();
  if (!st) return st.error();
  return doc;
}

Status TomlDocument::reparse() {
  std::string t = text();
  auto entries = Parser(t, name_).run();
  if (!entries) return entries.error();
  entries_ = std::move(*entries);
  return Ok{};
}

std::string TomlDocument::text() const {
  std::string out;
  for (size_t i = 0; i < lines_.size(); ++i) {
    out += lines_[i];
    if (i + 1 < lines_.size() || final_newline_) out += '\n';
  }
  return out;
}

const TomlValue* TomlDocument::get(const TomlPath& path) const {
  for (const auto& e : entries_)
    if (e.kind == Entry::Kind::kKeyValue && e.path == path) return &e.value;
  return nullptr;
}

bool TomlDocument::has_table(const TomlPath& path) const {
  for (const auto& e : entries_)
    if (e.kind == Entry::Kind::kTable && e.path == path) return true;
  return false;
}

Status TomlDocument::set(const TomlPath& path, const TomlValue& value, bool* changed) {
  *changed = false;
  if (path.empty()) return make_error(ErrorCode::kUsage, "an empty key path");
  auto fail = [&](const std::string& what) {
    return make_error(ErrorCode::kSpec, name_ + ": cannot set " + toml_path_text(path) + ": " + what);
  };
  for (const auto& e : entries_) {
    if (e.path == path) {
      if (e.kind == Entry::Kind::kTable) return fail("it is a table on line " + std::to_string(e.first_line + 1));
      if (e.value.canonical == value.canonical) return Ok{};
      lines_.erase(lines_.begin() + static_cast<long>(e.first_line), lines_.begin() + static_cast<long>(e.last_line) + 1);
      lines_.insert(lines_.begin() + static_cast<long>(e.first_line),
                    e.indent + e.key_text + " = " + value.canonical + e.comment);
      *changed = true;
      return reparse();
    }
    if (e.kind == Entry::Kind::kKeyValue && has_prefix(path, e.path))
      return fail(toml_path_text(e.path) + " on line " + std::to_string(e.first_line + 1) + " is a value, not a table");
    if (e.kind == Entry::Kind::kKeyValue && has_prefix(e.path, path))
      return fail("it is a table (" + toml_path_text(e.path) + " on line " + std::to_string(e.first_line + 1) + ")");
  }
  TomlPath table(path.begin(), path.end() - 1);
  std::string line = key_text(path.back()) + " = " + value.canonical;
  // The section of `table`: from its header (or the top of the file) to the next header.
  const Entry* header = nullptr;
  for (const auto& e : entries_)
    if (e.kind == Entry::Kind::kTable && e.path == table) header = &e;
  if (header != nullptr || table.empty()) {
    bool in_section = table.empty();
    const Entry* last_key = nullptr;
    for (const auto& e : entries_) {
      if (e.kind == Entry::Kind::kTable) {
        if (in_section) break;
        in_section = &e == header;
        continue;
      }
      if (in_section && e.path.size() == path.size()) last_key = &e;
      else if (in_section) return fail("its table uses dotted keys (line " + std::to_string(e.first_line + 1) + "); edit by hand");
    }
    size_t at = 0;
    std::string indent;
    if (last_key != nullptr) {
      at = last_key->last_line + 1;
      indent = last_key->indent;
    } else if (header != nullptr) {
      at = header->last_line + 1;
      indent = header->indent.empty() ? "" : header->indent + "  ";
    }
    lines_.insert(lines_.begin() + static_cast<long>(at), indent + line);
    *changed = true;
    return reparse();
  }
  for (const auto& e : entries_)
    if (e.kind == Entry::Kind::kKeyValue && has_prefix(e.path, table) && e.table_depth < table.size())
      return fail("its table is defined by dotted keys on line " + std::to_string(e.first_line + 1) + "; edit by hand");
  // A new table, after the last table under its nearest existing parent (or at the end).
  const Entry* parent = nullptr;
  for (const auto& e : entries_)
    if (e.kind == Entry::Kind::kTable && has_prefix(table, e.path) && (parent == nullptr || e.path.size() > parent->path.size()))
      parent = &e;
  size_t at = lines_.size();
  bool indented = false;
  for (const auto& e : entries_) indented = indented || (e.kind == Entry::Kind::kTable && !e.indent.empty());
  std::string indent;
  if (parent != nullptr) {
    bool after = false;
    for (const auto& e : entries_) {
      if (&e == parent) after = true;
      else if (after && e.kind == Entry::Kind::kTable && !has_prefix(e.path, parent->path)) break;
      if (after) at = e.last_line + 1;
    }
    if (indented) indent = std::string(2 * (table.size() - 1), ' ');
  }
  if (!final_newline_ && !lines_.empty()) final_newline_ = true;
  std::vector<std::string> add = {"", indent + "[" + toml_path_text(table) + "]",
                                  indent + (indented ? "  " : "") + line};
  if (at == 0) add.erase(add.begin());
  lines_.insert(lines_.begin() + static_cast<long>(at), add.begin(), add.end());
  *changed = true;
  return reparse();
}

}  // namespace oci_harden
