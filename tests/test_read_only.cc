// The mount is evidence and stays as it is: every call that would change it
// fails with EROFS, whatever it targets (refused by the kernel on the
// read-only mount, and by the daemon when the mount is made writable under
// it), and a session that reads every file leaves the checkpoint's bytes and
// times exactly as they were.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
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
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

struct Case {
  const char* name;
  const char* input;  // in the fixtures dir, or "" for examples/
  uint32_t pid;       // a process of it
  std::string path() const { return *input ? fixture(input) : example(); }
};
std::ostream& operator<<(std::ostream& o, const Case& c) { return o << c.name; }

class ReadOnly : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (*GetParam().input) CKPTFS_REQUIRE_FIXTURES();
  }
};

// errno of a call that must fail, or 0 when it succeeded.
int errno_of(int rc) { return rc == -1 ? errno : 0; }

// The requests `ckptfs -d` logged as answered with EROFS, by opcode: a
// request line "unique: N, opcode: SETATTR (4), …", its reply
// "   unique: N, error: -30 (Read-only file system), …".
std::map<std::string, int> daemon_erofs_replies(const std::string& log) {
  static const std::regex request(R"(^unique: (\d+), opcode: (\w+) )");
  static const std::regex erofs(R"(^   unique: (\d+), error: -30 )");
  std::map<std::string, std::string> opcode_of;
  std::map<std::string, int> out;
  std::istringstream in(log);
  std::smatch m;
  for (std::string l; std::getline(in, l);) {
    if (std::regex_search(l, m, request))
      opcode_of[m[1]] = m[2];
    else if (std::regex_search(l, m, erofs))
      ++out[opcode_of[m[1]]];
  }
  return out;
}

struct Change {
  std::string what;
  std::string opcode;  // the request it is to the daemon, when the kernel lets it through
  std::function<int()> call;
};

// Every call that would change a mount, on the paths of process dir proc.
std::vector<Change> changes(const std::string& mp, const std::string& proc) {
  std::string file = proc + "/maps", secret = proc + "/mem", dir = proc + "/task",
              link = proc + "/cwd", fresh = mp + "/new";
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  static const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  return {
      {"open O_WRONLY", "OPEN", [=] { return ::open(file.c_str(), O_WRONLY); }},
      {"open O_RDWR", "OPEN", [=] { return ::open(secret.c_str(), O_RDWR); }},
      {"open O_APPEND", "OPEN", [=] { return ::open(file.c_str(), O_WRONLY | O_APPEND); }},
      {"create", "CREATE", [=] { return ::open(fresh.c_str(), O_CREAT | O_WRONLY, 0644); }},
      {"create in a process dir", "CREATE",
       [=] { return ::open((proc + "/x").c_str(), O_CREAT | O_EXCL | O_RDWR, 0600); }},
      {"mkdir", "MKDIR", [=] { return ::mkdir(fresh.c_str(), 0755); }},
      {"mknod fifo", "MKNOD", [=] { return ::mknod(fresh.c_str(), S_IFIFO | 0644, 0); }},
      {"mknod file", "MKNOD", [=] { return ::mknod(fresh.c_str(), S_IFREG | 0644, 0); }},
      {"unlink", "UNLINK", [=] { return ::unlink(file.c_str()); }},
      {"unlink symlink", "UNLINK", [=] { return ::unlink(link.c_str()); }},
      {"rmdir", "RMDIR", [=] { return ::rmdir(dir.c_str()); }},
      {"rename file", "RENAME", [=] { return ::rename(file.c_str(), fresh.c_str()); }},
      {"rename dir", "RENAME", [=] { return ::rename(dir.c_str(), fresh.c_str()); }},
      {"rename over", "RENAME", [=] { return ::rename(file.c_str(), secret.c_str()); }},
      {"link", "LINK", [=] { return ::link(file.c_str(), fresh.c_str()); }},
      {"symlink", "SYMLINK", [=] { return ::symlink("/etc/passwd", fresh.c_str()); }},
      {"chmod file", "SETATTR", [=] { return ::chmod(secret.c_str(), 0644); }},
      {"chmod dir", "SETATTR", [=] { return ::chmod(dir.c_str(), 0777); }},
      {"chown", "SETATTR", [=] { return ::chown(file.c_str(), uid, gid); }},
      {"lchown", "SETATTR", [=] { return ::lchown(link.c_str(), uid, gid); }},
      {"truncate", "SETATTR", [=] { return ::truncate(file.c_str(), 0); }},
      {"truncate secret", "SETATTR", [=] { return ::truncate(secret.c_str(), 4096); }},
      {"open O_RDONLY|O_TRUNC", "SETATTR",
       [=] { return ::open(file.c_str(), O_RDONLY | O_TRUNC); }},
      {"utimensat", "SETATTR", [=] { return ::utimensat(AT_FDCWD, file.c_str(), now, 0); }},
      {"utimes", "SETATTR", [=] { return ::utimes(dir.c_str(), nullptr); }},
      {"setxattr", "SETXATTR", [=] { return ::setxattr(file.c_str(), "user.x", "1", 1, 0); }},
      // A well-formed file capability (v2, none set): the kernel checks its form.
      {"setxattr security", "SETXATTR",
       [=] {
         const uint32_t caps[5] = {0x02000000, 0, 0, 0, 0};
         return ::setxattr(secret.c_str(), "security.capability", caps, sizeof caps, 0);
       }},
      // user.* is not allowed on a symlink, trusted.* is (for root).
      {"lsetxattr", "SETXATTR", [=] { return ::lsetxattr(link.c_str(), "trusted.x", "1", 1, 0); }},
      {"removexattr", "REMOVEXATTR", [=] { return ::removexattr(file.c_str(), "user.x"); }},
  };
}

