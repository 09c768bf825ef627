// Paths as strings, cleaned the way runc and Go's filepath.Clean clean them: "", "." and "//"
// dropped, ".." applied lexically and never above the root. No filesystem is touched: this is
// where a spec's destinations are placed in the rootfs and where two canonical paths are
// compared; what a path IS on the host is path_identity's and real_host.cc's.
#pragma once

#include <string>
#include <vector>

namespace oci_harden {

// The components of `path`, cleaned ("/a//b/./c/.." -> {"a", "b"}).
std::vector<std::string> lexical_parts(const std::string& path);
// The components as written: "" and "." dropped, ".." kept ("/a//./b/.." -> {"a", "b", ".."}),
// for walks that must see where ".." goes (a symlink walk, a path through /proc/self).
std::vector<std::string> written_parts(const std::string& path);
// "/" + the components joined by "/"; "/" for none.
std::string join_parts(const std::vector<std::string>& parts);
// "/" + `path` cleaned: how runc places a destination, relative or not, in the rootfs.
std::string lexical(const std::string& path);
// `child` lies strictly under `parent` (both clean and absolute; everything but "/" is under "/").
bool strictly_under(const std::string& parent, const std::string& child);
bool same_or_under(const std::string& parent, const std::string& child);

// The last component as written: what follows the last '/' ("/usr/bin/crun" -> "crun"); the
// whole of `path` when it has none. Nothing is cleaned ("/a/b/" -> "").
std::string base_name(const std::string& path);
// What precedes the last '/': "/" when that is the first character, "." when there is none
// ("/a/b" -> "/a", "/a" -> "/", "a" -> "."). Nothing is cleaned.
std::string dir_name(const std::string& path);

}  // namespace oci_harden
