#pragma once
// Where the tests find the binary, the shared fixtures and scratch space.

#include <string>

namespace ckptfs::test {

// The shared fixtures (CMake cache variable CKPTFS_FIXTURES_DIR): real CRIU
// checkpoints and their ground truth. A user's clone may not have them; the
// tests that need them then fail, saying so, and never skip.
std::string fixtures_dir();
bool have_fixtures();
// fixtures_dir() + "/" + name; throws "missing fixture: PATH" if it is absent.
std::string fixture(const std::string& name);
// The one line a test that needs the fixtures fails with when they are absent.
std::string missing_fixtures_message();
// examples/NAME of the checkout: the real Podman checkpoint every clone has
// (byte-identical to the fixtures' webapp-checkpoint.tar.zst). Tests that
// need only an archive, not its ground truth, mount this one.
std::string example(const std::string& name = "webapp-checkpoint.tar.zst");
// A fixture committed with the tests (tests/fixtures/<rel>): every clone has
// it; throws "missing fixture: PATH" if it is absent.
std::string repo_fixture(const std::string& rel);
std::string ckptfs_binary();
std::string source_dir();

// A fresh directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Runs a shell command; returns its exit status and captures stdout and
// stderr. A command the shell cannot find (a test tool that is not
// installed) fails the calling test with one line naming it.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult run(const std::string& shell_command);
std::string shell_quote(const std::string& s);

// The tree below root as find(1) lists it, sorted: "path type mode size"
// lines, to compare two trees file by file.
std::string tree_listing(const std::string& root);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
std::string sha256_hex(const std::string& data);

}  // namespace ckptfs::test

// Fails the test (never skips it) when the shared fixtures are absent.
#define CKPTFS_REQUIRE_FIXTURES()                                 \
  do {                                                            \
    if (!::ckptfs::test::have_fixtures()) {                       \
      GTEST_FAIL() << ::ckptfs::test::missing_fixtures_message(); \
    }                                                             \
  } while (0)
