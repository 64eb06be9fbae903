// Contents rendered or laid out on first use (TextContent,
// FallibleTextContent, HexdumpContent, CoreContent) raced by eight threads
// on a fresh object: each first use runs once, and every thread reads what a
// single reader of another fresh object reads. Through a mount this cannot
// happen (the kernel serialises the LOOKUP that first touches a file), so it
// is tested here, without FUSE; Stability races the mount.

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "model/checkpoint.h"
#include "support/input_error.h"
#include "util/error.h"
#include "vfs/content.h"
#include "vfs/core_content.h"
#include "vfs/fallible_text_content.h"
#include "vfs/hexdump_content.h"

namespace ckptfs::test {
namespace {

constexpr int kThreads = 8;

// Runs body(thread) on kThreads threads released together.
void race(const std::function<void(int)>& body) {
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t);
    });
  for (auto& th : threads) th.join();
}

std::string read_at(const Content& c, uint64_t off, size_t len) {
  std::string buf(len, '\0');
  buf.resize(c.read(buf.data(), len, off));
  return buf;
}

std::string read_all(const Content& c) { return read_at(c, 0, c.size()); }

// A rendering slow enough that the other threads arrive while it runs: with
// the once-only guard broken, they would render again. Counts its calls.
std::string slow_text(std::atomic<int>& calls) {
  ++calls;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string s;
  for (int i = 0; i < 10000; ++i) s += std::to_string(i) + "\n";
  return s;
}

TEST(LazyContents, TextContentRendersOnceForRacingReaders) {
  std::atomic<int> calls{0};
  const std::string want = [] {
    std::atomic<int> n{0};
    return slow_text(n);
  }();
  TextContent c([&] { return slow_text(calls); });
  EXPECT_FALSE(c.size_known());
  std::vector<std::string> got(kThreads);
  race([&](int t) {
    // Half start with size() (a stat), half with a read at their own offset.
    if (t % 2)
      got[t] = read_at(c, 0, c.size());
    else
      got[t] = read_at(c, static_cast<uint64_t>(t) * 1000, 100000);
  });
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(c.size_known());
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(got[t],
              want.substr(t % 2 ? 0 : static_cast<size_t>(t) * 1000, t % 2 ? want.size() : 100000))
        << t;
}

TEST(LazyContents, FallibleTextContentRendersOnceForRacingReaders) {
  std::atomic<int> calls{0};
  FallibleTextContent c("racing.json", [&](TextSpool& out) { out.append(slow_text(calls)); });
  std::vector<std::string> got(kThreads);
  race([&](int t) { got[t] = read_at(c, 0, c.size()); });
  EXPECT_EQ(calls.load(), 1);
  std::atomic<int> n{0};
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], slow_text(n)) << t;
}

TEST(LazyContents, AFailedRenderingFailsEveryRacingReaderOnce) {
  std::atomic<int> calls{0};
  FallibleTextContent c("bad.img.json", [&](TextSpool&) {
    slow_text(calls);
    fail("bad.img", "entry 3 is corrupt");
  });
  std::vector<std::string> errors(kThreads);
  race([&](int t) {
    char buf[16];
    if (t % 2) {
      EXPECT_EQ(c.size(), FallibleTextContent::kFailedSize);
    }
    errors[t] = error_of([&] { c.read(buf, sizeof buf, 0); });
  });
  EXPECT_EQ(calls.load(), 1);
  for (const auto& e : errors) EXPECT_TRUE(Mentions(e, "bad.img: ", {"entry 3 is corrupt"}));
}

// A process with several VMAs and runs of stored pages, the same each call.
struct SyntheticProcess {
  SyntheticProcess() {
    p.pid = 7;
    p.comm = "racer";
    p.threads.push_back({7, "racer", nullptr});
    std::mt19937_64 rng(3);
    std::string bytes(64 * kPageSize, '\0');
    for (char& ch : bytes) ch = static_cast<char>(rng());
    uint32_t b = p.memory.add_blob(std::make_shared<MemoryBlob>(bytes, "pages-1.img"));
    for (uint64_t i = 0; i < 16; ++i) {
      Vma v;
      v.start = 0x400000 + i * 8 * kPageSize;
      v.end = v.start + 6 * kPageSize;
      v.prot = 3;
      p.vmas.push_back(v);
      p.memory.add(v.start + kPageSize, 4 * kPageSize, b, i * 4 * kPageSize);
    }
    EXPECT_EQ(p.memory.finish(), "");
  }
  Process p;
};

TEST(LazyContents, HexdumpIsLaidOutOnceForRacingReaders) {
  SyntheticProcess sp;
  const std::string want = read_all(HexdumpContent(sp.p.memory, sp.p.vmas));
  HexdumpContent c(sp.p.memory, sp.p.vmas);
  EXPECT_FALSE(c.size_known());
  std::vector<std::string> got(kThreads);
  race([&](int t) {
    uint64_t off = want.size() * static_cast<uint64_t>(t) / kThreads;
    got[t] = read_at(c, off, 50000);
  });
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(got[t], want.substr(want.size() * t / kThreads, 50000)) << t;
}

TEST(LazyContents, CoreIsLaidOutOnceForRacingReaders) {
  SyntheticProcess sp;
  const std::string want = read_all(CoreContent(sp.p));
  CoreContent c(sp.p);
  EXPECT_FALSE(c.size_known());
  std::vector<std::string> got(kThreads);
  std::vector<uint64_t> allocated(kThreads);
  race([&](int t) {
    // st_blocks, st_size and a read each may come first.
    allocated[t] = c.allocated();
    uint64_t off = want.size() * static_cast<uint64_t>(t) / kThreads;
    got[t] = read_at(c, off, 30000);
  });
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(got[t], want.substr(want.size() * t / kThreads, 30000)) << t;
    EXPECT_EQ(allocated[t], CoreContent(sp.p).allocated());
  }
}

}  // namespace
}  // namespace ckptfs::test
