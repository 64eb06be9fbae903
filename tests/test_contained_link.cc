// Link targets in a mount that follows links (an ordinary user's): whatever
// is shown either only descends from the link's directory or stops at a name
// that does not exist. The kernel's own path walk is the judge: each target
// becomes a real symlink in a scratch tree, and realpath(3) resolves it.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "support/paths.h"
#include "vfs/contained_link.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

TEST(ContainedLink, TargetsThatLeaveAreShownBehindAStop) {
  EXPECT_EQ(contained_link_target("/tmp/pgdb-data"), "(not followed)/tmp/pgdb-data");
  EXPECT_EQ(contained_link_target("/"), "(not followed)/");
  EXPECT_EQ(contained_link_target("/tmp/x (deleted)"), "(not followed)/tmp/x (deleted)");
  EXPECT_EQ(contained_link_target("../lib/libc.so.6"), "(not followed)/../lib/libc.so.6");
  EXPECT_EQ(contained_link_target("a/../../b"), "(not followed)/a/../../b");
  EXPECT_EQ(contained_link_target(".."), "(not followed)/..");
  EXPECT_EQ(contained_link_target("a/.."), "(not followed)/a/..");
}

TEST(ContainedLink, TargetsThatOnlyDescendStayAsTheyAre) {
  for (const char* t : {"pipe:[29075]", "socket:[29076]", "anon_inode:[eventfd]", "usr/lib", "./x",
                        "a/..b/c", "...", "..x", "x..", ""})
    EXPECT_EQ(contained_link_target(t), t) << t;
}

// Random targets over "/", "..", ".", names that exist and names that do not,
// as symlinks three directories down a scratch tree whose every directory
// also holds "a" (a directory) and "up" (a link to ".."). Resolved by the
// kernel, a contained target ends below the link's directory or not at all.
TEST(ContainedLink, TheKernelNeverResolvesAContainedTargetAboveItsDirectory) {
  TempDir tmp;
  fs::path root = fs::path(tmp.path()) / "mount";
  fs::path home = root / "procs" / "1";
  fs::create_directories(home / "a" / "a" / "a");
  fs::create_directories(root / "a");
  // A link that climbs on its own: the contained form of ".." keeps it from
  // doing so, and a target passing through it must stop too.
  for (const fs::path& d : {home, home / "a", home / "a" / "a"})
    fs::create_directory_symlink(contained_link_target(".."), d / "up");
  const char* parts[] = {"a", "..", ".", "up", "missing", "", "etc", "a"};
  std::mt19937 rng(7);
  char resolved[PATH_MAX];
  std::string home_real = fs::canonical(home).string();
  int resolved_count = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string target = rng() % 3 == 0 ? "/" : "";
    int n = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) {
      if (k) target += '/';
      target += parts[rng() % std::size(parts)];
    }
    std::string shown = contained_link_target(target);
    if (shown.empty()) continue;  // no such symlink on disk
    fs::path link = home / ("l" + std::to_string(i));
    fs::create_symlink(shown, link);
    if (::realpath(link.c_str(), resolved)) {
      ++resolved_count;
      std::string r(resolved);
      EXPECT_TRUE(r == home_real || r.starts_with(home_real + "/"))
          << target << " shown as " << shown << " resolves to " << r;
    }
    if (shown != target) {
      EXPECT_TRUE(shown.starts_with("(not followed)/")) << target;
    }
  }
  // The walk really ran: descending targets did resolve.
  EXPECT_GT(resolved_count, 100);
}

}  // namespace
}  // namespace ckptfs::test
