// What the suite itself needs, checked once with one line per problem: every
// tool the tests drive is installed, the fixtures are where the build was
// told (their tests fail, never skip, without them), examples/ holds the
// fixtures' Podman archive, and no test skips itself: a skipped case would
// count as passed.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

TEST(TestEnvironment, EveryToolTheTestsDriveIsInstalled) {
  // The package scripts/setup installs each from is in brackets.
  for (const char* tool :
       {"cmp",     "crit",     "diff",    "find",      "fusermount3",  "gdb",
        "grep",    "gzip",     "hexdump", "jq",        "llvm-readelf", "mountpoint",
        "pgrep",   "readelf",  "setpriv", "sha256sum", "strings",      "tar",
        "timeout", "truncate", "xargs",   "yara",      "zstd"}) {
    CommandResult r = run(std::string("command -v ") + tool);
    EXPECT_EQ(r.status, 0) << "missing test tool: " << tool << " (scripts/setup installs it)";
  }
}

TEST(TestEnvironment, FixturesArePresent) {
  EXPECT_TRUE(have_fixtures()) << missing_fixtures_message();
}

// Tests that need only an archive mount examples/; those comparing with the
// ground truth mount the fixture. Both must be the same bytes.
TEST(TestEnvironment, TheExampleIsTheFixturesPodmanArchive) {
  CKPTFS_REQUIRE_FIXTURES();
  EXPECT_EQ(sha256_hex(read_file(example())),
            sha256_hex(read_file(fixture("webapp-checkpoint.tar.zst"))));
}

// ctest reports a skipped gtest case as "Not Run" and still exits 0, so a
// skip would pass CI unseen: the suite fails instead (fixtures or tools
// missing fail their tests, saying what is missing).
TEST(TestEnvironment, NoTestSkipsItself) {
  const std::string skip = std::string("GTEST_") + "SKIP";
  const std::regex use(skip + R"(\s*\()");
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(source_dir() + "/tests")) {
    std::string ext = e.path().extension();
    if (ext != ".cc" && ext != ".h") continue;
    ++files;
    std::ifstream in(e.path());
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      EXPECT_FALSE(std::regex_search(line, use)) << e.path().string() << ":" << n << ": " << line;
    }
  }
  EXPECT_GT(files, 20u);
}

}  // namespace
}  // namespace ckptfs::test
