// `oci-hardenctl profile learn` / `profile diff` at the edge (see profile_learn.hh).
#include "shim/cli/profile_learn.hh"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "shim/core/bounded_read.hh"
#include "shim/core/handles.hh"

namespace oci_harden {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The *.json regular files of a directory, sorted (the recorder's temporary files start with a
// dot and are skipped).
Result<std::vector<std::string>> recordings_in(const std::string& dir) {
  UniqueDir d(::opendir(dir.c_str()));
  if (!d) return make_error(ErrorCode::kIo, dir + ": " + std::strerror(errno));
  std::vector<std::string> files;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.' || !ends_with(name, ".json")) continue;
    struct stat st {};
    const std::string path = dir + (ends_with(dir, "/") ? "" : "/") + name;
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.push_back(path);
  }
  if (files.empty()) return make_error(ErrorCode::kSpec, dir + ": no recording (*.json) in this directory");
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Result<std::vector<Recording>> read_recordings(const std::vector<std::string>& operands) {
  std::vector<std::string> files;
  for (const std::string& op : operands) {
    struct stat st {};
    if (::stat(op.c_str(), &st) != 0) return make_error(ErrorCode::kIo, op + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
      files.push_back(op);
      continue;
    }
    auto in = recordings_in(op);
    if (!in) return in.error();
    files.insert(files.end(), in->begin(), in->end());
  }
  std::vector<Recording> out;
  for (const std::string& f : files) {
    auto text = read_file_bounded(f, kMaxRecordingBytes);
    if (!text) return text.error();
    auto r = parse_recording(*text, f);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  return out;
}

std::string format_profile_text(const Json& profile) {
  if (!profile.is_object()) return to_json(profile) + "\n";
  std::string out = "{";
  const auto& members = profile.members();
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& [key, value] = members[i];
    out += (i == 0 ? "\n  " : ",\n  ") + to_json(Json::string(key)) + ": ";
    if (value.is_array() && !value.items().empty() && value.items().front().is_object()) {
      out += "[";
      for (size_t j = 0; j < value.items().size(); ++j) out += (j == 0 ? "\n    " : ",\n    ") + to_json(value.items()[j]);
      out += "\n  ]";
    } else {
      out += to_json(value);
    }
  }
  return out + "\n}\n";
}

std::string format_profile_diff(const std::string& a, const std::string& b, const ProfileDiff& diff) {
  std::string out;
  for (const std::string& s : diff.only_a) out += "only in " + a + ": " + s + "\n";
  for (const std::string& s : diff.only_b) out += "only in " + b + ": " + s + "\n";
  if (diff.same()) return out + "same: neither lets through a call the other does not\n";
  return out + std::to_string(diff.only_a.size()) + " only in " + a + ", " + std::to_string(diff.only_b.size()) + " only in " + b + "\n";
}

}  // namespace oci_harden
