// Docker's reference grammar, normalisation, and allowed_registries matching.

#include "shim/core/image_ref.hh"

#include <algorithm>

#include "shim/core/json.hh"

namespace oci_harden {

namespace {

// The container author's text in a message: JSON-quoted, so no control character reaches a
// terminal or a log line as it is.
std::string quoted(const std::string& s) { return to_json(Json::string(s)); }

constexpr size_t kMaxNameLength = 255;  // distribution's NameTotalLengthMax

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// domain-component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_label(const std::string& l) {
  if (l.empty() || !is_alnum(l.front()) || !is_alnum(l.back())) return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domain: domain-component ('.' domain-component)* (':' port)?
bool valid_domain(const std::string& d) {
  size_t colon = d.find(':');
  std::string host = d.substr(0, colon);
  if (colon != std::string::npos) {
    std::string port = d.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
  }
  for (const std::string& l : split(host, '.')) {
    if (!valid_label(l)) return false;
  }
  return true;
}

// path-component: [a-z0-9]+ (separator [a-z0-9]+)*, separator: [_.] | __ | -+
bool valid_path_component(const std::string& c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) ++j;
    std::string sep = c.substr(i, j - i);
    bool ok = sep == "_" || sep == "." || sep == "__" ||
              std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
    if (!ok) return false;
    i = j;
  }
  return true;
}

// tag: [\w][\w.-]{0,127}
bool valid_tag(const std::string& t) {
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  if (t.empty() || t.size() > 128 || !word(t[0])) return false;
  return std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

// digest: algorithm ':' [0-9a-fA-F]{32,}; algorithm: [A-Za-z][A-Za-z0-9]* ([+._-] same)*
bool valid_digest(const std::string& d) {
  size_t colon = d.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string alg = d.substr(0, colon), hex = d.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_hex)) return false;
  bool start = true;
  for (char c : alg) {
    if (start) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
      start = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      start = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  return !start;
}

Error bad(const std::string& text, const std::string& why) {
  return Error{ErrorCode::kSpec, quoted(text) + " is not an image reference: " + why};
}

// The host part of a registry name as compared: lower case (host names are), Docker Hub's
// legacy name folded into its canonical one.
std::string canonical_domain(const std::string& domain) {
  std::string d = lower(domain);
  return d == "index.docker.io" ? "docker.io" : d;
}

}  // namespace

Result<ImageRef> parse_image_ref(const std::string& text) {
  // An image ID (sha256:<hex>, or the bare 64 hex digits containerd's CRI plugin also accepts)
  // names whatever image has that ID on the node, from any registry, and no registry at all:
  // Docker reads it as an ID too, and refuses a 64-hex repository name.
  auto all_hex = [](const std::string& h) {
    return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  if (all_hex(text) || (text.rfind("sha256:", 0) == 0 && all_hex(text.substr(7)))) {
    return bad(text, "an image ID names no registry");
  }
  ImageRef ref;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!valid_digest(ref.digest)) return bad(text, quoted(ref.digest) + " after '@' is not a digest");
  }
  size_t slash = rest.find('/');
  if (size_t colon = rest.rfind(':'); colon != std::string::npos &&
                                      (slash == std::string::npos || colon > rest.rfind('/'))) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag)) return bad(text, quoted(ref.tag) + " is not a tag");
  }
  if (rest.empty()) return bad(text, "no repository name");
  // Docker's splitDockerDomain: the first component is a registry when it has a '.' or ':', is
  // "localhost", or is not all lower case.
  std::string first = slash == std::string::npos ? "" : rest.substr(0, slash);
  bool has_domain = slash != std::string::npos &&
                    (first.find_first_of(".:") != std::string::npos || first == "localhost" ||
                     lower(first) != first);
  std::string path;
  if (has_domain) {
    if (!valid_domain(first)) return bad(text, quoted(first) + " is not a registry host[:port]");
    ref.domain = canonical_domain(first);
    path = rest.substr(slash + 1);
  } else {
    ref.domain = "docker.io";
    path = rest;
  }
  if (ref.domain == "docker.io" && path.find('/') == std::string::npos) path = "library/" + path;
  for (const std::string& c : split(path, '/')) {
    if (!valid_path_component(c)) {
      return bad(text, quoted(c) + " is not a repository path component (lower-case letters, digits, "
                       "and . _ __ - between them)");
    }
  }
  ref.path = path;
  if (ref.name().size() > kMaxNameLength) return bad(text, "longer than 255 characters");
  return ref;
}

Status check_registry_entry(const std::string& entry) {
  if (entry.empty()) return make_error(ErrorCode::kPolicy, "an empty entry");
  size_t slash = entry.find('/');
  std::string host = entry.substr(0, slash);
  if (!valid_domain(host)) {
    return make_error(ErrorCode::kPolicy, quoted(entry) + ": " + quoted(host) + " is not a registry host[:port]");
  }
  if (slash == std::string::npos) return Ok{};
  std::string path = entry.substr(slash + 1);
  if (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) return Ok{};
  for (const std::string& c : split(path, '/')) {
    if (!valid_path_component(c)) {
      return make_error(ErrorCode::kPolicy, quoted(entry) + ": " + quoted(c) + " is not a repository path component");
    }
  }
  return Ok{};
}

bool registry_allowed(const ImageRef& ref, const std::vector<std::string>& entries) {
  const std::string name = ref.name();
  for (const std::string& entry : entries) {
    size_t slash = entry.find('/');
    std::string host = canonical_domain(entry.substr(0, slash));
    if (slash == std::string::npos) {
      if (ref.domain == host) return true;
      continue;
    }
    std::string prefix = host + "/" + entry.substr(slash + 1);
    if (prefix.back() == '/') prefix.pop_back();
    if (name == prefix || name.compare(0, prefix.size() + 1, prefix + "/") == 0) return true;
  }
  return false;
}

}  // namespace oci_harden
