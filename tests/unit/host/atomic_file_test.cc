// AtomicFile: config.json is opened without following links, replaced by rename with its mode
// and owner kept, and a prepared-but-uncommitted replacement leaves nothing behind.

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "shim/host/atomic_file.hh"

namespace oci_harden {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/oci-harden-atomic-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    char resolved[PATH_MAX];
    REQUIRE(::realpath(tmpl, resolved) != nullptr);
    path = resolved;
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0644) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  }
  std::vector<std::string> list() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(path.c_str());
    REQUIRE(d != nullptr);
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct stat stat_of(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

constexpr size_t kMax = 1 << 20;

}  // namespace

TEST_CASE("atomic_file: open refuses what is not a plain file", "[atomic_file]") {
  TempDir dir;
  SECTION("a symbolic link") {
    std::string target = dir.write("real.json", "{}");
    REQUIRE(::symlink(target.c_str(), (dir.path + "/config.json").c_str()) == 0);
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code == ErrorCode::kSpec);
    CHECK(f.error().message == dir.path + "/config.json: is a symbolic link; refusing to follow it");
    CHECK(f.error().message.find("symbolic link") != std::string::npos);
  }
  SECTION("a symbolic link to a directory") {
    REQUIRE(::symlink("/", (dir.path + "/config.json").c_str()) == 0);
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().message.find("symbolic link") != std::string::npos);
  }
  SECTION("a directory") {
    REQUIRE(::mkdir((dir.path + "/config.json").c_str(), 0755) == 0);
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().message == dir.path + "/config.json: not a regular file");
  }
  SECTION("a FIFO does not block") {
    REQUIRE(::mkfifo((dir.path + "/config.json").c_str(), 0644) == 0);
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().message == dir.path + "/config.json: not a regular file");
  }
  SECTION("a missing file") {
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().message == dir.path + "/config.json: No such file or directory");
  }
  SECTION("a missing directory") {
    auto f = AtomicFile::open(dir.path + "/nope", "config.json", kMax);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().message.find(dir.path + "/nope") != std::string::npos);
  }
  SECTION("a file larger than max") {
    dir.write("config.json", std::string(100, 'x'));
    auto big = AtomicFile::open(dir.path, "config.json", 99);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().message == dir.path + "/config.json: larger than 99 bytes");
    auto fits = AtomicFile::open(dir.path, "config.json", 100);
    REQUIRE(fits.ok());
    CHECK(fits->text() == std::string(100, 'x'));
  }
}

TEST_CASE("atomic_file: open reads the whole file", "[atomic_file]") {
  TempDir dir;
  std::string big(300000, 'y');
  dir.write("config.json", big);
  auto f = AtomicFile::open(dir.path, "config.json", kMax);
  REQUIRE(f.ok());
  CHECK(f->text() == big);
  CHECK(f->path() == dir.path + "/config.json");
  dir.write("empty.json", "");
  auto e = AtomicFile::open(dir.path, "empty.json", kMax);
  REQUIRE(e.ok());
  CHECK(e->text().empty());
}

