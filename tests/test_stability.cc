// The mount under concurrent readers and signals: what many threads read
// equals what one reader reads, SIGTERM and SIGINT unmount cleanly, and
// pulling the mount away under active readers ends their reads with errors
// rather than leaving them hanging.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

std::vector<std::string> list_files(const std::string& root) {
  // mem is left out: its reference copy would be 128 TiB.
  auto r = run("find " + shell_quote(root) + " -type f ! -name mem");
  std::vector<std::string> files;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) files.push_back(l);
  return files;
}

// What `ckptfs -d` logged about the READ requests it received: how many per
// node id, and the most that were in the daemon at once (a request line
// "unique: N, opcode: READ (15), nodeid: X, …", its reply "   unique: N, …").
struct DaemonReads {
  std::map<uint64_t, size_t> per_node;
  size_t total = 0;
  size_t max_in_flight = 0;
};

DaemonReads reads_in_debug_log(const std::string& log) {
  static const std::regex request(R"(^unique: (\d+), opcode: READ \(15\), nodeid: (\d+),)");
  static const std::regex reply(R"(^   unique: (\d+), )");
  DaemonReads d;
  std::set<std::string> open;
  std::istringstream in(log);
  std::smatch m;
  for (std::string l; std::getline(in, l);) {
    if (std::regex_search(l, m, request)) {
      ++d.per_node[std::stoull(m[2])];
      ++d.total;
      open.insert(m[1]);
      d.max_in_flight = std::max(d.max_in_flight, open.size());
    } else if (std::regex_search(l, m, reply)) {
      open.erase(m[1]);
    }
  }
  return d;
}

// Eight threads race on the files of a fresh mount, none of them rendered or
// cached yet: in each round four threads open one file and four another, at
// once, and read it at different offsets, odd threads with O_DIRECT (every
// read a FUSE READ), even ones through the page cache. What they read must
// equal what one reader reads from a second mount. The first access to a
// file is its LOOKUP, which the kernel serialises per name, so rendering is
// raced between different files (sharing pages files, address spaces and the
// cache file); the same Content's call_once raced by threads is tested
// without FUSE (LazyContents in test_lazy_contents.cc). The daemon's debug
// log proves every raced file was read by the daemon, not the page cache.
TEST(Stability, EightThreadsRacingOnUnrenderedFilesSeeWhatOneReaderSees) {
  Mount reference_mount(example());
  std::vector<std::string> rel;
  for (const auto& f : list_files(reference_mount.path()))
    rel.push_back(f.substr(reference_mount.path().size() + 1));
  ASSERT_GT(rel.size(), 100u);
  std::sort(rel.begin(), rel.end());
  std::vector<std::string> reference;
  for (const auto& r : rel) reference.push_back(read_file(reference_mount / r));
  EXPECT_TRUE(reference_mount.unmount()) << reference_mount.log();

  Mount m({example()}, {"-d"});
  constexpr int kThreads = 8;
  const size_t rounds = (rel.size() + 1) / 2;
  std::barrier sync(kThreads);
  std::atomic<size_t> mismatches{0}, reads{0};
  std::vector<std::string> errors(kThreads);
  auto read_at = [&](int t, size_t i, std::mt19937_64& rng) {
    const std::string& ref = reference[i];
    int fd = ::open((m / rel[i]).c_str(), O_RDONLY | (t % 2 ? O_DIRECT : 0));
    if (fd < 0) {
      errors[t] = rel[i] + ": open: " + std::strerror(errno);
      ++mismatches;
      return;
    }
    for (int k = 0; k < 3; ++k) {
      uint64_t off = ref.empty() ? 0 : rng() % ref.size();
      size_t len = 1 + rng() % 200000;
      std::string buf(len, '\0');
      ssize_t n = ::pread(fd, buf.data(), len, static_cast<off_t>(off));
      size_t expect = std::min<uint64_t>(len, ref.size() - off);
      if (n != static_cast<ssize_t>(expect) || ref.compare(off, expect, buf, 0, expect) != 0) {
        errors[t] = rel[i] + " at " + std::to_string(off) + ": read " + std::to_string(n) +
                    " bytes, not the reference's " + std::to_string(expect);
        ++mismatches;
      }
      ++reads;
    }
    ::close(fd);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1234 + t);
      for (size_t r = 0; r < rounds; ++r) {
        size_t i = std::min(2 * r + (t < kThreads / 2 ? 0 : 1), rel.size() - 1);
        sync.arrive_and_wait();  // everyone at the same unrendered file at once
        read_at(t, i, rng);
      }
      // Then anywhere, a fixed number of reads (not for a time: that would
      // measure the machine).
      for (int k = 0; k < 100; ++k) read_at(t, rng() % rel.size(), rng);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0u);
  for (const auto& e : errors) EXPECT_EQ(e, "");

  std::vector<uint64_t> nodes;
  for (const auto& r : rel) {
    struct stat st {};
    ASSERT_EQ(::stat((m / r).c_str(), &st), 0) << r;
    nodes.push_back(st.st_size > 0 ? st.st_ino : 0);  // an empty file is never READ
  }
  ASSERT_TRUE(m.unmount()) << m.log();
  DaemonReads d = reads_in_debug_log(m.log());
  size_t raced = 0;
  for (size_t i = 0; i < rel.size(); ++i) {
    if (!nodes[i]) continue;
    ++raced;
    EXPECT_GT(d.per_node[nodes[i]], 0u)
        << rel[i] << " (node " << nodes[i] << ") was never read by the daemon";
  }
  EXPECT_GT(raced, 100u);
  std::cout << "[ measure ] " << reads.load() << " reads by 8 threads over " << raced
            << " non-empty files: " << d.total << " FUSE READs reached the daemon, at most "
            << d.max_in_flight << " at once\n";
}

