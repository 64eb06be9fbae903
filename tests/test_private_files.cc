// Memory, environment, command lines, cores, vmas/, files/ and raw/ hold a
// container's secrets: they belong to the user who mounted, with owner-only
// modes. Other users see nothing at all by default (the FUSE default), and
// with -o allow_other only the public files, because the kernel then checks
// the modes (default_permissions).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

constexpr uid_t kNobody = 65534;

// A shell command run as nobody, without root's groups and capabilities.
CommandResult run_as_nobody(const std::string& cmd) {
  return run("setpriv --reuid=" + std::to_string(kNobody) + " --regid=" + std::to_string(kNobody) +
             " --clear-groups --inh-caps=-all sh -c " + shell_quote(cmd));
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Paths (relative to the mount) that hold what a process held, or an image.
bool is_secret(const std::string& p) {
  auto base = p.substr(p.rfind('/') + 1);
  static const std::set<std::string> kFiles = {"mem",  "environ", "cmdline",
                                               "core", "hexdump", "regs"};
  return (p.starts_with("procs/") && kFiles.count(base)) || p.find("/vmas/") != std::string::npos ||
         p.starts_with("files/") || p.starts_with("raw/");
}

class PrivateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    CKPTFS_REQUIRE_FIXTURES();
    if (::getuid() != 0) GTEST_SKIP() << "needs root to read as another user";
  }
};

TEST_F(PrivateFiles, SecretsAreOwnerOnlyAndOwnedByTheMountingUser) {
  Mount m(fixture("webapp-checkpoint.tar.zst"));
  // %m mode, %U/%G owner, %y type, %P path; files/ and raw/ and vmas/ themselves too.
  auto r =
      run("cd " + shell_quote(m.path()) + " && find . -mindepth 1 -printf '%m %U %G %y %P\\n'");
  ASSERT_EQ(r.status, 0) << r.err;
  size_t secrets = 0, public_files = 0;
  std::set<std::string> private_dirs;
  for (const std::string& l : lines(r.out)) {
    std::istringstream f(l);
    std::string mode, type, path;
    uid_t uid;
    gid_t gid;
    f >> mode >> uid >> gid >> type;
    std::getline(f >> std::ws, path);
    SCOPED_TRACE(l);
    EXPECT_EQ(uid, ::getuid());
    EXPECT_EQ(gid, ::getgid());
    unsigned bits = static_cast<unsigned>(std::stoul(mode, nullptr, 8));
    std::string base = path.substr(path.rfind('/') + 1);
    if (type == "d" &&
        (base == "vmas" || path == "files" || path == "raw" || base == "fd" || base == "fdinfo")) {
      EXPECT_EQ(bits & 077, 0u) << "owner-only directory";
      private_dirs.insert(path + "/");
    }
    if (type != "f") continue;
    if (is_secret(path)) {
      ++secrets;
      // Below an owner-only directory an archived mode (files/tmpfs/…) is
      // kept as it was: the directory already shuts others out.
      bool shut_in = false;
      for (const auto& d : private_dirs) shut_in = shut_in || path.starts_with(d);
      if (!path.starts_with("files/tmpfs/")) {
        EXPECT_EQ(bits, 0400u) << "owner-only file";
      } else {
        EXPECT_TRUE(shut_in) << "below an owner-only directory";
      }
    } else if (base == "maps" || base == "comm" || base == "status" || base == "ps") {
      ++public_files;
      EXPECT_EQ(bits, 0444u);
    }
  }
  EXPECT_GT(secrets, 50u);
  EXPECT_GT(public_files, 10u);
  EXPECT_TRUE(m.unmount()) << m.log();
}

TEST_F(PrivateFiles, OtherUsersSeeNothingByDefault) {
  Mount m(fixture("proc-tree"));
  ASSERT_EQ(read_file(m / "procs/25911/comm"), "ckpt_workload\n");
  for (const char* p : {"", "/procs/25911/comm", "/procs/25911/maps", "/procs/25911/mem"}) {
    auto r = run_as_nobody("cat " + shell_quote(m.path() + p) + " >/dev/null");
    EXPECT_NE(r.status, 0) << p;
    EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << p << ": " << r.err;
  }
  auto ls = run_as_nobody("ls " + shell_quote(m.path()));
  EXPECT_NE(ls.status, 0);
  EXPECT_EQ(ls.out, "");
  EXPECT_TRUE(m.unmount()) << m.log();
}

// True if the mount at path has opt among its super-block options.
bool has_super_option(const std::string& path, const std::string& opt) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string field;
    for (int k = 0; k < 5; ++k) f >> field;
    if (field != path) continue;
    std::string super = line.substr(line.rfind(' ') + 1);
    return ("," + super + ",").find("," + opt + ",") != std::string::npos;
  }
  return false;
}

TEST_F(PrivateFiles, AllowOtherSharesOnlyThePublicFiles) {
  Mount m({fixture("webapp-checkpoint.tar.zst")}, {"-o", "allow_other"});
  EXPECT_TRUE(has_super_option(m.path(), "default_permissions"));
  EXPECT_TRUE(has_super_option(m.path(), "allow_other"));

  // Every file nobody can read: find lists what it can reach, cat says
  // whether the read works.
  auto r = run_as_nobody("cd " + shell_quote(m.path()) +
                         " && find . -type f 2>/dev/null | while read -r f; do"
                         " cat \"$f\" >/dev/null 2>&1 && echo \"${f#./}\"; done");
  std::set<std::string> readable;
  for (const auto& l : lines(r.out)) readable.insert(l);
  for (const auto& p : readable) EXPECT_FALSE(is_secret(p)) << "nobody can read " << p;
  for (const char* p : {"ps", "procs/1/maps", "procs/1/comm", "procs/1/status", "procs/8/maps"})
    EXPECT_TRUE(readable.count(p)) << "nobody cannot read " << p;
  EXPECT_EQ(run_as_nobody("cat " + shell_quote(m / "procs/1/maps")).out,
            read_file(m / "procs/1/maps"));

  // Asked for directly, the secrets are refused by the kernel.
  for (const char* p : {"procs/1/mem", "procs/1/environ", "procs/1/cmdline", "procs/1/core",
                        "procs/1/hexdump", "raw/pstree.img", "raw/pstree.img.json"}) {
    auto c = run_as_nobody("cat " + shell_quote(m / p) + " >/dev/null");
    EXPECT_NE(c.status, 0) << p;
    EXPECT_NE(c.err.find("Permission denied"), std::string::npos) << p << ": " << c.err;
  }
  for (const char* d : {"procs/1/vmas", "raw", "files"}) {
    auto c = run_as_nobody("ls " + shell_quote(m / d));
    EXPECT_NE(c.status, 0) << d;
    EXPECT_EQ(c.out, "") << d;
  }
  // The owner still reads everything.
  EXPECT_FALSE(read_file(m / "procs/1/environ").empty());
  EXPECT_TRUE(m.unmount()) << m.log();
}

TEST(PrivateFilesManual, AllowOtherIsDocumentedWithAWarning) {
  std::string man = read_file(source_dir() + "/man/ckptfs.1");
  auto at = man.find(".B \\-o allow_other");
  ASSERT_NE(at, std::string::npos);
  std::string section = man.substr(man.find(".SH SECURITY"));
  section = section.substr(0, section.find(".SH ", 4));
  for (const char* w : {"allow_other", "default_permissions", "WARNING", "user_allow_other"})
    EXPECT_NE(section.find(w), std::string::npos) << "SECURITY does not mention " << w;
}

}  // namespace
}  // namespace ckptfs::test
