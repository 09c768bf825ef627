// trusted-registries: an image from a registry the policy does not list is refused
// (docker-security-cheat-sheet practice 9, Kubernetes security practice 7).
//
// What the check is worth: the image name is read from the annotations the engine writes, and
// the spec's author writes those too when they write the spec. Under CRI (containerd's plugin)
// the kubelet resolves the name and the pod's author cannot set io.kubernetes.cri.* keys
// (containerd passes only the pod_annotations its runtime handler lists); with a spec written
// by hand (ctr run --config, podman --annotation, runc itself) it is whatever the author wrote.
// Two annotations that disagree are refused, so one forged key cannot hide behind another.

#include <string>
#include <vector>

#include "shim/core/image_ref.hh"
#include "shim/core/rule.hh"
#include "shim/core/spec.hh"

namespace oci_harden {

namespace {

// Where engines name the image in the spec: containerd's CRI plugin (a container's image; the
// pod sandbox's pause image from containerd 2.0, none before); CRI-O; containerd's image-name
// annotation. Docker 20.10, Podman 4.3 `run` and containerd 1.6 `ctr run` write none of them
// (tests/golden/*-captured).
const char* const kImageAnnotations[] = {
    "io.kubernetes.cri.image-name",
    "io.kubernetes.cri.podsandbox.image-name",
    "io.kubernetes.cri-o.ImageName",
    "io.containerd.image.name",
};

std::string field_name(const char* key) { return "annotations[" + to_json(Json::string(key)) + "]"; }

}  // namespace

void rule_trusted_registries(RuleContext& ctx) {
  const Policy& policy = ctx.policy();
  if (policy.allowed_registries.empty()) return;
  const Json* annotations = field(&ctx.spec(), "annotations");
  const char* first_key = nullptr;
  ImageRef first;
  // containerd before 2.0 writes no image name for a pod sandbox: there io.kubernetes.cri.image-name
  // can only have come through from the pod's own annotations (pod_annotations), so it is not read.
  const Json* type = map_entry(annotations, "io.kubernetes.cri.container-type");
  const bool sandbox = type != nullptr && type->is_string() && type->text() == "sandbox";
  for (const char* key : kImageAnnotations) {
    if (sandbox && std::string(key) == "io.kubernetes.cri.image-name") continue;
    const Json* value = map_entry(annotations, key);
    if (value == nullptr) continue;
    if (!value->is_string()) {
      ctx.refuse(field_name(key) + " is not a string");
      return;
    }
    auto ref = parse_image_ref(value->text());
    if (!ref) {
      ctx.refuse(field_name(key) + ": " + ref.error().message);
      return;
    }
    if (first_key == nullptr) {
      first_key = key;
      first = *ref;
    } else if (ref->name() != first.name()) {
      // Why refuse: which one the engine pulled cannot be told from the spec.
      ctx.refuse(field_name(key) + " names " + ref->name() + " but " + field_name(first_key) +
                 " names " + first.name() + ": two image names that disagree");
      return;
    }
  }
  if (first_key == nullptr) {
    std::string text = "no image name in the spec (no io.kubernetes.cri.image-name, "
                       "io.kubernetes.cri.podsandbox.image-name, io.kubernetes.cri-o.ImageName or "
                       "io.containerd.image.name annotation): the registry is unknown";
    if (policy.unknown_image == UnknownImage::kRefuse) {
      ctx.refuse(text + " (unknown_image: refuse)");
    } else {
      ctx.note(text);
    }
    return;
  }
  if (!registry_allowed(first, policy.allowed_registries)) {
    ctx.refuse(field_name(first_key) + " names " + first.name() + ", from registry " + first.domain +
               ", which allowed_registries does not list");
  }
}

}  // namespace oci_harden
