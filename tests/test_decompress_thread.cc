// The decompressing thread behind every compressed archive: the reader gets
// exactly the decompressed bytes, in order, across its buffer boundaries; a
// truncated stream gives every byte before the cut, then the error; and a
// reader that stops early does not leave the thread blocked.

#include <archive.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>

#include "source/archive_ptr.h"
#include "source/blob.h"
#include "source/decompress_thread.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

// Compresses data with the zstd or gzip command; returns the compressed bytes.
std::string compress(const TempDir& tmp, const std::string& data, const std::string& tool) {
  write_file(tmp / "plain", data);
  std::string cmd = tool + " -q -c " + tmp / "plain" + " > " + tmp / "packed";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return read_file(tmp / "packed");
}

// Reads everything the thread hands out; error is set when a read fails.
std::string drain(DecompressThread& t, std::string* error = nullptr) {
  ArchivePtr a(archive_read_new());
  std::string out;
  for (;;) {
    const void* buf = nullptr;
    la_ssize_t n = DecompressThread::read(a.get(), &t, &buf);
    if (n < 0) {
      if (error) *error = archive_error_string(a.get());
      return out;
    }
    if (n == 0) return out;
    out.append(static_cast<const char*>(buf), static_cast<size_t>(n));
  }
}

std::string data_of(size_t n) {
  std::string s = random_bytes(n / 2, 42);
  s.append(n - s.size(), 'z');  // and a compressible half
  return s;
}

TEST(DecompressThread, HandsOutExactlyTheDecompressedBytes) {
  TempDir tmp;
  const std::string want = data_of(9 << 20);  // several of its 1 MiB buffers
  for (const char* tool : {"zstd", "gzip"}) {
    MemoryBlob blob(compress(tmp, want, tool), tool);
    uint64_t last = 0;
    DecompressThread t(blob, [&](uint64_t done, uint64_t total) {
      EXPECT_GE(done, last);
      EXPECT_EQ(total, blob.size());
      last = done;
    });
    std::string error;
    std::string got = drain(t, &error);
    EXPECT_EQ(error, "") << tool;
    EXPECT_TRUE(got == want) << tool << ": " << got.size() << " bytes, want " << want.size();
    EXPECT_EQ(last, blob.size()) << tool << ": progress should reach the whole archive";
  }
}

TEST(DecompressThread, ATruncatedStreamGivesTheBytesBeforeTheCutThenTheError) {
  TempDir tmp;
  const std::string want = random_bytes(6 << 20, 7);  // incompressible: the cut is ~60% in
  std::string packed = compress(tmp, want, "zstd");
  MemoryBlob blob(packed.substr(0, packed.size() * 6 / 10), "cut.zst");
  DecompressThread t(blob, nullptr);
  std::string error;
  std::string got = drain(t, &error);
  EXPECT_NE(error, "");
  // All but the last zstd block (128 KiB) before the cut.
  EXPECT_GT(got.size(), want.size() * 6 / 10 - (256 << 10));
  EXPECT_TRUE(want.compare(0, got.size(), got) == 0) << "the bytes before the cut differ";
}

TEST(DecompressThread, AReaderThatStopsEarlyReleasesTheThread) {
  TempDir tmp;
  MemoryBlob blob(compress(tmp, data_of(32 << 20), "zstd"), "big.zst");
  for (int reads = 0; reads < 4; ++reads) {
    DecompressThread t(blob, nullptr);
    ArchivePtr a(archive_read_new());
    for (int i = 0; i < reads; ++i) {
      const void* buf = nullptr;
      ASSERT_GT(DecompressThread::read(a.get(), &t, &buf), 0);
    }
  }  // each destructor must return although the thread still had data to give
}

TEST(DecompressThread, NotCompressedDataPassesThrough) {
  const std::string want = data_of(3 << 20);
  MemoryBlob blob(want, "plain");
  DecompressThread t(blob, nullptr);
  EXPECT_TRUE(drain(t) == want);
}

}  // namespace
}  // namespace ckptfs::test
