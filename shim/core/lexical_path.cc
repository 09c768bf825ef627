// Lexical path cleaning and prefix tests (see lexical_path.hh).

#include "shim/core/lexical_path.hh"

#include "shim/core/split.hh"

namespace oci_harden {

std::vector<std::string> written_parts(const std::string& path) {
  std::vector<std::string> parts;
  for (std::string& seg : split_at(path, '/')) {
    if (!seg.empty() && seg != ".") parts.push_back(std::move(seg));
  }
  return parts;
}

std::vector<std::string> lexical_parts(const std::string& path) {
  std::vector<std::string> parts;
  for (std::string& seg : written_parts(path)) {
    if (seg != "..") {
      parts.push_back(std::move(seg));
    } else if (!parts.empty()) {
      parts.pop_back();
    }
  }
  return parts;
}

std::string join_parts(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string lexical(const std::string& path) { return join_parts(lexical_parts(path)); }

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
