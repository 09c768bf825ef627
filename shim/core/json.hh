// The JSON layer: a tree that keeps every member in order and every number's original text, so a
// config.json read and written back loses nothing the code does not know about.
//
// Lookups come in two flavours because runc decodes config.json with Go's encoding/json:
//   get()       struct fields: Go matches keys ignoring case (and folds U+212A to k, U+017F to s),
//               so "NoNewPrivileges" sets process.noNewPrivileges. We must judge what runc reads.
//   get_exact() map entries (annotations, sysctl): Go matches those exactly.
// Duplicate keys are refused when a spec is loaded (spec.cc), so both find at most one member.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

class Json {
 public:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Json>;

  Json() = default;
  static Json boolean(bool b);
  static Json number_text(std::string text);  // text must be a valid JSON number
  static Json integer(int64_t n);
  static Json unsigned_integer(uint64_t n);
  static Json string(std::string s);
  static Json array(std::vector<Json> items = {});
  static Json object();

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  bool as_bool() const { return bool_; }
  // The string's value, or the number's original text.
  const std::string& text() const { return text_; }
  // Integer value of a number whose text is a plain integer in range; false otherwise
  // (Go refuses 1.0, 1e3 and out-of-range values for integer fields, and so do we).
  bool to_int64(int64_t* out) const;
  bool to_uint64(uint64_t* out) const;

  std::vector<Json>& items() { return items_; }
  const std::vector<Json>& items() const { return items_; }
  std::vector<Member>& members() { return members_; }
  const std::vector<Member>& members() const { return members_; }

  const Json* get(std::string_view key) const;
  Json* get(std::string_view key);
  const Json* get_exact(std::string_view key) const;
  Json* get_exact(std::string_view key);

  // Sets a struct field, replacing a case-folded match in place (under the canonical key).
  Json& set(std::string_view key, Json value);
  // Sets a map entry by exact key.
  Json& set_exact(std::string_view key, Json value);
  // Removes a struct field (case-folded match). Returns whether one was removed.
  bool erase(std::string_view key);

  void push_back(Json value) { items_.push_back(std::move(value)); }

  bool operator==(const Json& other) const;
  bool operator!=(const Json& other) const { return !(*this == other); }

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Json> items_;
  std::vector<Member> members_;
};

// True when Go's encoding/json would match key `a` to a struct field named `b`.
bool go_key_equal(std::string_view a, std::string_view b);

// Parses one JSON document. Nesting deeper than max_depth is an error (a stack bound).
Result<Json> parse_json(std::string_view text, int max_depth = 64);

// Compact JSON, numbers written back from their original text.
std::string to_json(const Json& value);

// A JSON path for messages and audit records: "process.capabilities.bounding", "mounts[3].source".
std::string json_path_join(const std::string& base, std::string_view key);
std::string json_path_index(const std::string& base, size_t index);

}  // namespace oci_harden
