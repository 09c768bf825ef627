// The mountinfo parser (see mountinfo.hh for why it is ours and not libmount's).

#include "shim/core/mountinfo.hh"

#include <cstdlib>
#include <sstream>

#include "shim/core/split.hh"

namespace oci_harden {

namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

// Splits one line on single spaces; the kernel never writes an unescaped space inside a field.
std::vector<std::string> fields_of(const std::string& line) { return split_at(line, ' '); }

bool parse_uint(const std::string& s, unsigned long* out) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::strtoul(s.c_str(), nullptr, 10);
  return true;
}

bool parse_entry(const std::string& line, MountEntry* e) {
  std::vector<std::string> f = fields_of(line);
  // Six fixed fields, zero or more optional ones, "-", then fstype, source, super options.
  size_t dash = 6;
  while (dash < f.size() && f[dash] != "-") ++dash;
  if (f.size() < 6 || dash + 3 > f.size()) return false;
  unsigned long id, parent, major, minor;
  size_t colon = f[2].find(':');
  if (colon == std::string::npos || !parse_uint(f[0], &id) || !parse_uint(f[1], &parent) ||
      !parse_uint(f[2].substr(0, colon), &major) || !parse_uint(f[2].substr(colon + 1), &minor)) {
    return false;
  }
  if (f[3].empty() || f[3][0] != '/' || f[4].empty() || f[4][0] != '/') return false;
  e->id = static_cast<int>(id);
  e->parent = static_cast<int>(parent);
  e->major = static_cast<unsigned>(major);
  e->minor = static_cast<unsigned>(minor);
  e->root = unescape_mountinfo(f[3]);
  e->mount_point = unescape_mountinfo(f[4]);
  e->options = f[5];
  e->fstype = unescape_mountinfo(f[dash + 1]);
  e->source = unescape_mountinfo(f[dash + 2]);
  return true;
}

}  // namespace

std::string unescape_mountinfo(const std::string& field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
        is_octal(field[i + 2]) && is_octal(field[i + 3])) {
      out += static_cast<char>(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) |
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::vector<MountEntry> parse_mountinfo(const std::string& text) {
  std::vector<MountEntry> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    MountEntry e;
    if (parse_entry(line, &e)) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace oci_harden
