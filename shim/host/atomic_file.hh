// Reading a JSON file from a bundle and replacing it atomically: the new text goes to a temporary
// file in the same directory (same mode and owner), is fsynced, then renamed over the original,
// and the directory is fsynced. A crash at any point leaves the old file or the new one whole.
#pragma once

#include <sys/types.h>

#include <string>

#include "shim/core/handles.hh"
#include "shim/core/result.hh"

namespace oci_harden {

class AtomicFile {
 public:
  // Opens dir/name for reading. Refuses a symbolic link (the engine writes a plain file; a link
  // could point outside the bundle), anything but a regular file, and files over max_bytes.
  static Result<AtomicFile> open(const std::string& dir, const std::string& name, size_t max_bytes);

  // Moving hands over the prepared temporary file; assigning over a prepared file discards it.
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  ~AtomicFile();

  const std::string& text() const { return text_; }
  const std::string& path() const { return path_; }

  // Writes the new contents to a temporary file beside the original and fsyncs it.
  Status prepare(const std::string& contents);
  // Renames the prepared file over the original and fsyncs the directory.
  Status commit();
  // Removes a prepared, uncommitted temporary file (also done by the destructor).
  void discard();

 private:
  AtomicFile() = default;
  UniqueFd dir_fd_;
  std::string name_;
  std::string path_;
  std::string text_;
  std::string tmp_name_;
  mode_t mode_ = 0600;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace oci_harden
