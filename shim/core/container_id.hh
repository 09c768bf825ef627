// Container ids as runc accepts them. The id also names a directory under the policy's
// state_dir (<state_dir>/<id>), so an id that runc would refuse is never joined to a path.
#pragma once

#include <string>

namespace oci_harden {

// runc's grammar (libcontainer validateID): one or more of [A-Za-z0-9_+.-], and the id must be
// its own clean path component, so "." and ".." are refused. runc 1.1's regexp ^[\w+-\.]+$
// also admits ',' (the class reads "+" to "."); no engine makes such ids, and refusing one is
// the safe side. Longer than 1024 bytes is refused too.
bool valid_container_id(const std::string& id);

}  // namespace oci_harden
