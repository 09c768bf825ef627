// configure on files: the old file backed up only when it changes, mode and owner kept, a
// second run and a dry run write nothing, a refused file is left as it was.

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/cli/configure.hh"

namespace oci_harden {

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-configure-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    for (const auto& n : names()) ::unlink((path + "/" + n).c_str());
    ::rmdir(path.c_str());
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    return out;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

void write(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

ConfigureOptions options(Engine engine, const std::string& path) {
  ConfigureOptions o;
  o.request.engine = engine;
  o.request.runtime_path = "/usr/local/bin/oci-harden";
  o.config_path = path;
  return o;
}

}  // namespace

TEST_CASE("configure: a changed file is backed up, replaced with its mode, then left alone", "[configure]") {
  TempDir dir;
  std::string file = dir.path + "/daemon.json";
  write(file, "{\"debug\": true}", 0640);
  auto out = configure_engine(options(Engine::kDocker, file));
  REQUIRE(out);
  CHECK(out->changed);
  CHECK(out->existed);
  REQUIRE_FALSE(out->backup_path.empty());
  CHECK(read(out->backup_path) == "{\"debug\": true}");
  CHECK(mode_of(out->backup_path) == 0640);
  CHECK(mode_of(file) == 0640);
  CHECK(read(file) == out->text);
  CHECK(read(file).find("\"hardened\": {\n      \"path\": \"/usr/local/bin/oci-harden\"") != std::string::npos);
  CHECK(dir.names().size() == 2);

  auto again = configure_engine(options(Engine::kDocker, file));
  REQUIRE(again);
  CHECK_FALSE(again->changed);
  CHECK(again->backup_path.empty());
  CHECK(dir.names().size() == 2);
}

TEST_CASE("configure: a dry run and a refused file write nothing", "[configure]") {
  TempDir dir;
  std::string file = dir.path + "/config.toml";
  write(file, "version = 2\n", 0600);
  auto dry = options(Engine::kContainerd, file);
  dry.dry_run = true;
  auto out = configure_engine(dry);
  REQUIRE(out);
  CHECK(out->changed);
  CHECK(out->text.find("BinaryName = \"/usr/local/bin/oci-harden\"") != std::string::npos);
  CHECK(read(file) == "version = 2\n");
  CHECK(dir.names().size() == 1);

  write(file, "version = 2\n[[x]]\n", 0600);
  auto refused = configure_engine(options(Engine::kContainerd, file));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message == file + ":2: arrays of tables ([[...]]) are not supported; edit this file by hand");
  CHECK(read(file) == "version = 2\n[[x]]\n");
  CHECK(dir.names().size() == 1);
}

TEST_CASE("configure: a missing containers.conf is created; a symbolic link is refused", "[configure]") {
  TempDir dir;
  std::string file = dir.path + "/containers.conf";
  auto out = configure_engine(options(Engine::kPodman, file));
  REQUIRE(out);
  CHECK_FALSE(out->existed);
  CHECK(out->backup_path.empty());
  CHECK(read(file) == "[engine.runtimes]\nhardened = [\"/usr/local/bin/oci-harden\"]\n");
  CHECK(mode_of(file) == 0644);

  std::string link = dir.path + "/link.conf";
  REQUIRE(::symlink(file.c_str(), link.c_str()) == 0);
  auto via_link = configure_engine(options(Engine::kPodman, link));
  REQUIRE_FALSE(via_link);
  CHECK(via_link.error().message.find("symbolic link") != std::string::npos);
}

}  // namespace oci_harden
