// The mount is evidence and stays as it is: every call that would change it
// fails with EROFS, whatever it targets, and a session that reads every file
// leaves the checkpoint's bytes and times exactly as they were.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

struct Case {
  const char* name;
  const char* input;  // in the fixtures dir
  uint32_t pid;       // a process of it
};

class ReadOnly : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { CKPTFS_REQUIRE_FIXTURES(); }
};

// errno of a call that must fail, or 0 when it succeeded.
int errno_of(int rc) { return rc == -1 ? errno : 0; }

TEST_P(ReadOnly, EveryChangeFailsWithErofs) {
  Mount m(fixture(GetParam().input));
  std::string proc = m / ("procs/" + std::to_string(GetParam().pid));
  std::string file = proc + "/maps", secret = proc + "/mem", dir = proc + "/task",
              link = proc + "/cwd", fresh = m / "new";
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  const std::vector<std::pair<std::string, std::function<int()>>> changes = {
      {"open O_WRONLY", [&] { return ::open(file.c_str(), O_WRONLY); }},
      {"open O_RDWR", [&] { return ::open(secret.c_str(), O_RDWR); }},
      {"open O_TRUNC", [&] { return ::open(file.c_str(), O_RDONLY | O_TRUNC); }},
      {"open O_APPEND", [&] { return ::open(file.c_str(), O_WRONLY | O_APPEND); }},
      {"create", [&] { return ::open(fresh.c_str(), O_CREAT | O_WRONLY, 0644); }},
      {"create in a process dir",
       [&] { return ::open((proc + "/x").c_str(), O_CREAT | O_EXCL | O_RDWR, 0600); }},
      {"mkdir", [&] { return ::mkdir(fresh.c_str(), 0755); }},
      {"mknod fifo", [&] { return ::mknod(fresh.c_str(), S_IFIFO | 0644, 0); }},
      {"mknod file", [&] { return ::mknod(fresh.c_str(), S_IFREG | 0644, 0); }},
      {"unlink", [&] { return ::unlink(file.c_str()); }},
      {"unlink symlink", [&] { return ::unlink(link.c_str()); }},
      {"rmdir", [&] { return ::rmdir(dir.c_str()); }},
      {"rename file", [&] { return ::rename(file.c_str(), fresh.c_str()); }},
      {"rename dir", [&] { return ::rename(dir.c_str(), fresh.c_str()); }},
      {"rename over", [&] { return ::rename(file.c_str(), secret.c_str()); }},
      {"link", [&] { return ::link(file.c_str(), fresh.c_str()); }},
      {"symlink", [&] { return ::symlink("/etc/passwd", fresh.c_str()); }},
      {"chmod file", [&] { return ::chmod(secret.c_str(), 0644); }},
      {"chmod dir", [&] { return ::chmod(dir.c_str(), 0777); }},
      {"chown", [&] { return ::chown(file.c_str(), uid, gid); }},
      {"lchown", [&] { return ::lchown(link.c_str(), uid, gid); }},
      {"truncate", [&] { return ::truncate(file.c_str(), 0); }},
      {"truncate secret", [&] { return ::truncate(secret.c_str(), 4096); }},
      {"utimensat", [&] { return ::utimensat(AT_FDCWD, file.c_str(), now, 0); }},
      {"utimes", [&] { return ::utimes(dir.c_str(), nullptr); }},
      {"setxattr", [&] { return ::setxattr(file.c_str(), "user.x", "1", 1, 0); }},
      {"setxattr security",
       [&] { return ::setxattr(secret.c_str(), "security.capability", "1", 1, 0); }},
      {"lsetxattr", [&] { return ::lsetxattr(link.c_str(), "user.x", "1", 1, 0); }},
      {"removexattr", [&] { return ::removexattr(file.c_str(), "user.x"); }},
  };
  for (const auto& [what, call] : changes) EXPECT_EQ(errno_of(call()), EROFS) << what;

  // Through a descriptor opened for reading.
  int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(errno_of(::fchmod(fd, 0600)), EROFS);
  EXPECT_EQ(errno_of(::fchown(fd, uid, gid)), EROFS);
  EXPECT_EQ(errno_of(::futimens(fd, now)), EROFS);
  EXPECT_EQ(errno_of(::fsetxattr(fd, "user.x", "1", 1, 0)), EROFS);
  EXPECT_EQ(errno_of(::fremovexattr(fd, "user.x")), EROFS);
  EXPECT_EQ(::write(fd, "x", 1), -1);
  EXPECT_EQ(errno, EBADF) << "opened for reading only";
  ::close(fd);

  // Nothing above took effect.
  EXPECT_FALSE(fs::exists(fs::symlink_status(fresh)));
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ(fs::status(secret).permissions(), fs::perms::owner_read);
  struct statvfs sv {};
  ASSERT_EQ(::statvfs(m.path().c_str(), &sv), 0);
  EXPECT_TRUE(sv.f_flag & ST_RDONLY);
  EXPECT_TRUE(m.unmount()) << m.log();
}

// Every file below root with its bytes, mode and times (nanoseconds), and the
// directories' own times: what a session must not change.
std::map<std::string, std::string> fingerprint(const std::string& root) {
  std::map<std::string, std::string> out;
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + p.string());
    std::string f = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                    std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) +
                    " " + std::to_string(st.st_ctim.tv_sec) + "." +
                    std::to_string(st.st_ctim.tv_nsec);
    if (S_ISREG(st.st_mode)) f += " " + sha256_hex(read_file(p));
    out[p.string()] = f;
  };
  add(root);
  if (fs::is_directory(root))
    for (const auto& e : fs::recursive_directory_iterator(root)) add(e.path());
  return out;
}

TEST_P(ReadOnly, ASessionThatReadsEverythingLeavesTheCheckpointAsItWas) {
  // A copy in a directory of its own: nothing may appear beside it either.
  TempDir tmp;
  std::string input = tmp / "checkpoint";
  fs::copy(fixture(GetParam().input), input, fs::copy_options::recursive);
  fs::permissions(input, fs::perms::owner_write, fs::perm_options::add);  // root ignores it anyway
  auto before = fingerprint(tmp.path());
  {
    Mount m(input);
    // Every file whole except mem (its stored pages are in vmas/), every link.
    auto r = run("cd " + shell_quote(m.path()) +
                 " && find . -type f ! -name mem -print0 | xargs -0 cat > /dev/null"
                 " && find . -type l -print0 | xargs -0 -r readlink > /dev/null"
                 " && find . -type f -name mem | wc -l");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out, "0\n");
    EXPECT_TRUE(m.unmount()) << m.log();
  }
  auto after = fingerprint(tmp.path());
  EXPECT_EQ(before, after);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReadOnly,
                         ::testing::Values(Case{"ImageDirectory", "proc-tree", 25911},
                                           Case{"PlainTar", "proc-tree.tar", 25911},
                                           Case{"PodmanZstd", "webapp-checkpoint.tar.zst", 1}),
                         [](const auto& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace ckptfs::test