// Nothing a change could have done took effect.
void expect_unchanged(const Mount& m, const std::string& proc) {
  EXPECT_FALSE(fs::exists(fs::symlink_status(m / "new")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(proc + "/x")));
  EXPECT_TRUE(fs::exists(proc + "/maps"));
  EXPECT_TRUE(fs::is_directory(proc + "/task"));
  EXPECT_FALSE(read_file(proc + "/maps").empty());
  EXPECT_EQ(fs::status(proc + "/mem").permissions(), fs::perms::owner_read);
}

// The mount is read-only (MS_RDONLY): the kernel refuses every change itself,
// before the daemon hears of it. This proves the mount option, not the
// daemon's handlers (ReadOnlyDaemon below reaches those).
TEST_P(ReadOnly, TheKernelRefusesEveryChangeOfTheReadOnlyMount) {
  Mount m({GetParam().path()}, {"-d"});
  std::string proc = m / ("procs/" + std::to_string(GetParam().pid));
  for (const auto& c : changes(m.path(), proc)) EXPECT_EQ(errno_of(c.call()), EROFS) << c.what;

  // Through a descriptor opened for reading.
  int fd = ::open((proc + "/maps").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  EXPECT_EQ(errno_of(::fchmod(fd, 0600)), EROFS);
  EXPECT_EQ(errno_of(::fchown(fd, uid, gid)), EROFS);
  EXPECT_EQ(errno_of(::futimens(fd, now)), EROFS);
  EXPECT_EQ(errno_of(::fsetxattr(fd, "user.x", "1", 1, 0)), EROFS);
  EXPECT_EQ(errno_of(::fremovexattr(fd, "user.x")), EROFS);
  EXPECT_EQ(::write(fd, "x", 1), -1);
  EXPECT_EQ(errno, EBADF) << "opened for reading only";
  ::close(fd);

  expect_unchanged(m, proc);
  struct statvfs sv {};
  ASSERT_EQ(::statvfs(m.path().c_str(), &sv), 0);
  EXPECT_TRUE(sv.f_flag & ST_RDONLY);
  ASSERT_TRUE(m.unmount()) << m.log();
  EXPECT_EQ(daemon_erofs_replies(m.log()), (std::map<std::string, int>{}))
      << "the kernel let a change through to the daemon";
}

// The daemon's own refusals (src/fuse/ops.cc), reached by making the
// mount writable under it: as root, a remount without MS_RDONLY clears the
// read-only flags of the mount and of the FUSE superblock, so the kernel then
// sends every change on to the daemon. Each call must fail with EROFS, and
// the daemon's debug log must show the request it answered so: a kernel
// refusal would not be logged. WRITE and FALLOCATE need a descriptor open
// for writing: once the daemon has answered a read-only OPEN with ENOSYS
// (no-open, FUSE_CAP_NO_OPEN_SUPPORT), the kernel opens files without asking
// it, and a writable open then succeeds. Not reachable: op_open's O_TRUNC
// check, since the daemon turns FUSE_CAP_ATOMIC_O_TRUNC off and the kernel
// then sends O_TRUNC as a SETATTR (tested as "open O_RDONLY|O_TRUNC").
TEST(ReadOnlyDaemon, EveryChangeReachingTheDaemonFailsWithErofs) {
  Mount m({example()}, {"-d"});
  ASSERT_EQ(::mount(nullptr, m.path().c_str(), nullptr, MS_REMOUNT | MS_NOSUID | MS_NODEV, nullptr),
            0)
      << std::strerror(errno);
  struct statvfs sv {};
  ASSERT_EQ(::statvfs(m.path().c_str(), &sv), 0);
  ASSERT_FALSE(sv.f_flag & ST_RDONLY) << "the remount did not make the mount writable";

  std::string proc = m / "procs/1";
  // The first changes are the first opens of the mount: the daemon sees OPEN.
  for (const auto& c : changes(m.path(), proc)) {
    auto before = daemon_erofs_replies(m.log_so_far());
    EXPECT_EQ(errno_of(c.call()), EROFS) << c.what;
    auto after = daemon_erofs_replies(m.log_so_far());
    EXPECT_GT(after[c.opcode], before[c.opcode])
        << c.what << ": the daemon did not answer a " << c.opcode << " with EROFS";
  }

  // A read-only open: the daemon answers ENOSYS, and the kernel stops asking.
  int rd = ::open((proc + "/maps").c_str(), O_RDONLY);
  ASSERT_GE(rd, 0);
  ::close(rd);
  int fd = ::open((proc + "/comm").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << "the kernel still asks the daemon about opens (no FUSE no-open support?): "
                   << std::strerror(errno);
  auto expect_daemon_erofs = [&](const std::string& what, const std::string& opcode,
                                 const std::function<int()>& call) {
    auto before = daemon_erofs_replies(m.log_so_far());
    EXPECT_EQ(errno_of(call()), EROFS) << what;
    auto after = daemon_erofs_replies(m.log_so_far());
    EXPECT_GT(after[opcode], before[opcode])
        << what << ": the daemon did not answer a " << opcode << " with EROFS";
  };
  expect_daemon_erofs("write", "WRITE", [&] { return static_cast<int>(::write(fd, "x", 1)); });
  expect_daemon_erofs("fallocate", "FALLOCATE", [&] { return ::fallocate(fd, 0, 0, 4096); });
  expect_daemon_erofs("ftruncate", "SETATTR", [&] { return ::ftruncate(fd, 0); });
  expect_daemon_erofs("fchmod", "SETATTR", [&] { return ::fchmod(fd, 0600); });
  expect_daemon_erofs("fsetxattr", "SETXATTR",
                      [&] { return ::fsetxattr(fd, "user.x", "1", 1, 0); });
  ::close(fd);

  expect_unchanged(m, proc);
  EXPECT_EQ(read_file(proc + "/comm"), "ckpt_workload\n");
  ASSERT_TRUE(m.unmount()) << m.log();
  // Every handler was reached (rmdir is the unlink handler).
  auto all = daemon_erofs_replies(m.log());
  for (const char* op : {"OPEN", "CREATE", "MKDIR", "MKNOD", "UNLINK", "RMDIR", "RENAME", "LINK",
                         "SYMLINK", "SETATTR", "SETXATTR", "REMOVEXATTR", "WRITE", "FALLOCATE"})
    EXPECT_GT(all[op], 0) << op;
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
  fs::copy(GetParam().path(), input, fs::copy_options::recursive);
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
                                           Case{"PodmanZstd", "", 1}),
                         [](const auto& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace ckptfs::test
