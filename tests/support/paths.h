#pragma once
// Where the tests find the binary, the shared fixtures and scratch space.

#include <string>

namespace ckptfs::test {

std::string fixtures_dir();                    // ../shared/fixtures
bool have_fixtures();                          // false in a user's clone without ../shared
std::string fixture(const std::string& name);  // fixtures_dir() + "/" + name
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

// Runs a shell command; returns its exit status and captures stdout (and
// stderr into err when given).
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult run(const std::string& shell_command);
std::string shell_quote(const std::string& s);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
std::string sha256_hex(const std::string& data);

}  // namespace ckptfs::test

// Skips the test when ../shared/fixtures is not beside the checkout.
#define CKPTFS_REQUIRE_FIXTURES()              \
  do {                                         \
    if (!::ckptfs::test::have_fixtures()) {    \
      GTEST_SKIP() << "no ../shared/fixtures"; \
    }                                          \
  } while (0)
