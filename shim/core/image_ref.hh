// Image references as Docker normalises them (distribution's reference.ParseNormalizedNamed),
// and the policy's allowed_registries entries matched against them, component by component.
// Pure string work: the reference is only as true as whoever wrote it (see trusted-registries).
#pragma once

#include <string>
#include <vector>

#include "shim/core/result.hh"

namespace oci_harden {

struct ImageRef {
  std::string domain;  // lower-case registry host[:port]; docker.io for Docker Hub
  std::string path;    // repository path, "library/busybox" for an official image
  std::string tag;     // "" when absent
  std::string digest;  // "" when absent, else "sha256:<hex>"
  // domain/path: what allowed_registries is matched against (tag and digest stripped).
  std::string name() const { return domain + "/" + path; }
};

// "busybox" -> docker.io/library/busybox, "user/x" -> docker.io/user/x, "index.docker.io/x" ->
// docker.io/library/x, "localhost:5000/x" -> localhost:5000/x. The first component is a registry
// when it has a '.' or ':', is "localhost", or has an upper-case letter (as Docker decides).
// Anything outside Docker's grammar (userinfo, an empty label, a trailing dot, an upper-case
// repository path, a bad tag or digest) is an error saying why.
Result<ImageRef> parse_image_ref(const std::string& text);

// An allowed_registries entry: a registry host[:port] ("registry.example.com",
// "localhost:5000", "docker.io") or a name prefix ending at a component
// ("registry.example.com/team/", "docker.io/library"). Errors say what is wrong.
Status check_registry_entry(const std::string& entry);

// Whether `ref` is covered by one of the entries: an entry without '/' is a whole registry host
// (compared without case; index.docker.io is docker.io); an entry with '/' is a name prefix
// that ends at a '/' boundary, so "registry.example.com/team" never covers ".../team-evil/x".
bool registry_allowed(const ImageRef& ref, const std::vector<std::string>& entries);

}  // namespace oci_harden
