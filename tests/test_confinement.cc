// The confined daemon (src/confine), proved on the process itself: gdb
// attaches to the serving daemon and makes it call open(), creat(), socket()
// and execve() the way an exploited parser would. Landlock refuses the files
// (EACCES), seccomp refuses the socket (EACCES) and kills the daemon at
// execve (SIGSYS); /proc shows no_new_privs, the filter and no capabilities.
// A killed daemon leaves no dead mount (auto_unmount), and no link in the
// tree leads out of it (nosymfollow).

#include <archive_entry.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/mount.h"
#include "support/paths.h"
#include "support/tar_writer.h"

namespace ckptfs::test {
namespace {

// One field of /proc/PID/status ("NoNewPrivs" -> "1").
std::string status_field(pid_t pid, const std::string& name) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(name + ":")) {
      std::string v = line.substr(name.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "(no " + name + ")";
}

constexpr uid_t kNobody = 65534;

// What a C call made inside the daemon returned, and its errno.
struct Call {
  long result = 0;
  int err = 0;
  std::string gdb;  // gdb's whole output, for failure messages
};

// Attaches gdb to pid, has the daemon's main thread evaluate expr (a C call)
// and read its errno, then detaches.
Call call_in(pid_t pid, const std::string& expr) {
  auto r = run("timeout 120 gdb -nx -batch -p " + std::to_string(pid) +
               " -ex 'set confirm off' -ex " + shell_quote("print (long)(" + expr + ")") +
               " -ex 'print *(int*)__errno_location()' -ex detach 2>&1");
  Call c;
  c.gdb = r.out;
  std::smatch m;
  std::string rest = r.out;
  std::vector<long> values;
  static const std::regex kValue(R"(\$\d+ = (-?\d+))");
  while (std::regex_search(rest, m, kValue)) {
    values.push_back(std::stol(m[1]));
    rest = m.suffix();
  }
  c.result = values.size() > 0 ? values[0] : -999;
  c.err = values.size() > 1 ? static_cast<int>(values[1]) : -999;
  return c;
}

// `ckptfs -f ARGS… MP` as our child, once it answers (-1 if not in 30 s).
pid_t start_daemon(const std::vector<std::string>& args, const std::string& mp) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stderr);
    std::vector<std::string> all = {ckptfs_binary(), "-f"};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back(mp);
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  for (int i = 0; i < 3000 && !is_mounted(mp); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (is_mounted(mp)) return pid;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

// The daemon's end: its wait status (-1 if it still ran after 60 s, then killed).
int wait_end(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 6000; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

// True once path is an ordinary directory again (within 30 s): no mount, and
// in particular no dead one answering ENOTCONN.
bool comes_back_clean(const std::string& path) {
  for (int i = 0; i < 3000; ++i) {
    struct stat st {};
    if (!is_mounted(path) && ::stat(path.c_str(), &st) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Confinement, ProcShowsNoNewPrivsSeccompAndNoCapabilities) {
  Mount m(example());
  EXPECT_EQ(status_field(m.pid(), "NoNewPrivs"), "1");
  EXPECT_EQ(status_field(m.pid(), "Seccomp"), "2");
  // Started as root (the suite runs as root): nothing effective, permitted,
  // or left to gain.
  ASSERT_EQ(::geteuid(), 0u) << "this test proves the root case";
  EXPECT_EQ(status_field(m.pid(), "CapEff"), "0000000000000000");
  EXPECT_EQ(status_field(m.pid(), "CapPrm"), "0000000000000000");
  EXPECT_EQ(status_field(m.pid(), "CapBnd"), "0000000000000000");
  // And it still serves.
  EXPECT_EQ(read_file(m / "procs/1/comm"), "ckpt_workload\n");
}

TEST(Confinement, DaemonCannotOpenAFileOutsideItsCheckpoints) {
  Mount m(example());
  Call c = call_in(m.pid(), "(int)open(\"/etc/hostname\", 0)");
  EXPECT_EQ(c.result, -1) << c.gdb;
  EXPECT_EQ(c.err, EACCES) << c.gdb;
  // The checkpoint itself still opens: the call really ran in the daemon.
  Call own = call_in(m.pid(), "(int)open(\"" + example() + "\", 0)");
  EXPECT_GE(own.result, 0) << own.gdb;
}

TEST(Confinement, DaemonCreatesFilesOnlyInItsTempDirectory) {
  // Outside the daemon's temp directory (TempDir would be inside it).
  std::string outside = "/var/tmp/ckptfs-confinement-XXXXXX";
  ASSERT_NE(::mkdtemp(outside.data()), nullptr);
  Mount m(example());
  std::string escape = outside + "/escaped";
  // open(path, O_WRONLY | O_CREAT, 0600), as creat(3) means it.
  Call c = call_in(m.pid(), "(int)open(\"" + escape + "\", 0101, 0600)");
  EXPECT_EQ(c.result, -1) << c.gdb;
  EXPECT_EQ(c.err, EACCES) << c.gdb;
  EXPECT_NE(::access(escape.c_str(), F_OK), 0);
  ::unlink(escape.c_str());
  ::rmdir(outside.c_str());
  // Its temp directory ($TMPDIR, else /tmp) takes one: same call, allowed place.
  const char* t = std::getenv("TMPDIR");
  std::string inside =
      std::string(t && *t ? t : "/tmp") + "/ckptfs-confinement-" + std::to_string(m.pid());
  Call ok = call_in(m.pid(), "(int)open(\"" + inside + "\", 0101, 0600)");
  EXPECT_GE(ok.result, 0) << ok.gdb;
  ::unlink(inside.c_str());
}

TEST(Confinement, DaemonCannotOpenASocket) {
  Mount m(example());
  Call c = call_in(m.pid(), "(int)socket(2, 1, 0)");  // AF_INET, SOCK_STREAM
  EXPECT_EQ(c.result, -1) << c.gdb;
  EXPECT_EQ(c.err, EACCES) << c.gdb;
  Call u = call_in(m.pid(), "(int)socket(1, 1, 0)");  // AF_UNIX
  EXPECT_EQ(u.result, -1) << u.gdb;
  EXPECT_EQ(read_file(m / "procs/1/comm"), "ckpt_workload\n");
}

// execve is not on the allow-list: seccomp kills the whole daemon, and the
// auto_unmount watcher removes its mount.
TEST(Confinement, DaemonIsKilledWhenItExecutesAProgram) {
  TempDir mp;
  pid_t pid = start_daemon({example()}, mp.path());
  ASSERT_GT(pid, 0);
  Call c = call_in(pid, "(int)execve(\"/bin/true\", 0, 0)");
  int status = wait_end(pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << "status " << status << "\n"
                                                                 << c.gdb;
  EXPECT_TRUE(comes_back_clean(mp.path()));
}

TEST(Confinement, NosandboxLeavesTheDaemonUnconfined) {
  Mount m({example()}, {"-o", "nosandbox"});
  EXPECT_EQ(status_field(m.pid(), "Seccomp"), "0");
  EXPECT_EQ(status_field(m.pid(), "NoNewPrivs"), "0");
  Call c = call_in(m.pid(), "(int)open(\"/etc/hostname\", 0)");
  EXPECT_GE(c.result, 0) << c.gdb;
}

TEST(Confinement, KilledDaemonLeavesNoDeadMount) {
  TempDir mp;
  pid_t pid = start_daemon({example()}, mp.path());
  ASSERT_GT(pid, 0);
  EXPECT_EQ(read_file(mp / "procs/1/comm"), "ckpt_workload\n");
  ::kill(pid, SIGKILL);
  int status = wait_end(pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(comes_back_clean(mp.path())) << "Transport endpoint is not connected";
}

// Links show where they pointed in the container, and lead nowhere.
TEST(Confinement, LinksAreReadNeverFollowed) {
  Mount m(example());
  char buf[4096];
  std::string root = m / "procs/1/root";
  ssize_t n = ::readlink(root.c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "/");
  struct stat st {};
  EXPECT_NE(::stat((root + "/etc/hostname").c_str(), &st), 0);
  EXPECT_EQ(errno, ELOOP);
  EXPECT_NE(::stat((m / "procs/1/cwd").c_str(), &st), 0);
  EXPECT_EQ(errno, ELOOP);
}

// An ordinary user's mount, which fusermount3 cannot make nosymfollow: the
// tree contains its own links. A checkpoint that names a directory after the
// stop ("(not followed)") and links through it with ".." still gets nowhere:
// the stop is never found, whatever the checkpoint holds.
TEST(Confinement, AnOrdinaryUsersMountContainsItsLinks) {
  TempDir tmp;
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  std::string unpacked = tmp / "unpacked";
  std::filesystem::create_directory(unpacked);
  ASSERT_EQ(
      run("zstd -dc " + shell_quote(example()) + " | tar -xf - -C " + shell_quote(unpacked)).status,
      0);
  const std::string climb = "../../../../../../../../../../etc/hostname";
  write_file(unpacked + "/rootfs-diff.tar",
             make_tar({
                 {.name = "(not followed)/", .type = AE_IFDIR, .perm = 0755},
                 {.name = "(not followed)/etc", .data = "planted\n"},
                 {.name = "abs", .type = AE_IFLNK, .perm = 0777, .symlink = "/etc/hostname"},
                 {.name = "up", .type = AE_IFLNK, .perm = 0777, .symlink = climb},
                 {.name = "in", .type = AE_IFLNK, .perm = 0777, .symlink = "motd"},
                 {.name = "motd", .data = "container motd\n"},
             }));
  std::string tar = tmp / "hostile.tar";
  ASSERT_EQ(run("tar -C " + shell_quote(unpacked) + " -cf " + shell_quote(tar) + " .").status, 0);
  ASSERT_EQ(::chmod(tar.c_str(), 0644), 0);
  std::string mp = tmp / "mnt";
  ASSERT_EQ(::mkdir(mp.c_str(), 0755), 0);
  ASSERT_EQ(::chown(mp.c_str(), kNobody, kNobody), 0);

  auto as_nobody = [](const std::string& cmd) {
    return run("setpriv --reuid=" + std::to_string(kNobody) + " --regid=" +
               std::to_string(kNobody) + " --clear-groups --inh-caps=-all env HOME=/nonexistent " +
               "TMPDIR=/tmp sh -c " + shell_quote(cmd));
  };
  auto mounted = as_nobody(shell_quote(ckptfs_binary()) + " -o nocache " + shell_quote(tar) + " " +
                           shell_quote(mp));
  ASSERT_EQ(mounted.status, 0) << mounted.out << mounted.err;
  std::string diff = shell_quote(mp) + "/containers/*/rootfs-diff";
  EXPECT_EQ(as_nobody("readlink " + diff + "/abs").out, "(not followed)/etc/hostname\n");
  EXPECT_EQ(as_nobody("readlink " + diff + "/up").out, "(not followed)/" + climb + "\n");
  EXPECT_EQ(as_nobody("readlink " + diff + "/in").out, "motd\n");
  // The link that stays inside is followed; the others stop at once.
  EXPECT_EQ(as_nobody("cat " + diff + "/in").out, "container motd\n");
  for (const char* l : {"abs", "up"}) {
    auto r = as_nobody("cat " + diff + "/" + l);
    EXPECT_NE(r.status, 0) << l << ": " << r.out;
    EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << l << ": " << r.err;
  }
  // The planted directory is neither listed nor found.
  EXPECT_EQ(as_nobody("ls " + diff).out, "abs\nin\nmotd\nup\n");
  EXPECT_NE(as_nobody("cat " + diff + "/'(not followed)'/etc").status, 0);
  EXPECT_EQ(as_nobody("fusermount3 -u " + shell_quote(mp)).status, 0);
  EXPECT_TRUE(comes_back_clean(mp));
}

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.insert(l);
  return out;
}

// What the issue saw on a real checkpoint: recursive tools following the
// tree's links into the host. Here each finishes and names only files of the
// checkpoint (as a walk that follows no link lists them).
TEST(Confinement, RecursiveToolsStayInsideTheMount) {
  Mount m(example());
  std::string mp = shell_quote(m.path());
  std::set<std::string> files = lines(run("find " + mp + " -type f").out);
  std::set<std::string> all = lines(run("find " + mp).out);
  std::set<std::string> links = lines(run("find " + mp + " -type l").out);
  ASSERT_FALSE(links.empty());
  ASSERT_GT(files.size(), 100u);

  auto followed = run("timeout 120 find -L " + mp + " 2>/dev/null");
  EXPECT_NE(followed.status, 124) << "find -L did not finish";
  // Every entry but the links, which fail (ELOOP) instead of leading out.
  std::set<std::string> expected;
  for (const auto& p : all)
    if (!links.count(p)) expected.insert(p);
  std::set<std::string> seen = lines(followed.out);
  for (const auto& p : seen) EXPECT_TRUE(expected.count(p)) << p << " is not in the checkpoint";
  EXPECT_EQ(seen.size(), expected.size());

  // mem files span the whole address space (128 TiB of holes): reading one
  // through is not leaving the mount, only slow.
  auto grep = run("timeout 120 grep -R -l -a --exclude=mem ckpt_workload " + mp + " 2>/dev/null");
  EXPECT_NE(grep.status, 124) << "grep -R did not finish";
  std::set<std::string> matched = lines(grep.out);
  EXPECT_FALSE(matched.empty());
  for (const auto& f : matched) EXPECT_TRUE(files.count(f)) << f << " is not in the checkpoint";

  TempDir rules;
  write_file(rules / "r.yar", "rule workload { strings: $a = \"ckpt_workload\" condition: $a }\n");
  auto yara =
      run("timeout 120 yara -r " + shell_quote(rules / "r.yar") + " " + mp + " 2>/dev/null");
  EXPECT_NE(yara.status, 124) << "yara -r did not finish";
  std::set<std::string> hits = lines(yara.out);
  EXPECT_FALSE(hits.empty());
  for (const auto& h : hits) {
    std::string f = h.substr(h.find(' ') + 1);
    EXPECT_TRUE(files.count(f)) << f << " is not in the checkpoint";
  }
}

}  // namespace
}  // namespace ckptfs::test
