// A strict reader and line-keeping editor for the TOML that engine configuration files use
// (containerd's config.toml, containers.conf): tables, dotted and quoted keys, basic and literal
// strings, integers, floats, booleans, arrays (over several lines, with comments), one-line inline
// tables, comments. Anything else (multi-line strings, arrays of tables, dates) is refused with
// its line rather than guessed at, so an edit never corrupts a file it does not understand.
// An edit replaces or inserts whole lines; every other byte of the file stays as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

using TomlPath = std::vector<std::string>;

struct TomlValue {
  enum class Kind : uint8_t { kString, kInteger, kFloat, kBool, kArray, kInlineTable };
  Kind kind = Kind::kString;
  std::string text;               // a string's value; a number's or boolean's text
  std::vector<TomlValue> items;   // an array's items
  std::string canonical;          // the value written as TOML, comparable for equality

  static TomlValue string(const std::string& s);
  static TomlValue boolean(bool b);
  static TomlValue string_array(const std::vector<std::string>& items);
};

// "a.\"b.c\".d" as TOML writes a key path (bare where it can be, quoted otherwise).
std::string toml_path_text(const TomlPath& path);

class TomlDocument {
 public:
  // Parses `text`; errors read "NAME:LINE: what is wrong".
  static Result<TomlDocument> parse(std::string_view text, const std::string& name);

  // The value a key path holds, or null when no key-value line defines it.
  const TomlValue* get(const TomlPath& path) const;
  // Whether a [table] header with exactly this path is in the file.
  bool has_table(const TomlPath& path) const;

  // Sets path to value: the value of an existing line replaced (its key, indent and comment
  // kept), or a line added at the end of its table's keys, or a new table added after its
  // nearest existing parent's tables. Refuses a path that crosses a value or an inline table, or
  // whose table the file defines only through dotted keys. *changed says whether the text moved.
  Status set(const TomlPath& path, const TomlValue& value, bool* changed);

  std::string text() const;

  struct Entry {
    enum class Kind : uint8_t { kTable, kKeyValue };
    Kind kind = Kind::kKeyValue;
    TomlPath path;            // full path (a key-value's table path plus its own key)
    size_t table_depth = 0;   // a key-value's: the length of its [table] header's path
    size_t first_line = 0;    // lines [first_line, last_line] hold the entry
    size_t last_line = 0;
    std::string indent;
    std::string key_text;     // a key-value's key as written
    std::string comment;      // a trailing comment on the last line, with its leading spaces
    TomlValue value;
  };

 private:
  std::string name_;
  std::vector<std::string> lines_;  // without their newlines
  bool final_newline_ = true;
  std::vector<Entry> entries_;

  Status reparse();
};

}  // namespace oci_harden
