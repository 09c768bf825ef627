// Lexical path cleaning and prefix tests (see lexical_path.hh).

#include "shim/core/lexical_path.hh"


namespace oci_harden {

// The components are cut in place (no intermediate list of pieces): the sensitive-mounts rule
// splits each of the policy's ~60 paths several times per create (issue 14.1).
std::vector<std::string> written_parts(const std::string& path) {
  std::vector<std::string> parts;
  const size_t n = path.size();
  for (size_t i = 0; i < n;) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = n;
    const size_t len = j - i;
    if (len > 0 && !(len == 1 && path[i] == '.')) parts.emplace_back(path, i, len);
    i = j + 1;
  }
  return parts;
}

std::vector<std::string> lexical_parts(const std::string& path) {
  std::vector<std::string> parts;
  const size_t n = path.size();
  for (size_t i = 0; i < n;) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = n;
    const size_t len = j - i;
    if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
      if (!parts.empty()) parts.pop_back();
    } else if (len > 0 && !(len == 1 && path[i] == '.')) {
      parts.emplace_back(path, i, len);
    }
    i = j + 1;
  }
  return parts;
}

std::string join_parts(const std::vector<std::string>& parts) {
  if (parts.empty()) return "/";
  size_t size = 0;
  for (const auto& p : parts) size += p.size() + 1;
  std::string out;
  out.reserve(size);
  for (const auto& p : parts) {
    out += '/';
    out += p;
  }
  return out;
}

namespace {

// Already what lexical() makes of it: absolute, no empty, "." or ".." component, no trailing
// slash ("/" alone is clean).
bool is_lexical(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  for (size_t i = 0; i < path.size();) {  // i is at a '/'
    size_t j = path.find('/', i + 1);
    if (j == std::string::npos) j = path.size();
    const size_t len = j - i - 1;
    if (len == 0 || (len == 1 && path[i + 1] == '.') || (len == 2 && path[i + 1] == '.' && path[i + 2] == '.')) {
      return false;
    }
    i = j;
  }
  return true;
}

}  // namespace

std::string lexical(const std::string& path) { return is_lexical(path) ? path : join_parts(lexical_parts(path)); }

bool strictly_under(const std::string& parent, const std::string& child) {
  if (parent == "/") return !child.empty() && child[0] == '/' && child != "/";
  return child.size() > parent.size() && child.compare(0, parent.size(), parent) == 0 &&
         child[parent.size()] == '/';
}

bool same_or_under(const std::string& parent, const std::string& child) {
  return parent == child || strictly_under(parent, child);
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace oci_harden
