// One policy per workload: the policy file's ordered "selectors" and the facts about a container
// they are matched against. The first selector whose every match key holds names the policy;
// otherwise the top-level (default) policy applies.
//
// Why this is safe: a selector may only choose a weaker policy on facts the container's author
// cannot write. Each fact is believed only where the engine that sets it is known from the
// bundle path (which the engine, not the spec, chooses):
//   engine     from the bundle path alone (engine_bundle.hh: bundle_engine);
//   namespace  io.kubernetes.cri.sandbox-namespace, only in a bundle of containerd namespace
//              "k8s.io" (the CRI plugin's), where containerd writes it after the pod's
//              pass-through annotations, so a pod annotation cannot override it;
//   image      io.kubernetes.cri.image-name, under the same condition (containerd's own image
//              record name);
//   label      an annotation whose key the policy lists in selector_labels; the operator vouches
//              that only someone it trusts sets that key.
// Anything else (a namespace annotation in a Docker, Podman or plain containerd bundle, an
// unlisted label key, a differently spelt key) is no fact at all, and the default applies.
// Matching is by exact string; an image pattern may end in one '*' (a plain prefix); nothing else
// is a pattern.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shim/core/json.hh"
#include "shim/core/result.hh"

namespace oci_harden {

// The annotations the CRI plugin of containerd sets itself (pkg/cri/annotations).
extern const char* const kCriNamespaceAnnotation;  // io.kubernetes.cri.sandbox-namespace
extern const char* const kCriImageAnnotation;      // io.kubernetes.cri.image-name

struct Selector {
  std::string where;  // "selectors[2]", for messages
  std::optional<std::string> engine;
  std::optional<std::string> namespace_name;
  std::optional<std::string> image;  // exact, or a prefix ending in '*'
  std::optional<std::pair<std::string, std::string>> label;  // annotation key, exact value
  std::string policy;                                         // a name of "policies", or "default"
};

// What is believed about one container (see the file comment).
struct Workload {
  std::string engine;  // docker, podman, containerd, kubernetes; "" unknown
  std::optional<std::string> namespace_name;
  std::optional<std::string> image;
  std::vector<std::pair<std::string, std::string>> labels;  // listed keys present in the spec
};

// The facts, from the bundle directory, the container id and the spec's annotations.
Workload workload_of(const Json& spec, const std::string& bundle, const std::string& container_id,
                     const std::vector<std::string>& selector_labels);
// The same for an engine already known (`oci-hardenctl explain --engine`, a dry run).
Workload workload_for_engine(const Json& spec, const std::string& engine,
                             const std::vector<std::string>& selector_labels);

// Parses the "selectors" array; `policy_names` are the names it may refer to ("default"
// included), `selector_labels` the label keys it may use. Errors name the key
// (selectors[1].match.namespace), including a selector that can never match.
Result<std::vector<Selector>> parse_selectors(const Json& array, const std::vector<std::string>& policy_names,
                                              const std::vector<std::string>& selector_labels);
// Checks the "selector_labels" list: annotation keys, none of those the CRI facts come from.
Status check_selector_labels(const std::vector<std::string>& keys);

bool selector_matches(const Selector& s, const Workload& w);
// Index of the first matching selector, or nullopt (the default policy).
std::optional<size_t> first_match(const std::vector<Selector>& selectors, const Workload& w);

}  // namespace oci_harden
