// Selectors: parsing with errors naming the key, the facts believed about a container, matching
// (see selectors.hh for the trust rules).

#include "shim/core/selectors.hh"

#include <algorithm>

#include "shim/core/engine_bundle.hh"

namespace oci_harden {

const char* const kCriNamespaceAnnotation = "io.kubernetes.cri.sandbox-namespace";
const char* const kCriImageAnnotation = "io.kubernetes.cri.image-name";

namespace {

const char* const kEngines[] = {"docker", "podman", "containerd", "kubernetes"};

Error at(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::kPolicy, where + ": " + what);
}

bool has_space_or_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
  });
}

// A Kubernetes namespace name is an RFC 1123 label: lower-case letters, digits and '-'.
bool is_namespace_name(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

const char* const kGlob = "*?[]\\{}";

const std::string* annotation(const Json& spec, const char* key) {
  const Json* ann = spec.get("annotations");
  if (ann == nullptr || !ann->is_object()) return nullptr;
  const Json* v = ann->get_exact(key);
  return v != nullptr && v->is_string() ? &v->text() : nullptr;
}

bool image_matches(const std::string& pattern, const std::string& image) {
  if (!pattern.empty() && pattern.back() == '*') {
    return image.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0 &&
           image.size() >= pattern.size() - 1;
  }
  return image == pattern;
}

// Whether every container that `later` matches is matched by `earlier` too.
bool covers(const Selector& earlier, const Selector& later) {
  auto same = [](const auto& a, const auto& b) { return !a || (b && *a == *b); };
  if (!same(earlier.engine, later.engine)) return false;
  if (!same(earlier.namespace_name, later.namespace_name)) return false;
  if (!same(earlier.label, later.label)) return false;
  if (earlier.image) {
    if (!later.image) return false;
    const std::string& e = *earlier.image;
    const std::string& l = *later.image;
    std::string l_prefix = !l.empty() && l.back() == '*' ? l.substr(0, l.size() - 1) : l;
    bool e_prefix = !e.empty() && e.back() == '*';
    if (!e_prefix && e != l) return false;
    if (e_prefix && l_prefix.compare(0, e.size() - 1, e, 0, e.size() - 1) != 0) return false;
  }
  return true;
}

Result<std::string> exact_string(const Json& v, const std::string& where) {
  if (!v.is_string()) return at(where, "expected a string");
  return v.text();
}

Result<Selector> parse_match(const Json& match, Selector s, const std::vector<std::string>& labels) {
  const std::string where = s.where + ".match";
  if (!match.is_object()) return at(where, "expected an object");
  if (match.members().empty()) {
    return at(where, "empty: it would match every container (the top-level keys are the default policy)");
  }
  for (const auto& [key, value] : match.members()) {
    const std::string w = where + "." + key;
    if (key == "engine") {
      auto v = exact_string(value, w);
      if (!v) return v.error();
      if (std::find(std::begin(kEngines), std::end(kEngines), *v) == std::end(kEngines)) {
        return at(w, "\"" + *v + "\" is not docker, podman, containerd or kubernetes");
      }
      s.engine = *v;
    } else if (key == "namespace") {
      auto v = exact_string(value, w);
      if (!v) return v.error();
      if (!is_namespace_name(*v)) {
        return at(w, "\"" + *v + "\" is not a Kubernetes namespace name (exact names only, no patterns)");
      }
      s.namespace_name = *v;
    } else if (key == "image") {
      auto v = exact_string(value, w);
      if (!v) return v.error();
      size_t glob = v->find_first_of(kGlob);
      if (v->empty() || has_space_or_control(*v) || (glob != std::string::npos && glob != v->size() - 1) ||
          (glob == v->size() - 1 && v->back() != '*')) {
        return at(w, "\"" + *v + "\" is not an image reference or a prefix ending in one '*'");
      }
      s.image = *v;
    } else if (key == "label") {
      if (!value.is_object()) return at(w, R"(expected an object {"key": ..., "value": ...})");
      const Json* k = value.get_exact("key");
      const Json* val = value.get_exact("value");
      for (const auto& [lk, lv] : value.members()) {
        if (lk != "key" && lk != "value") return at(w + "." + lk, "unknown key");
      }
      if (k == nullptr || !k->is_string()) return at(w + ".key", "expected a string");
      if (val == nullptr || !val->is_string()) return at(w + ".value", "expected a string");
      if (std::find(labels.begin(), labels.end(), k->text()) == labels.end()) {
        return at(w + ".key", "\"" + k->text() + "\" is not listed in selector_labels");
      }
      if (val->text().find_first_of(kGlob) != std::string::npos || has_space_or_control(val->text())) {
        return at(w + ".value", "\"" + val->text() + "\": exact values only, no patterns or spaces");
      }
      s.label = std::make_pair(k->text(), val->text());
    } else {
      return at(w, "unknown key (engine, namespace, image, label)");
    }
  }
  // Only the CRI plugin's bundles carry a believed namespace or image.
  if ((s.namespace_name || s.image) && s.engine && *s.engine != "kubernetes") {
    return at(where, "can never match: a namespace or image is known only for engine kubernetes");
  }
  if (s.namespace_name || s.image) s.engine = "kubernetes";  // implied: known for no other
  return s;
}

}  // namespace

