// The mount under concurrent readers and signals: what many threads read
// equals what one reader reads, and SIGTERM unmounts cleanly.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <sstream>
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

TEST(Stability, EightThreadsOfRandomReadsSeeWhatOneReaderSees) {
  CKPTFS_REQUIRE_FIXTURES();
  Mount m(fixture("webapp-checkpoint.tar.zst"));
  std::vector<std::string> files = list_files(m.path());
  ASSERT_GT(files.size(), 100u);
  std::vector<std::string> reference;
  for (const auto& f : files) reference.push_back(read_file(f));

  std::atomic<size_t> mismatches{0}, reads{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1234 + t);
      std::string buf;
      while (std::chrono::steady_clock::now() < deadline) {
        size_t i = rng() % files.size();
        const std::string& ref = reference[i];
        uint64_t off = ref.empty() ? 0 : rng() % ref.size();
        size_t len = 1 + rng() % 200000;
        int fd = ::open(files[i].c_str(), O_RDONLY);
        if (fd < 0) {
          ++mismatches;
          continue;
        }
        buf.assign(len, '\0');
        ssize_t n = ::pread(fd, buf.data(), len, static_cast<off_t>(off));
        ::close(fd);
        size_t expect = std::min<uint64_t>(len, ref.size() - off);
        if (n != static_cast<ssize_t>(expect) || ref.compare(off, expect, buf, 0, expect) != 0)
          ++mismatches;
        ++reads;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0u);
  EXPECT_GT(reads.load(), 100u);
  EXPECT_TRUE(m.unmount()) << m.log();
}

TEST(Stability, SigtermUnmountsCleanly) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir mp;
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stderr);
    std::string bin = ckptfs_binary(), in = fixture("proc-tree"), dir = mp.path();
    char* argv[] = {bin.data(), const_cast<char*>("-f"), in.data(), dir.data(), nullptr};
    ::execv(argv[0], argv);
    std::_Exit(127);
  }
  for (int i = 0; i < 3000 && !is_mounted(mp.path()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(is_mounted(mp.path()));
  EXPECT_EQ(read_file(mp / "procs/25911/comm"), "ckpt_workload\n");
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(is_mounted(mp.path()));
}

}  // namespace
}  // namespace ckptfs::test
