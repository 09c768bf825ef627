// Whether the runtime has a container at all, from its own state directory: <root>/<id>, where
// runc keeps state.json and crun its status. Used by `oci-harden delete` to hand a delete of a
// container the runtime does not have (Docker's second `delete --force`) straight to the
// runtime, without the stop token's hold and a fork (issue 14).
#pragma once

#include <string>

namespace oci_harden {

// The state root the runtime uses: `root` when the command line gives one (--root), else the
// runtime's default as root (runc: /run/runc, crun: /run/crun, by the executable's base name);
// "" when it is not known (another runtime, or not euid 0, where the defaults move under
// $XDG_RUNTIME_DIR).
std::string runtime_state_root(const std::string& runtime, const std::string& root);

// The command line's --root made absolute from the working directory, as runc makes it ("" stays
// ""): the same string for the same directory in create and in delete (the stop-at-delete file,
// stop_token.hh), and what rules see as Invocation::runtime_root.
std::string absolute_runtime_root(const std::string& root_flag);

// True only when the answer is certain: a valid id, a known state root, and no entry named
// <root>/<id> (lstat gives ENOENT). Anything else (present, unknown root, another error) is false.
bool runtime_lacks_container(const std::string& runtime, const std::string& root, const std::string& id);

}  // namespace oci_harden