Workload workload_of(const Json& spec, const std::string& bundle, const std::string& container_id,
                     const std::vector<std::string>& selector_labels) {
  return workload_for_engine(spec, bundle_engine(bundle, container_id), selector_labels);
}

Workload workload_for_engine(const Json& spec, const std::string& engine,
                             const std::vector<std::string>& selector_labels) {
  Workload w;
  w.engine = engine;
  if (w.engine == "kubernetes") {
    if (const std::string* ns = annotation(spec, kCriNamespaceAnnotation)) w.namespace_name = *ns;
    // A container's image only: containerd before 2.0 writes none for a pod sandbox, so there the
    // key can only have come through from the pod's own annotations (pod_annotations).
    const std::string* type = annotation(spec, "io.kubernetes.cri.container-type");
    const std::string* image = annotation(spec, kCriImageAnnotation);
    if (image != nullptr && type != nullptr && *type == "container") w.image = *image;
  }
  for (const std::string& key : selector_labels) {
    if (const std::string* v = annotation(spec, key.c_str())) w.labels.emplace_back(key, *v);
  }
  return w;
}

Status check_selector_labels(const std::vector<std::string>& keys) {
  for (const std::string& k : keys) {
    if (k.empty() || has_space_or_control(k) || k.find_first_of(kGlob) != std::string::npos) {
      return at("selector_labels", "\"" + k + "\" is not an annotation key");
    }
    // Their meaning comes from the engine that sets them, which a label cannot know.
    if (k.compare(0, 14, "io.kubernetes.") == 0) {
      return at("selector_labels", "\"" + k + "\": io.kubernetes.* annotations are believed only from the "
                                             "CRI plugin; use the namespace and image selectors");
    }
  }
  return Ok{};
}

Result<std::vector<Selector>> parse_selectors(const Json& array, const std::vector<std::string>& policy_names,
                                              const std::vector<std::string>& selector_labels) {
  if (!array.is_array()) return at("selectors", "expected an array of objects");
  // Bounded: each is checked against every earlier one at load, and compared at every start.
  if (array.items().size() > 256) return at("selectors", "more than 256 selectors");
  std::vector<Selector> out;
  for (size_t i = 0; i < array.items().size(); ++i) {
    const Json& item = array.items()[i];
    Selector s;
    s.where = "selectors[" + std::to_string(i) + "]";
    if (!item.is_object()) return at(s.where, R"(expected an object {"match": ..., "policy": ...})");
    for (const auto& [key, value] : item.members()) {
      if (key != "match" && key != "policy") return at(s.where + "." + key, "unknown key (match, policy)");
    }
    const Json* policy = item.get_exact("policy");
    if (policy == nullptr || !policy->is_string()) return at(s.where + ".policy", "expected a policy name");
    if (std::find(policy_names.begin(), policy_names.end(), policy->text()) == policy_names.end()) {
      return at(s.where + ".policy", "\"" + policy->text() + R"(" is not a policy of "policies" (nor "default"))");
    }
    s.policy = policy->text();
    const Json* match = item.get_exact("match");
    if (match == nullptr) return at(s.where + ".match", "missing");
    auto parsed = parse_match(*match, std::move(s), selector_labels);
    if (!parsed) return parsed.error();
    for (const Selector& earlier : out) {
      if (covers(earlier, *parsed)) {
        return at(parsed->where, "can never match: " + earlier.where + " matches every container it does");
      }
    }
    out.push_back(std::move(*parsed));
  }
  return out;
}

bool selector_matches(const Selector& s, const Workload& w) {
  if (s.engine && *s.engine != w.engine) return false;
  if (s.namespace_name && (w.engine != "kubernetes" || w.namespace_name != s.namespace_name)) return false;
  if (s.image && (w.engine != "kubernetes" || !w.image || !image_matches(*s.image, *w.image))) return false;
  if (s.label && std::find(w.labels.begin(), w.labels.end(), *s.label) == w.labels.end()) return false;
  return true;
}

std::optional<size_t> first_match(const std::vector<Selector>& selectors, const Workload& w) {
  for (size_t i = 0; i < selectors.size(); ++i) {
    if (selector_matches(selectors[i], w)) return i;
  }
  return std::nullopt;
}

}  // namespace oci_harden
