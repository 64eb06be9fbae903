// read_ghost_file on synthetic images (tests/support/image_writer.h): a
// deleted file's content as CRIU saves it, whole or in chunks with holes,
// and the sizes a corrupt header or chunk may claim refused with one line
// naming the image, before anything is read or shown.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "ghost.pb.h"
#include "images/magic.h"
#include "model/ghost_file.h"
#include "support/image_writer.h"
#include "support/input_error.h"

namespace ckptfs::test {
namespace {

constexpr const char* kName = "checkpoint/ghost-file-1.img";

struct Chunk {
  uint64_t off;
  std::string data;
};

// A chunked ghost image: header (size when given), then each chunk entry
// followed by its bytes.
std::shared_ptr<const Blob> chunked(std::optional<uint64_t> size,
                                    const std::vector<Chunk>& chunks) {
  criu::ghost_file_entry h;
  h.set_uid(0);
  h.set_gid(0);
  h.set_mode(S_IFREG | 0644);
  h.set_chunks(true);
  if (size) h.set_size(*size);
  std::string img = image(magic::kCommon, magic::kGhostFile, {h.SerializeAsString()});
  for (const Chunk& c : chunks) {
    criu::ghost_chunk_entry e;
    e.set_off(c.off);
    e.set_len(c.data.size());
    img += entry(e.SerializeAsString()) + c.data;
  }
  return std::make_shared<MemoryBlob>(img, kName);
}

std::string read_at(const Blob& b, uint64_t off, size_t len) {
  std::string s(len, '\x55');
  b.pread(s.data(), len, off);
  return s;
}

TEST(GhostFile, WholeContentFollowsTheHeader) {
  criu::ghost_file_entry h;
  h.set_uid(0);
  h.set_gid(0);
  h.set_mode(S_IFREG | 0600);
  h.set_size(12);
  auto img = std::make_shared<MemoryBlob>(
      image(magic::kCommon, magic::kGhostFile, {h.SerializeAsString()}) + "deleted data", kName);
  GhostFile g = read_ghost_file(kName, img);
  ASSERT_TRUE(g.content);
  EXPECT_EQ(g.content->read_all(1 << 20), "deleted data");
}

TEST(GhostFile, ASparseFileOfATebibyteKeepsItsHoles) {
  constexpr uint64_t kTiB = uint64_t{1} << 40;
  GhostFile g = read_ghost_file(kName, chunked(kTiB, {{0, "head"}, {kTiB - 4, "tail"}}));
  ASSERT_TRUE(g.content);
  EXPECT_EQ(g.content->size(), kTiB);
  EXPECT_EQ(read_at(*g.content, 0, 6), std::string("head\0\0", 6));
  EXPECT_EQ(read_at(*g.content, kTiB / 2, 4), std::string(4, '\0'));
  EXPECT_EQ(read_at(*g.content, kTiB - 6, 6), std::string("\0\0tail", 6));
}

TEST(GhostFile, WithoutASizeTheFileEndsWithItsLastChunk) {
  GhostFile g = read_ghost_file(kName, chunked(std::nullopt, {{8192, "x"}}));
  ASSERT_TRUE(g.content);
  EXPECT_EQ(g.content->size(), 8193u);
}

TEST(GhostFile, ASizeNoFileCanHaveIsRefused) {
  for (uint64_t size : {uint64_t{1} << 63, std::numeric_limits<uint64_t>::max()}) {
    SCOPED_TRACE(size);
    EXPECT_TRUE(Mentions(error_of([&] {
                           read_ghost_file(kName, chunked(size, {{0, "a"}}));
                         }),
                         std::string(kName) + ": ",
                         {std::to_string(size), "larger than any file"}));
  }
}

TEST(GhostFile, AChunkPastTheFilesSizeIsRefused) {
  EXPECT_TRUE(Mentions(error_of([&] {
                         read_ghost_file(kName, chunked(100, {{98, "abc"}}));
                       }),
                       std::string(kName) + ": ", {"3 bytes at offset 98", "100-byte file"}));
  // Without a size, a chunk whose end would wrap around 2^64.
  uint64_t near_end = std::numeric_limits<uint64_t>::max() - 1;
  EXPECT_TRUE(Mentions(error_of([&] {
                         read_ghost_file(kName, chunked(std::nullopt, {{near_end, "abc"}}));
                       }),
                       std::string(kName) + ": ",
                       {"offset " + std::to_string(near_end), "past the end"}));
  // Within off_t, but past its end.
  uint64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_TRUE(Mentions(error_of([&] {
                         read_ghost_file(kName, chunked(std::nullopt, {{max - 1, "abc"}}));
                       }),
                       std::string(kName) + ": ", {"past the end"}));
}

TEST(GhostFile, OverlappingChunksAreRefused) {
  EXPECT_TRUE(Mentions(error_of([&] {
                         read_ghost_file(kName, chunked(100, {{10, "abcd"}, {12, "ef"}}));
                       }),
                       std::string(kName) + " (content): ", {"overlaps"}));
}

}  // namespace
}  // namespace ckptfs::test
