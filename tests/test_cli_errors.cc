// The real binary on bad input: it must fail fast with status 1, say on exactly
// one line of stderr which file is wrong and how, and leave nothing mounted
// and no daemon behind (man page, EXIT STATUS). Also the happy path of the
// daemon mode, which is the one a user meets first.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "pagemap.pb.h"
#include "support/groundtruth.h"
#include "support/mount.h"
#include "support/paths.h"
#include "support/rejected.h"
#include "support/tar_writer.h"
#include "version.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

// Every invocation runs under timeout(1): a hang shows up as status 124, not as
// a stuck test run.
CommandResult ckptfs(const std::vector<std::string>& args, const std::string& cwd = "") {
  return run_ckptfs(args, cwd);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Cases that need only a valid checkpoint use examples/; those that
// damage a CRIU image directory or a plain tar need the fixtures.
class CliErrors : public ::testing::Test {
 protected:
  // A file in the scratch dir holding bytes.
  std::string make_file(const std::string& name, const std::string& bytes) {
    std::string p = tmp_ / name;
    write_file(p, bytes);
    return p;
  }
  // A writable copy of the proc-tree image directory.
  std::string copy_proc_tree(const std::string& name) {
    if (!have_fixtures()) throw std::runtime_error(missing_fixtures_message());
    std::string dst = tmp_ / name;
    fs::copy(fixture("proc-tree"), dst);
    fs::permissions(dst, fs::perms::owner_all, fs::perm_options::add);
    for (const auto& e : fs::directory_iterator(dst))
      fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::add);
    return dst;
  }
  // The first n bytes of a file, as a new file.
  std::string cut(const std::string& path, uint64_t n, const std::string& name) {
    std::string all = read_file(path);
    return make_file(name, all.substr(0, n));
  }

  TempDir tmp_;
  TempDir mp_;  // an empty directory: the usual, valid mount point
};

TEST_F(CliErrors, MissingCheckpointFile) {
  std::string missing = tmp_ / "no-such-checkpoint.tar.zst";
  EXPECT_TRUE(Rejected(ckptfs({missing, mp_.path()}), mp_.path(), missing, {"no such file"}));
}

TEST_F(CliErrors, MissingMountpoint) {
  std::string missing = tmp_ / "no-such-dir";
  EXPECT_TRUE(Rejected(ckptfs({example(), missing}), missing, missing, {"does not exist"}));
}

TEST_F(CliErrors, MountpointIsARegularFile) {
  std::string file = make_file("a-file", "x\n");
  EXPECT_TRUE(Rejected(ckptfs({example(), file}), file, file, {"not a directory"}));
  EXPECT_EQ(read_file(file), "x\n");
}

TEST_F(CliErrors, TarOfTextFilesIsNotACheckpoint) {
  std::string src = tmp_ / "notes";
  fs::create_directory(src);
  write_file(src + "/readme.txt", "just some text\n");
  write_file(src + "/todo.txt", "1. nothing\n");
  std::string tar = tmp_ / "notes.tar";
  ASSERT_EQ(run("tar -C " + shell_quote(src) + " -cf " + shell_quote(tar) + " readme.txt todo.txt")
                .status,
            0);
  EXPECT_TRUE(
      Rejected(ckptfs({tar, mp_.path()}), mp_.path(), tar, {"not a checkpoint", "inventory.img"}));
}

TEST_F(CliErrors, RandomBytes) {
  // Fixed seed: the bytes must never happen to start with a known magic.
  std::mt19937 rng(42);
  std::string bytes(1 << 16, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng());
  std::string file = make_file("random.tar.gz", bytes);
  EXPECT_TRUE(Rejected(ckptfs({file, mp_.path()}), mp_.path(), file, {"not a checkpoint"}));
}

TEST_F(CliErrors, EmptyFile) {
  std::string file = make_file("empty.tar", "");
  EXPECT_TRUE(Rejected(ckptfs({file, mp_.path()}), mp_.path(), file, {"empty"}));
}

TEST_F(CliErrors, TruncatedZstdArchive) {
  uint64_t size = fs::file_size(example());
  for (int percent : {10, 50, 90}) {
    SCOPED_TRACE(std::to_string(percent) + "%");
    std::string file =
        cut(example(), size * percent / 100, "webapp-cut-" + std::to_string(percent) + ".tar.zst");
    EXPECT_TRUE(Rejected(ckptfs({file, mp_.path()}), mp_.path(), file, {"truncated"}));
  }
}

