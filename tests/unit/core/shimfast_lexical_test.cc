// Issue 14.1: written_parts, lexical_parts, join_parts and lexical cut paths in place (no
// intermediate split) and lexical returns a clean path as it is. They must answer exactly as the
// split_at-based versions they replace did, kept here as the reference, on every path made of
// '/', '.', ".." and names up to a length (exhaustive), and on a few written by hand.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shim/core/lexical_path.hh"
#include "shim/core/split.hh"

namespace oci_harden {
namespace {

using Parts = std::vector<std::string>;

Parts reference_written(const std::string& path) {
  Parts parts;
  for (std::string& seg : split_at(path, '/')) {
    if (!seg.empty() && seg != ".") parts.push_back(std::move(seg));
  }
  return parts;
}

Parts reference_lexical_parts(const std::string& path) {
  Parts parts;
  for (std::string& seg : reference_written(path)) {
    if (seg != "..") {
      parts.push_back(std::move(seg));
    } else if (!parts.empty()) {
      parts.pop_back();
    }
  }
  return parts;
}

std::string reference_join(const Parts& parts) {
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

void same_as_reference(const std::string& path) {
  INFO("path \"" << path << "\"");
  CHECK(written_parts(path) == reference_written(path));
  CHECK(lexical_parts(path) == reference_lexical_parts(path));
  CHECK(lexical(path) == reference_join(reference_lexical_parts(path)));
  CHECK(join_parts(lexical_parts(path)) == reference_join(reference_lexical_parts(path)));
}

}  // namespace

TEST_CASE("lexical path functions answer as the split-based reference, every short path", "[shimfast]") {
  // Every string of up to 7 characters over {'/', '.', 'a'}: empty components, ".", "..",
  // "...", ".a", "a.", leading and trailing slashes, relative and absolute.
  const char alphabet[] = {'/', '.', 'a'};
  std::vector<std::string> layer{""};
  same_as_reference("");
  for (int len = 1; len <= 7; ++len) {
    std::vector<std::string> next;
    for (const std::string& s : layer) {
      for (char c : alphabet) {
        next.push_back(s + c);
        same_as_reference(next.back());
      }
    }
    layer = std::move(next);
  }
}

TEST_CASE("lexical returns a clean path unchanged and cleans every other", "[shimfast]") {
  for (const char* clean : {"/", "/a", "/var/lib/docker", "/run/user/*/docker.sock", "/a/.b/c.", "/...", "/a/..b"}) {
    CHECK(lexical(clean) == clean);
  }
  CHECK(lexical("") == "/");
  CHECK(lexical("a/b") == "/a/b");
  CHECK(lexical("/a/") == "/a");
  CHECK(lexical("//a") == "/a");
  CHECK(lexical("/a/./b") == "/a/b");
  CHECK(lexical("/a/../b") == "/b");
  CHECK(lexical("/..") == "/");
  CHECK(lexical("/a/.") == "/a");
  CHECK(lexical("/a/..") == "/");
  CHECK(lexical("/proc/self/cwd/../../etc") == "/proc/etc");
  CHECK(join_parts({}) == "/");
  CHECK(join_parts({"var", "run"}) == "/var/run");
}

}  // namespace oci_harden