TEST_CASE("atomic_file: prepare and commit replace the file, keeping mode and owner", "[atomic_file]") {
  TempDir dir;
  std::string p = dir.write("config.json", "{\"old\":true}", 0640);
  bool root = ::geteuid() == 0;
  if (root) REQUIRE(::chown(p.c_str(), 1000, 1001) == 0);
  struct stat before = stat_of(p);

  auto f = AtomicFile::open(dir.path, "config.json", kMax);
  REQUIRE(f.ok());
  CHECK(f->text() == "{\"old\":true}");
  REQUIRE(f->prepare("{\"new\":true}").ok());
  // Before commit the original is untouched and the temporary file sits beside it.
  CHECK(slurp(p) == "{\"old\":true}");
  std::vector<std::string> mid = dir.list();
  REQUIRE(mid.size() == 2);
  CHECK(mid[0].rfind(".config.json.oci-harden.", 0) == 0);
  CHECK(mid[1] == "config.json");
  CHECK((stat_of(dir.path + "/" + mid[0]).st_mode & 07777) == 0640);

  REQUIRE(f->commit().ok());
  CHECK(slurp(p) == "{\"new\":true}");
  struct stat after = stat_of(p);
  CHECK(S_ISREG(after.st_mode));
  CHECK((after.st_mode & 07777) == 0640);
  CHECK(after.st_uid == before.st_uid);
  CHECK(after.st_gid == before.st_gid);
  if (root) {
    CHECK(after.st_uid == 1000u);
    CHECK(after.st_gid == 1001u);
  } else {
    WARN("not root: owner preservation checked only for the current user");
  }
  CHECK(after.st_ino != before.st_ino);  // replaced by rename, not rewritten in place
  CHECK(dir.list() == std::vector<std::string>{"config.json"});

  // A second commit without a prepare is an error; the file stays.
  auto again = f->commit();
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == p + ": nothing prepared");
  CHECK(slurp(p) == "{\"new\":true}");
}

TEST_CASE("atomic_file: other modes are kept too", "[atomic_file]") {
  TempDir dir;
  for (mode_t mode : {mode_t(0600), mode_t(0644), mode_t(0444), mode_t(0755)}) {
    INFO("mode " << std::oct << mode);
    std::string p = dir.write("config.json", "a", mode);
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE(f.ok());
    REQUIRE(f->prepare("b").ok());
    REQUIRE(f->commit().ok());
    CHECK((stat_of(p).st_mode & 07777) == mode);
    CHECK(slurp(p) == "b");
  }
}

TEST_CASE("atomic_file: prepare without commit leaves the original and nothing else", "[atomic_file]") {
  TempDir dir;
  std::string p = dir.write("config.json", "original", 0640);
  SECTION("destructor") {
    {
      auto f = AtomicFile::open(dir.path, "config.json", kMax);
      REQUIRE(f.ok());
      REQUIRE(f->prepare("replacement").ok());
      CHECK(dir.list().size() == 2);
    }
    CHECK(slurp(p) == "original");
    CHECK(dir.list() == std::vector<std::string>{"config.json"});
  }
  SECTION("discard") {
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE(f.ok());
    REQUIRE(f->prepare("replacement").ok());
    f->discard();
    CHECK(dir.list() == std::vector<std::string>{"config.json"});
    CHECK_FALSE(f->commit().ok());
    CHECK(slurp(p) == "original");
  }
  SECTION("a second prepare replaces the first temporary file") {
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE(f.ok());
    REQUIRE(f->prepare("one").ok());
    REQUIRE(f->prepare("two").ok());
    CHECK(dir.list().size() == 2);
    REQUIRE(f->commit().ok());
    CHECK(slurp(p) == "two");
    CHECK(dir.list() == std::vector<std::string>{"config.json"});
  }
  SECTION("moving the object moves the responsibility") {
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    REQUIRE(f.ok());
    REQUIRE(f->prepare("moved").ok());
    {
      AtomicFile g(std::move(*f));
      CHECK(dir.list().size() == 2);
      REQUIRE(g.commit().ok());
    }
    CHECK(slurp(p) == "moved");
    CHECK(dir.list() == std::vector<std::string>{"config.json"});
  }
}

// The defaulted move assignment overwrites a prepared object's temporary-file name without
// removing the file: it stays in the bundle for ever.
TEST_CASE("atomic_file: move-assigning over a prepared file removes its temporary file",
          "[atomic_file]") {
  TempDir dir;
  dir.write("config.json", "a");
  dir.write("other.json", "b");
  {
    auto f = AtomicFile::open(dir.path, "config.json", kMax);
    auto g = AtomicFile::open(dir.path, "other.json", kMax);
    REQUIRE(f.ok());
    REQUIRE(g.ok());
    REQUIRE(f->prepare("replacement").ok());
    *f = std::move(*g);
  }
  CHECK(dir.list() == (std::vector<std::string>{"config.json", "other.json"}));
}

}  // namespace oci_harden