TEST_F(CliErrors, TruncatedGzipArchive) {
  std::string gz = tmp_ / "webapp.tar.gz";
  ASSERT_EQ(run("zstd -dc " + shell_quote(example()) + " | gzip -c > " + shell_quote(gz)).status,
            0);
  std::string all = read_file(gz);
  for (int percent : {10, 50, 90}) {
    SCOPED_TRACE(std::to_string(percent) + "%");
    std::string file = make_file("webapp-cut-" + std::to_string(percent) + ".tar.gz",
                                 all.substr(0, all.size() * percent / 100));
    EXPECT_TRUE(Rejected(ckptfs({file, mp_.path()}), mp_.path(), file, {"truncated"}));
  }
}

TEST_F(CliErrors, PlainTarCutInThePagesData) {
  CKPTFS_REQUIRE_FIXTURES();
  auto members = tar_members(read_file(fixture("proc-tree.tar")));
  ASSERT_TRUE(members.count("pages-3.img"));
  const TarMember& m = members["pages-3.img"];
  // Off any block boundary, in the middle of the member's data.
  std::string file =
      cut(fixture("proc-tree.tar"), m.data + m.size / 2 + 1000, "proc-tree-cut-data.tar");
  EXPECT_TRUE(Rejected(ckptfs({file, mp_.path()}), mp_.path(), file, {"truncated"}));
}

TEST_F(CliErrors, PlainTarCutInAHeader) {
  CKPTFS_REQUIRE_FIXTURES();
  auto members = tar_members(read_file(fixture("proc-tree.tar")));
  ASSERT_TRUE(members.count("pstree.img"));
  // Half a header: the archive may not pass as complete minus its tail.
  std::string file =
      cut(fixture("proc-tree.tar"), members["pstree.img"].header + 256, "proc-tree-cut-header.tar");
  EXPECT_TRUE(Rejected(ckptfs({file, mp_.path()}), mp_.path(), file, {"truncated"}));
}

TEST_F(CliErrors, PagemapEntryLengthAllOnes) {
  CKPTFS_REQUIRE_FIXTURES();
  std::string dir = copy_proc_tree("proc-tree-bad-length");
  std::string pm = dir + "/pagemap-25911.img";
  std::string bytes = read_file(pm);
  // Bytes 0-7: head and type magic; 8-11: the first entry's length word.
  ASSERT_EQ(bytes.substr(0, 4), std::string("\x19\x43\x56\x54", 4));
  bytes.replace(8, 4, "\xff\xff\xff\xff");
  write_file(pm, bytes);
  EXPECT_TRUE(
      Rejected(ckptfs({dir, mp_.path()}), mp_.path(), dir, {"pagemap-25911.img", "corrupt"}));
}

// u32 length + message, CRIU's framing of every entry.
std::string framed(const google::protobuf::MessageLite& m) {
  std::string s = m.SerializeAsString();
  uint32_t len = static_cast<uint32_t>(s.size());
  return std::string(reinterpret_cast<const char*>(&len), 4) + s;
}

TEST_F(CliErrors, PagemapClaimsMorePagesThanStored) {
  CKPTFS_REQUIRE_FIXTURES();
  std::string dir = copy_proc_tree("proc-tree-short-pages");
  std::string pm = dir + "/pagemap-25911.img";
  std::string bytes = read_file(pm);
  uint32_t head_len;
  std::memcpy(&head_len, bytes.data() + 8, 4);
  criu::pagemap_head head;
  ASSERT_TRUE(head.ParseFromString(bytes.substr(12, head_len)));
  std::string pages = "pages-" + std::to_string(head.pages_id()) + ".img";
  ASSERT_TRUE(fs::exists(dir + "/" + pages));
  // Keep magic and head; one PE_PRESENT run of a million pages (4 GB) that
  // pages-N.img (3.6 MB) cannot hold. CRIU 4.2 writes the count in field 5.
  criu::pagemap_entry e;
  e.set_vaddr(0x7f0000000000ull);
  e.set_compat_nr_pages(0);
  e.set_nr_pages(1'000'000);
  e.set_flags(0x4);
  write_file(pm, bytes.substr(0, 12 + head_len) + framed(e));
  EXPECT_TRUE(Rejected(ckptfs({dir, mp_.path()}), mp_.path(), dir, {"pagemap-25911.img", pages}));
}

TEST_F(CliErrors, DirectoryWithoutPstree) {
  CKPTFS_REQUIRE_FIXTURES();
  std::string dir = copy_proc_tree("proc-tree-no-pstree");
  fs::remove(dir + "/pstree.img");
  EXPECT_TRUE(Rejected(ckptfs({dir, mp_.path()}), mp_.path(), dir, {"pstree.img", "missing"}));
}

