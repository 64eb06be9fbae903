// What an ordinary user (or a machine without fuse3) meets before anything is
// mounted: one line saying what is wrong and how to fix it. Each case is made
// real in a private mount namespace (unshare -m), so the machine's own
// /dev/fuse, fusermount3 and /etc/fuse.conf are never touched, and the binary
// runs as nobody through setpriv, as such a user would run it.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "support/paths.h"
#include "support/rejected.h"

namespace ckptfs::test {
namespace {

constexpr uid_t kNobody = 65534;

// binds (shell commands) in a mount namespace of its own, then env ENV
// ckptfs ARGS as nobody when as_nobody (else root); the binds die with it.
// No binds: no namespace.
CommandResult ckptfs_in_namespace(const std::string& binds, bool as_nobody, const std::string& args,
                                  const std::string& env = "") {
  std::string who = as_nobody ? "setpriv --reuid=" + std::to_string(kNobody) +
                                    " --regid=" + std::to_string(kNobody) +
                                    " --clear-groups --inh-caps=-all env HOME=/nonexistent "
                              : "";
  std::string script = binds + " && exec " + who + "timeout 30 env " + env + " " +
                       shell_quote(ckptfs_binary()) + " " + args;
  if (binds.empty()) return run(script.substr(std::string(" && exec ").size()));
  return run("unshare --mount --propagation private sh -c " + shell_quote(script));
}

// An input and a mount point nobody can reach and owns.
struct Scene {
  TempDir tmp;
  std::string mp = tmp / "mnt";
  std::string input = tmp / "webapp.tar.zst";
  Scene() {
    ::chmod(tmp.path().c_str(), 0755);
    run("cp " + shell_quote(example()) + " " + shell_quote(input));
    ::chmod(input.c_str(), 0644);
    ::mkdir(mp.c_str(), 0755);
    if (::chown(mp.c_str(), kNobody, kNobody) != 0) ADD_FAILURE() << "chown " << mp;
  }
  std::string args() const { return "-o nocache " + shell_quote(input) + " " + shell_quote(mp); }
};

TEST(FuseAccess, DevFuseThatCannotBeOpenedSaysHowToAllowIt) {
  Scene s;
  std::string closed = s.tmp / "fuse-0600";
  write_file(closed, "");
  ASSERT_EQ(::chmod(closed.c_str(), 0600), 0);
  auto r =
      ckptfs_in_namespace("mount --bind " + shell_quote(closed) + " /dev/fuse", true, s.args());
  EXPECT_TRUE(Rejected(r, s.mp, "/dev/fuse", {"cannot be opened", "chmod 0666"}));
}

TEST(FuseAccess, MissingFusermountSaysWhichPackage) {
  Scene s;
  // /dev/null where fusermount3 was: present, not executable; PATH has none.
  auto r = ckptfs_in_namespace("mount --bind /dev/null /usr/bin/fusermount3", false, s.args(),
                               "PATH=" + shell_quote(s.tmp.path()));
  EXPECT_TRUE(Rejected(r, s.mp, "fusermount3", {"not found", "fuse3"}));
}

TEST(FuseAccess, SomeoneElsesMountPointIsNamedWithItsOwner) {
  Scene s;
  std::string roots = s.tmp / "roots";
  ASSERT_EQ(::mkdir(roots.c_str(), 0755), 0);
  auto r = ckptfs_in_namespace("", true,
                               "-o nocache " + shell_quote(s.input) + " " + shell_quote(roots));
  EXPECT_TRUE(Rejected(r, roots, roots, {"belongs to root", "mkdir"}));
}

TEST(FuseAccess, AllowOtherWithoutUserAllowOtherSaysWhereToEnableIt) {
  Scene s;
  std::string conf = s.tmp / "fuse.conf";
  write_file(conf, "# user_allow_other\nmount_max = 1000\n");
  ASSERT_EQ(::chmod(conf.c_str(), 0644), 0);
  auto r = ckptfs_in_namespace("mount --bind " + shell_quote(conf) + " /etc/fuse.conf", true,
                               "-o allow_other " + s.args());
  EXPECT_TRUE(Rejected(r, s.mp, "allow_other", {"user_allow_other", "/etc/fuse.conf"}));
}

// The same machine with every obstacle removed mounts (outside any
// namespace, to be seen): the refusals above came from the obstacle, not from
// running as nobody.
TEST(FuseAccess, NobodyMountsOnceNothingIsInTheWay) {
  Scene s;
  auto r = ckptfs_in_namespace("", true, s.args());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto unmount =
      run("setpriv --reuid=" + std::to_string(kNobody) + " --regid=" + std::to_string(kNobody) +
          " --clear-groups fusermount3 -u " + shell_quote(s.mp));
  EXPECT_EQ(unmount.status, 0) << unmount.err;
}

}  // namespace
}  // namespace ckptfs::test
