// TextSpool and the texts rendered into it (raw/*.json): small texts in
// memory, big ones moved to an unnamed temporary file, read back exactly at
// every offset, and a failed rendering leaves nothing half written.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "support/input_error.h"
#include "support/paths.h"
#include "util/error.h"
#include "vfs/fallible_text_content.h"
#include "vfs/text_spool.h"

namespace ckptfs::test {
namespace {

std::string text_of(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, ' ');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

std::string read_back(const TextSpool& t, uint64_t off, size_t len) {
  std::string out(len, '\0');
  out.resize(t.read(out.data(), len, off));
  return out;
}

TEST(TextSpool, SmallTextStaysInMemory) {
  TempDir dir;
  TextSpool t("small.json", 1000, dir.path());
  t.append("hello ");
  t.append("world");
  t.finish();
  EXPECT_FALSE(t.spilled());
  EXPECT_EQ(t.size(), 11u);
  EXPECT_EQ(read_back(t, 0, 100), "hello world");
  EXPECT_EQ(read_back(t, 6, 3), "wor");
  EXPECT_EQ(read_back(t, 11, 5), "");
  EXPECT_EQ(read_back(t, 50, 5), "");
}

TEST(TextSpool, BigTextMovesToAnUnnamedFileAndReadsBackExactly) {
  TempDir dir;
  const std::string want = text_of(3 << 20, 1);  // crosses the 1 MiB write chunks
  TextSpool t("big.json", 64 << 10, dir.path());
  std::mt19937 rng(2);
  for (size_t pos = 0; pos < want.size();) {
    size_t n = std::min<size_t>(want.size() - pos, 1 + rng() % 100000);
    t.append(std::string_view(want).substr(pos, n));
    pos += n;
  }
  t.finish();
  EXPECT_TRUE(t.spilled());
  EXPECT_EQ(t.size(), want.size());
  // Unnamed: nothing appears in the directory, even while it is in use.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_EQ(read_back(t, 0, want.size() + 10), want);
  for (int i = 0; i < 200; ++i) {
    uint64_t off = rng() % (want.size() + 10);
    size_t len = rng() % 300000;
    ASSERT_EQ(read_back(t, off, len), off < want.size() ? want.substr(off, len) : "")
        << "at " << off << " for " << len;
  }
}

TEST(TextSpool, NoUsableDirectoryIsAnError) {
  TextSpool t("x.json", 10, "/nonexistent/ckptfs-spool");
  EXPECT_THROW(
      {
        t.append(std::string(100, 'x'));
        t.finish();
      },
      std::exception);
}

TEST(FallibleTextContent, BigRenderingsReadBackWholeAndAtOffsets) {
  const std::string want = text_of((TextSpool::kDefaultMemoryLimit * 3) / 2, 3);
  FallibleTextContent c("big.json", [&](TextSpool& out) {
    for (size_t pos = 0; pos < want.size(); pos += 4096)
      out.append(std::string_view(want).substr(pos, 4096));
  });
  EXPECT_FALSE(c.size_known());
  EXPECT_EQ(c.size(), want.size());
  EXPECT_TRUE(c.size_known());
  std::string got(want.size(), '\0');
  for (uint64_t off = 0; off < want.size(); off += 131072)
    c.read(got.data() + off, std::min<uint64_t>(131072, want.size() - off), off);
  EXPECT_EQ(got, want);
}

TEST(FallibleTextContent, AFailedRenderingKeepsNoPartialText) {
  int calls = 0;
  FallibleTextContent c("bad.json", [&](TextSpool& out) {
    ++calls;
    out.append(std::string(100, 'x'));
    fail("ckpt/pagemap-1.img", "entry 3: not a valid pagemap_entry message (corrupt image)");
  });
  EXPECT_EQ(c.size(), FallibleTextContent::kFailedSize);
  char buf[16];
  EXPECT_TRUE(
      Mentions(error_of([&] { c.read(buf, sizeof buf, 0); }), "ckpt/pagemap-1.img", {"entry 3"}));
  EXPECT_EQ(calls, 1) << "an input error is remembered, not rendered again";
}

TEST(FallibleTextContent, OtherErrorsAreRetriedFromScratch) {
  int calls = 0;
  FallibleTextContent c("flaky.json", [&](TextSpool& out) {
    out.append("partial ");
    if (++calls == 1) throw std::runtime_error("EIO reading the archive");
    out.append("whole");
  });
  EXPECT_THROW(c.size(), std::runtime_error);
  EXPECT_EQ(c.size(), 13u);
  char buf[32];
  EXPECT_EQ(std::string(buf, c.read(buf, sizeof buf, 0)), "partial whole");
}

}  // namespace
}  // namespace ckptfs::test