TEST_F(CliErrors, MountpointAlreadyInUse) {
  CKPTFS_REQUIRE_FIXTURES();
  Mount first(fixture("proc-tree"));
  CommandResult r = ckptfs({fixture("proc-tree.tar"), first.path()});
  // Rejected() wants nothing at all mounted there; here the first mount must
  // simply be the only one, and still answer.
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.err.starts_with("ckptfs: " + first.path() + ": ")) << r.err;
  EXPECT_NE(lower(r.err).find("already mounted"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(mount_count(first.path()), 1);
  EXPECT_EQ(ckptfs_processes_for(first.path()).size(), 1u) << "only the first mount's daemon";
  std::string pids;
  auto gt = load_groundtruth("proc-tree");
  for (const auto& p : gt["processes"]) pids += std::to_string(ns_pid(p)) + "\n";
  EXPECT_EQ(run("ls " + shell_quote(first / "procs")).out, pids) << "the first mount still answers";
  EXPECT_TRUE(first.unmount()) << first.log();
}

TEST(CliUsage, HelpPrintsUsageOnStdout) {
  for (const char* flag : {"--help", "-h"}) {
    SCOPED_TRACE(flag);
    CommandResult r = ckptfs({flag});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(r.out.starts_with("usage: ckptfs ")) << r.out;
    EXPECT_NE(r.out.find("MOUNTPOINT"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("fusermount3 -u"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST(CliUsage, VersionPrintsNameAndVersion) {
  for (const char* flag : {"-V", "--version"}) {
    SCOPED_TRACE(flag);
    CommandResult r = ckptfs({flag});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "ckptfs " CKPTFS_VERSION "\n");
    EXPECT_EQ(r.err, "");
  }
}

TEST(CliUsage, NoArgumentsIsAUsageError) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{}, {"only-one-argument"}}) {
    CommandResult r = ckptfs(args);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("ckptfs: ")) << r.err;
    EXPECT_NE(r.err.find("--help"), std::string::npos) << "points the user at --help: " << r.err;
  }
}

TEST(CliUsage, UnknownOptionIsAUsageError) {
  for (const char* opt : {"--bogus", "-x"}) {
    SCOPED_TRACE(opt);
    TempDir mp;
    CommandResult r = ckptfs({opt, example(), mp.path()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("ckptfs: ")) << r.err;
    EXPECT_NE(r.err.find(opt), std::string::npos) << "names the option: " << r.err;
    EXPECT_FALSE(is_mounted(mp.path()));
  }
}

// Cleans up after the daemon test whatever happens: a lazy unmount and the
// daemon we started, by its pid.
struct DaemonGuard {
  std::string mountpoint;
  ~DaemonGuard() {
    if (is_mounted(mountpoint)) run("fusermount3 -u -z " + shell_quote(mountpoint));
    for (pid_t pid : ckptfs_processes_for(mountpoint)) ::kill(pid, SIGKILL);
  }
};

TEST(CliDaemon, ReturnsOnceMountedAndGoesAwayOnUnmount) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir mp;
  DaemonGuard guard{mp.path()};
  auto gt = load_groundtruth("proc-tree");
  std::string pids;
  for (const auto& p : gt["processes"]) pids += std::to_string(ns_pid(p)) + "\n";

  // A relative checkpoint path: the daemon chdirs to / when it detaches, and
  // must still find its files. `ls` right after the parent returns: the mount
  // must already answer then, without any waiting by the caller. timeout 30
  // bounds a hang; how long the mount takes is not this test's business.
  CommandResult r =
      run("cd " + shell_quote(fixtures_dir()) + " && timeout 30 " + shell_quote(ckptfs_binary()) +
          " proc-tree " + shell_quote(mp.path()) + " && ls " + shell_quote(mp / "procs"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, pids);
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(is_mounted(mp.path()));

  // Memory is served from the detached daemon, out of files it opens lazily.
  const auto& root = gt["processes"][0];
  const auto& marker = root["markers"][0];
  std::string want = marker["marker"];
  std::string got(want.size(), '\0');
  int fd = ::open((mp / ("procs/" + std::to_string(ns_pid(root)) + "/mem")).c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::pread(fd, got.data(), got.size(), static_cast<off_t>(hex(marker["addr"]))),
            static_cast<ssize_t>(got.size()));
  ::close(fd);
  EXPECT_EQ(got, want);

  std::vector<pid_t> daemons = ckptfs_processes_for(mp.path());
  ASSERT_EQ(daemons.size(), 1u) << "one daemon serves the mount";

  CommandResult u = run("fusermount3 -u " + shell_quote(mp.path()));
  EXPECT_EQ(u.status, 0) << u.err;
  EXPECT_FALSE(is_mounted(mp.path()));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!ckptfs_processes_for(mp.path()).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(ckptfs_processes_for(mp.path()).empty()) << "the daemon outlives its mount";
}

// ---- the daemon's life: options libfuse and the kernel judge, logging once
// detached, mount points the kernel names ----

// The shipped example, unpacked: an image directory whose files are read in
// place, so a test can break one after mounting.
std::string unpack_example(const TempDir& tmp) {
  std::string dir = tmp / "example";
  fs::create_directories(dir);
  CommandResult r =
      run("tar --zstd -xf " + shell_quote(source_dir() + "/examples/webapp-checkpoint.tar.zst") +
          " -C " + shell_quote(dir));
  if (r.status != 0) throw std::runtime_error("cannot unpack the example: " + r.err);
  return dir;
}

std::string example() { return source_dir() + "/examples/webapp-checkpoint.tar.zst"; }

TEST(CliDaemon, OptionsLibfuseRefusesAreOneLineAndMountNothing) {
  for (std::vector<std::string> opts : {std::vector<std::string>{"-o", "bogus"},
                                        {"-o", "max_read=abc"},
                                        {"-o", "allow_other,nonsense=1"}}) {
    SCOPED_TRACE(opts[1]);
    TempDir mp;
    opts.push_back(example());
    opts.push_back(mp.path());
    CommandResult r = ckptfs(opts);
    EXPECT_TRUE(Rejected(r, mp.path(), opts[1].substr(opts[1].find(',') + 1), {"option"}));
  }
}

// libfuse aborts INIT when init() asks for another max_read than -o max_read
// set: the command used to exit 0 with nothing mounted.
TEST(CliDaemon, MaxReadMountsAndServes) {
  TempDir mp;
  DaemonGuard guard{mp.path()};
  CommandResult r = ckptfs({"-o", "max_read=65536", example(), mp.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ASSERT_TRUE(is_mounted(mp.path()));
  // Reads now come in 64 KiB requests; the content is the same.
  std::string via_mount = run("cat " + shell_quote(mp / "procs/1/vmas") + "/* | sha256sum").out;
  EXPECT_EQ(run("fusermount3 -u " + shell_quote(mp.path())).status, 0);
  CommandResult again = ckptfs({example(), mp.path()});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(run("cat " + shell_quote(mp / "procs/1/vmas") + "/* | sha256sum").out, via_mount);
  EXPECT_EQ(run("fusermount3 -u " + shell_quote(mp.path())).status, 0);
}

TEST(CliDaemon, OneServingThreadWorksToo) {
  TempDir mp;
  Mount m({example()}, {"-s"});
  EXPECT_NE(read_file(m / "procs/1/maps").find("[heap]"), std::string::npos);
  EXPECT_TRUE(m.unmount()) << m.log();
}

// Detached, stderr is gone: problems found later go to -o log=FILE, one line
// per broken file, even for two broken files of one directory.
TEST(CliDaemon, ProblemsFoundLaterGoToTheLogFileOncePerFile) {
  TempDir tmp;
  std::string dir = unpack_example(tmp);
  std::string log = tmp / "ckptfs.log";
  std::string mp = tmp / "mp";
  fs::create_directories(mp);
  DaemonGuard guard{mp};
  CommandResult r = ckptfs({"-o", "log=" + log, dir, mp});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // pages-2.img holds PID 1's pages; half of it goes missing behind our back.
  std::string pages = dir + "/checkpoint/pages-2.img";
  fs::resize_file(pages, fs::file_size(pages) / 2);
  std::vector<std::string> failed;
  for (const auto& e : fs::directory_iterator(mp + "/procs/1/vmas")) {
    std::string bytes;
    for (int again = 0; again < 2; ++again) {
      int fd = ::open(e.path().c_str(), O_RDONLY | O_DIRECT);
      ASSERT_GE(fd, 0) << e.path();
      char buf[1 << 16] __attribute__((aligned(4096)));
      ssize_t n;
      int err = 0;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) {
      }
      if (n < 0) err = errno;
      ::close(fd);
      if (err && again == 0) failed.push_back(e.path().filename());
      if (err) {
        EXPECT_EQ(err, EIO) << e.path();
      }
    }
  }
  ASSERT_GE(failed.size(), 2u) << "the lost half held pages of at least two regions";
  ASSERT_EQ(run("fusermount3 -u " + shell_quote(mp)).status, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ckptfs_processes_for(mp).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string text = read_file(log);
  size_t lines = 0;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    EXPECT_NE(l.find("pages-2.img"), std::string::npos) << l;
    EXPECT_NE(l.find("ckptfs["), std::string::npos) << "stamped with the daemon: " << l;
    ++lines;
  }
  EXPECT_EQ(lines, failed.size()) << text;
}

// Without -o log=, a detached daemon's problems go to syslog(3), that is to
// the socket /dev/log. This machine may have no syslog daemon, so the test
// gives the daemon a /dev/log of its own: it moves itself (ctest runs each
// case in a process of its own) into a mount namespace whose /dev is a tmpfs
// holding the real null, zero, urandom and fuse, and a datagram socket at
// /dev/log that the test reads.
TEST(CliDaemon, ProblemsFoundLaterGoToSyslogWithoutALogFile) {
  TempDir tmp;
  std::string dir = unpack_example(tmp);
  ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << std::strerror(errno);
  ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
      << std::strerror(errno);
  // Each node is bound onto an empty file of a staging directory, the tmpfs
  // mounted, each bound onward, and the staging binds undone: nothing below
  // tmp ever leads into the real /dev (TempDir removes recursively).
  std::string staging = tmp / "staging";
  fs::create_directories(staging);
  const std::vector<std::string> nodes = {"null", "zero", "urandom", "fuse"};
  for (const std::string& node : nodes) {
    write_file(staging + "/" + node, "");
    ASSERT_EQ(::mount(("/dev/" + node).c_str(), (staging + "/" + node).c_str(), nullptr, MS_BIND,
                      nullptr),
              0)
        << node << ": " << std::strerror(errno);
  }
  ASSERT_EQ(::mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755"), 0) << std::strerror(errno);
  for (const std::string& node : nodes) {
    write_file("/dev/" + node, "");
    ASSERT_EQ(::mount((staging + "/" + node).c_str(), ("/dev/" + node).c_str(), nullptr, MS_BIND,
                      nullptr),
              0)
        << node << ": " << std::strerror(errno);
    ASSERT_EQ(::umount2((staging + "/" + node).c_str(), MNT_DETACH), 0) << std::strerror(errno);
  }
  int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, "/dev/log");
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
      << std::strerror(errno);

  std::string mp = tmp / "mp";
  fs::create_directories(mp);
  DaemonGuard guard{mp};
  CommandResult r = ckptfs({dir, mp});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::string pages = dir + "/checkpoint/pages-2.img";
  fs::resize_file(pages, fs::file_size(pages) / 2);
  size_t failed = 0;
  for (const auto& e : fs::directory_iterator(mp + "/procs/1/vmas")) {
    int fd = ::open(e.path().c_str(), O_RDONLY | O_DIRECT);
    ASSERT_GE(fd, 0) << e.path();
    char buf[1 << 16] __attribute__((aligned(4096)));
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    }
    if (n < 0) {
      EXPECT_EQ(errno, EIO) << e.path();
      ++failed;
    }
    ::close(fd);
  }
  ASSERT_GE(failed, 2u) << "the lost half held pages of at least two regions";
  // One datagram per broken file, "<PRI>time ckptfs[pid]: message".
  std::vector<std::string> got;
  while (got.size() < failed) {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 30'000) != 1) break;
    char msg[4096];
    ssize_t n = ::recv(sock, msg, sizeof msg, 0);
    ASSERT_GT(n, 0);
    got.emplace_back(msg, static_cast<size_t>(n));
  }
  ASSERT_EQ(run("fusermount3 -u " + shell_quote(mp)).status, 0);
  ASSERT_EQ(got.size(), failed);
  for (const std::string& m : got) {
    EXPECT_NE(m.find("ckptfs["), std::string::npos) << m;
    EXPECT_NE(m.find("pages-2.img"), std::string::npos) << m;
    // LOG_DAEMON | LOG_ERR.
    EXPECT_TRUE(m.starts_with("<" + std::to_string(LOG_DAEMON | LOG_ERR) + ">")) << m;
  }
  ::close(sock);
}

// "/tmp/a b" is "/tmp/a\040b" in mountinfo: the check asks the kernel.
TEST(CliDaemon, AMountPointWithASpaceIsSeenAsMounted) {
  TempDir tmp;
  std::string mp = tmp / "a b";
  fs::create_directories(mp);
  DaemonGuard guard{mp};
  ASSERT_EQ(ckptfs({example(), mp}).status, 0);
  CommandResult second = ckptfs({example(), mp});
  EXPECT_TRUE(Rejected(second, "/nonexistent-so-not-checked", mp, {"already mounted"}));
  EXPECT_EQ(run("fusermount3 -u " + shell_quote(mp)).status, 0);
}

}  // namespace
}  // namespace ckptfs::test
