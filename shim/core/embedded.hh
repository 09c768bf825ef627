// Files from profiles/ compiled into the binary (tools/embed.sh): the built-in policy and the
// default seccomp profile, so a host without `make install` is hardened fully.
#pragma once

#include <string_view>

namespace oci_harden {

struct EmbeddedFile {
  const char* name;      // base name, e.g. "policy-default.json"
  const char* contents;
};

extern const EmbeddedFile kEmbeddedFiles[];

// Contents of an embedded file by base name; empty when there is none.
inline std::string_view embedded_file(std::string_view name) {
  for (const EmbeddedFile* f = kEmbeddedFiles; f->name != nullptr; ++f) {
    if (name == f->name) return f->contents;
  }
  return {};
}

}  // namespace oci_harden
