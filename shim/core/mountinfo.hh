// /proc/<pid>/mountinfo: one record per mount, parsed by a small parser of our own.
//
// Why not libmount (the hook uses it): oci-harden and oci-hardenctl are static PIEs (see the
// Makefile) and Debian's libmount ships no static archive. The format is small and fixed
// (proc(5)): "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER",
// with space, tab, newline and backslash in the path fields written as octal escapes (\040).
// A line that does not have that shape is skipped rather than half-read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace oci_harden {

struct MountEntry {
  int id = 0;
  int parent = 0;
  unsigned major = 0, minor = 0;
  std::string root;         // the directory of the filesystem this mount shows
  std::string mount_point;  // where it is mounted, in the reader's mount namespace
  std::string options;      // per-mount options (rw,nosuid,...)
  std::string fstype;
  std::string source;       // "/dev/vda", "proc", "tmpfs", ...
};

// Every well-formed line of `text` (the contents of a mountinfo file), in the file's order.
std::vector<MountEntry> parse_mountinfo(const std::string& text);

// "\040" -> " ": the kernel's escaping of the path fields (mangle() in fs/proc_namespace.c).
std::string unescape_mountinfo(const std::string& field);

}  // namespace oci_harden
