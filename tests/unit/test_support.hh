// Helpers every unit test may use: files of the repository found from this header's own path
// (so the binary runs from any directory), and what a test does when the machine lacks what it
// needs (under CI=true that is a failure, never a silent pass).
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace oci_harden {
namespace test {

// The repository's root, with a trailing '/': this header is tests/unit/test_support.hh.
inline const std::string& repo_root() {
  static const std::string kRoot = [] {
    std::string here = __FILE__;
    size_t at = here.rfind("tests/unit/test_support.hh");
    return at == std::string::npos ? std::string("./") : here.substr(0, at);
  }();
  return kRoot;
}

inline std::string repo_path(const std::string& rel) { return repo_root() + rel; }

// The whole of a file of the repository (path relative to its root); fails the test when it
// cannot be read.
inline std::string repo_file(const std::string& rel) {
  std::ifstream in(repo_path(rel), std::ios::binary);
  INFO("reading " << repo_path(rel));
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A file of tests/unit/data.
inline std::string data_file(const std::string& name) { return repo_file("tests/unit/data/" + name); }

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string(ci) == "true" || std::string(ci) == "1");
}

// Call where a test cannot run here (`why`), then return from the test: under CI=true it fails,
// elsewhere it warns. Usage: if (!ok) { missing_prerequisite("..."); return; }
inline void missing_prerequisite(const std::string& why) {
  if (under_ci()) {
    FAIL_CHECK("prerequisite missing under CI=true: " << why);
  } else {
    WARN("skipped: " << why);
  }
}

// Whether the test runs as root; if not, a missing prerequisite (`why`: what needs root).
inline bool have_root(const std::string& why) {
  if (::geteuid() == 0) return true;
  missing_prerequisite(why);
  return false;
}

}  // namespace test
}  // namespace oci_harden