// `ckptfs -f input mp` as a child of the test, once it answers; -1 if it did
// not come up within 30 s.
pid_t start_daemon(const std::string& input, const std::string& mp) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stderr);
    std::string bin = ckptfs_binary(), in = input, dir = mp;
    char* argv[] = {bin.data(), const_cast<char*>("-f"), in.data(), dir.data(), nullptr};
    ::execv(argv[0], argv);
    std::_Exit(127);
  }
  for (int i = 0; i < 3000 && !is_mounted(mp); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (is_mounted(mp)) return pid;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

// waitpid with a deadline: the status, or nullopt if pid is still running.
std::optional<int> wait_for(pid_t pid, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

void expect_signal_unmounts_cleanly(int sig) {
  TempDir mp;
  pid_t pid = start_daemon(example(), mp.path());
  ASSERT_GT(pid, 0);
  EXPECT_EQ(read_file(mp / "procs/1/comm"), "ckpt_workload\n");
  ASSERT_EQ(::kill(pid, sig), 0);
  std::optional<int> status = wait_for(pid, std::chrono::seconds(60));
  if (!status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ASSERT_TRUE(status) << "the daemon ignored signal " << sig;
  EXPECT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  // The confined daemon may not unmount: fusermount3's auto_unmount watcher
  // does, as the daemon exits. Give it a moment (10 s bound a hang).
  for (int i = 0; i < 1000 && is_mounted(mp.path()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(is_mounted(mp.path()));
}

TEST(Stability, SigtermUnmountsCleanly) { expect_signal_unmounts_cleanly(SIGTERM); }

TEST(Stability, SigintUnmountsCleanly) { expect_signal_unmounts_cleanly(SIGINT); }

// Reader processes that open, read and close files of the mount in a loop
// until a call fails. Each reports on a pipe once it has read something, and
// exits 0 when the failure is one an unmount gives (the mount point is empty
// now, or the connection is gone), 2 on any other error, 3 if nothing failed
// within 120 s (a bound on a hang, generous for a sanitized build under -j).
class Readers {
 public:
  Readers(const std::vector<std::string>& files, int n) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    for (int i = 0; i < n; ++i) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::close(fds[0]);
        std::_Exit(read_until_error(files, i, fds[1]));
      }
      pids_.push_back(pid);
    }
    ::close(fds[1]);
    // Everyone is reading before the test pulls the mount away.
    for (int i = 0; i < n; ++i) {
      char c;
      if (::read(fds[0], &c, 1) != 1) break;
      ++started_;
    }
    ::close(fds[0]);
  }
  ~Readers() {
    for (pid_t p : pids_) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
  }
  int started() const { return started_; }

  // Every reader ended within the limit, with an unmount's error.
  ::testing::AssertionResult EndWithErrors(std::chrono::seconds limit) {
    auto result = ::testing::AssertionSuccess();
    for (pid_t& p : pids_) {
      std::optional<int> st = wait_for(p, limit);
      if (!st) {
        result = ::testing::AssertionFailure() << "reader " << p << " hangs";
        continue;  // killed by the destructor
      }
      if (!WIFEXITED(*st) || WEXITSTATUS(*st) != 0)
        result = ::testing::AssertionFailure() << "reader " << p << " ended with status " << *st;
      p = -1;
    }
    std::erase(pids_, -1);
    return result;
  }

 private:
  static int read_until_error(const std::vector<std::string>& files, int seed, int ready) {
    std::mt19937_64 rng(seed);
    std::vector<char> buf(1 << 16);
    bool told = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    auto unmounted = [](int e) { return e == ENOENT || e == ENOTCONN || e == ECONNABORTED; };
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string& f = files[rng() % files.size()];
      int fd = ::open(f.c_str(), O_RDONLY);
      if (fd < 0) return unmounted(errno) ? 0 : 2;
      struct stat st {};
      if (::fstat(fd, &st) != 0) return unmounted(errno) ? 0 : 2;
      off_t off =
          st.st_size > 0 ? static_cast<off_t>(rng() % static_cast<uint64_t>(st.st_size)) : 0;
      ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
      int e = errno;
      ::close(fd);
      if (n < 0) return unmounted(e) ? 0 : 2;
      if (!told) {
        told = ::write(ready, "r", 1) == 1;
        ::close(ready);
      }
    }
    return 3;
  }

  std::vector<pid_t> pids_;
  int started_ = 0;
};

// Files of the webapp fixture worth reading at random offsets.
std::vector<std::string> busy_files(const std::string& mp) {
  std::vector<std::string> files = list_files(mp);
  std::erase_if(files, [](const std::string& f) {
    return f.find("/vmas/") == std::string::npos && !f.ends_with("/hexdump") &&
           !f.ends_with("/maps") && !f.ends_with("/core");
  });
  return files;
}

// Mounts the webapp fixture, starts four readers, and once they are busy
// lets pull(daemon, mountpoint) take the mount away: every reader must end
// with an error (within 60 s, a bound on a hang). Returns the daemon's exit
// status, or nullopt if it still ran 60 s later (it is killed then).
std::optional<int> pull_mount_under_readers(
    const std::function<void(pid_t, const std::string&)>& pull) {
  TempDir mp;
  pid_t daemon = start_daemon(example(), mp.path());
  EXPECT_GT(daemon, 0);
  if (daemon <= 0) return std::nullopt;
  std::vector<std::string> files = busy_files(mp.path());
  EXPECT_GT(files.size(), 10u);
  {
    Readers readers(files, 4);
    EXPECT_EQ(readers.started(), 4);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pull(daemon, mp.path());
    EXPECT_TRUE(readers.EndWithErrors(std::chrono::seconds(60)));
  }
  std::optional<int> status = wait_for(daemon, std::chrono::seconds(60));
  if (!status) {
    ::kill(daemon, SIGKILL);
    ::waitpid(daemon, nullptr, 0);
  }
  // A dead daemon leaves a mount that answers ENOTCONN until it is removed.
  if (is_mounted(mp.path())) run("fusermount3 -u -z " + shell_quote(mp.path()));
  return status;
}

TEST(Stability, LazyUnmountEndsActiveReadersWithErrors) {
  std::optional<int> status = pull_mount_under_readers([](pid_t, const std::string& mp) {
    auto r = run("fusermount3 -u -z " + shell_quote(mp));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(is_mounted(mp));
  });
  // With its last reader gone, the daemon notices and exits as if unmounted.
  ASSERT_TRUE(status) << "the daemon outlives its lazy unmount";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST(Stability, KilledDaemonEndsActiveReadersWithErrors) {
  std::optional<int> status =
      pull_mount_under_readers([](pid_t daemon, const std::string&) { ::kill(daemon, SIGKILL); });
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << *status;
}

}  // namespace
}  // namespace ckptfs::test
