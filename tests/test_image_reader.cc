// CRIU image framing (criu-image-format.md §1.3): head magic, type magic,
// length-prefixed entries, extra payloads, and every way the bytes can lie.

#include <gtest/gtest.h>

#include "images/image_reader.h"
#include "images/magic.h"
#include "inventory.pb.h"
#include "pstree.pb.h"
#include "support/image_writer.h"
#include "support/input_error.h"

namespace ckptfs::test {
namespace {

std::string pstree_msg(uint32_t pid) {
  criu::pstree_entry e;
  e.set_pid(pid);
  e.set_ppid(0);
  e.add_threads(pid);
  return e.SerializeAsString();
}

TEST(ImageReader, HeadMagicThenTypeMagicThenEntries) {
  ImageReader r("pstree.img",
                image(magic::kCommon, magic::kPstree, {pstree_msg(1), pstree_msg(42)}),
                magic::kPstree);
  EXPECT_EQ(r.type_magic(), magic::kPstree);
  EXPECT_FALSE(r.service());
  EXPECT_EQ(r.offset(), 8u);
  criu::pstree_entry e;
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.pid(), 1u);
  EXPECT_EQ(r.entry_index(), 0u);
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.pid(), 42u);
  EXPECT_EQ(r.entry_index(), 1u);
  EXPECT_FALSE(r.next(e));
  EXPECT_FALSE(r.next(e));  // stays at the end
}

TEST(ImageReader, InventoryHasNoHeadMagic) {
  criu::inventory_entry inv;
  inv.set_img_version(2);
  std::string bytes = image(0, magic::kInventory, {inv.SerializeAsString()});
  ImageReader r("inventory.img", bytes, magic::kInventory);
  EXPECT_EQ(r.type_magic(), magic::kInventory);
  EXPECT_EQ(r.offset(), 4u);
  criu::inventory_entry got;
  ASSERT_TRUE(r.next(got));
  EXPECT_EQ(got.img_version(), 2u);
  EXPECT_FALSE(r.next(got));
}

TEST(ImageReader, ServiceMagic) {
  ImageReader r("stats-dump", image(magic::kService, magic::kStats, {"\x08\x01"}), magic::kStats);
  EXPECT_TRUE(r.service());
  EXPECT_EQ(r.type_magic(), magic::kStats);
  std::string_view m;
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m, "\x08\x01");
}

TEST(ImageReader, ExpectedMagicZeroAcceptsAnyType) {
  ImageReader r("x.img", image(magic::kCommon, 0x12345678, {}), 0);
  EXPECT_EQ(r.type_magic(), 0x12345678u);
}

TEST(ImageReader, ZeroEntriesAndEmptyEntries) {
  ImageReader none("files.img", image(magic::kCommon, magic::kFiles, {}), magic::kFiles);
  std::string_view m;
  EXPECT_FALSE(none.next(m));

  // A message with every field at its default serializes to nothing: length 0.
  ImageReader empty("files.img", image(magic::kCommon, magic::kFiles, {"", ""}), magic::kFiles);
  ASSERT_TRUE(empty.next(m));
  EXPECT_TRUE(m.empty());
  ASSERT_TRUE(empty.next(m));
  EXPECT_FALSE(empty.next(m));
}

TEST(ImageReader, TruncatedMagics) {
  EXPECT_TRUE(Mentions(error_of([] { ImageReader("core-1.img", "", magic::kCore); }),
                       "core-1.img: ", {"truncated", "no image magic"}));
  EXPECT_TRUE(Mentions(error_of([] { ImageReader("core-1.img", "\x19\x43", magic::kCore); }),
                       "core-1.img: ", {"no image magic"}));
  EXPECT_TRUE(
      Mentions(error_of([] { ImageReader("core-1.img", le32(magic::kCommon), magic::kCore); }),
               "core-1.img: ", {"no type magic"}));
  EXPECT_TRUE(Mentions(
      error_of([] { ImageReader("core-1.img", le32(magic::kCommon) + "\x47\x38", magic::kCore); }),
      "core-1.img: ", {"no type magic"}));
}

TEST(ImageReader, TruncatedLengthWord) {
  for (int extra = 1; extra <= 3; ++extra) {
    ImageReader r(
        "pstree.img",
        image(magic::kCommon, magic::kPstree, {pstree_msg(1)}) + std::string(extra, '\x05'),
        magic::kPstree);
    std::string_view m;
    ASSERT_TRUE(r.next(m));
    EXPECT_TRUE(Mentions(error_of([&] { r.next(m); }),
                         "pstree.img: ", {"entry 1", "truncated length word"}))
        << extra << " stray bytes";
  }
}

TEST(ImageReader, LengthPastEndOfFile) {
  std::string bytes = image(magic::kCommon, magic::kPstree, {pstree_msg(1)}) + le32(100) + "abc";
  ImageReader r("pstree.img", bytes, magic::kPstree);
  std::string_view m;
  ASSERT_TRUE(r.next(m));
  EXPECT_TRUE(Mentions(error_of([&] { r.next(m); }),
                       "pstree.img: ", {"entry 1", "length 100", "past the end", "3 bytes left"}));

  // One byte short of a complete entry is still an error, not a short read.
  std::string msg = pstree_msg(7);
  ImageReader r2("pstree.img",
                 le32(magic::kCommon) + le32(magic::kPstree) +
                     le32(static_cast<uint32_t>(msg.size())) + msg.substr(0, msg.size() - 1),
                 magic::kPstree);
  EXPECT_TRUE(Mentions(error_of([&] { r2.next(m); }), "pstree.img: ", {"entry 0", "past the end"}));
}

TEST(ImageReader, ImplausibleLength) {
  std::string head = le32(magic::kCommon) + le32(magic::kPagemap);
  ImageReader r("pagemap-1.img", head + le32(kMaxEntrySize + 1) + "xxxx", magic::kPagemap);
  std::string_view m;
  EXPECT_TRUE(
      Mentions(error_of([&] { r.next(m); }), "pagemap-1.img: ", {"entry 0", "implausible"}));
  ImageReader r2("pagemap-1.img", head + le32(0xffffffff), magic::kPagemap);
  EXPECT_TRUE(Mentions(error_of([&] { r2.next(m); }), "pagemap-1.img: ", {"implausible"}));
  // The limit itself is plausible: this one merely runs past the end.
  ImageReader r3("pagemap-1.img", head + le32(kMaxEntrySize), magic::kPagemap);
  std::string err = error_of([&] { r3.next(m); });
  EXPECT_TRUE(Mentions(err, "pagemap-1.img: ", {"past the end"}));
  EXPECT_EQ(err.find("implausible"), std::string::npos) << err;
}

TEST(ImageReader, WrongMagicNamesTheFile) {
  std::string mm = image(magic::kCommon, magic::kMm, {});
  EXPECT_EQ(error_of([&] { ImageReader("checkpoint/core-7.img", mm, magic::kCore); }),
            "checkpoint/core-7.img: wrong magic 0x57492820 (expected 0x55053847)");
  // Inventory magic where a head-magic image is expected, and the reverse.
  EXPECT_TRUE(Mentions(
      error_of([] { ImageReader("pstree.img", image(0, magic::kInventory, {}), magic::kPstree); }),
      "pstree.img: ", {"wrong magic"}));
  EXPECT_TRUE(Mentions(error_of([] {
                         ImageReader("inventory.img", image(magic::kCommon, magic::kPstree, {}),
                                     magic::kInventory);
                       }),
                       "inventory.img: ", {"wrong magic 0x50273030"}));
  // Garbage: the first word is taken as the type magic.
  EXPECT_TRUE(Mentions(error_of([] { ImageReader("mm-1.img", "garbage!", magic::kMm); }),
                       "mm-1.img: ", {"wrong magic"}));
}

std::string be32(uint32_t v) { return le32(__builtin_bswap32(v)); }

TEST(ImageReader, BigEndianDumpsAreRecognised) {
  EXPECT_TRUE(Mentions(error_of([] {
                         ImageReader("core-1.img", be32(magic::kCommon) + be32(magic::kCore),
                                     magic::kCore);
                       }),
                       "core-1.img: ", {"big-endian"}));
  EXPECT_TRUE(Mentions(
      error_of([] { ImageReader("inventory.img", be32(magic::kInventory), magic::kInventory); }),
      "inventory.img: ", {"big-endian"}));
  // Service files carry the service head magic, byte-swapped the same way.
  EXPECT_TRUE(Mentions(error_of([] {
                         ImageReader("stats-dump", be32(magic::kService) + be32(magic::kStats),
                                     magic::kStats);
                       }),
                       "stats-dump: ", {"big-endian"}));
}

TEST(ImageReader, ExtraPayloadsAndRest) {
  // pipes-data.img style: each entry followed by the bytes it announces.
  std::string bytes = le32(magic::kCommon) + le32(magic::kPipesData) + entry("\x08\x01\x10\x05") +
                      "hello" + entry("\x08\x02\x10\x00") + entry("\x08\x03\x10\x03") + "abc" +
                      "tail";
  ImageReader r("pipes-data.img", bytes, magic::kPipesData);
  std::string_view m;
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(r.extra(5), "hello");
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(r.extra(0), "");
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(r.entry_index(), 2u);
  EXPECT_EQ(r.extra(3), "abc");
  EXPECT_EQ(r.rest(), "tail");
  EXPECT_FALSE(r.next(m));

  ImageReader short_payload("pipes-data.img",
                            le32(magic::kCommon) + le32(magic::kPipesData) + entry("m") + "abc",
                            magic::kPipesData);
  ASSERT_TRUE(short_payload.next(m));
  EXPECT_TRUE(Mentions(error_of([&] { short_payload.extra(4); }),
                       "pipes-data.img: ", {"entry 0", "payload of 4 bytes", "past the end"}));
  EXPECT_EQ(short_payload.extra(3), "abc");  // the failed call consumed nothing
}

TEST(ImageReader, InvalidProtobufNamesEntryAndType) {
  // Field 1 as a length-delimited value claiming 16 bytes, only 3 present.
  std::string bytes = image(magic::kCommon, magic::kPstree,
                            {pstree_msg(1),
                             "\x0a\x10"
                             "abc"});
  ImageReader r("pstree.img", bytes, magic::kPstree);
  criu::pstree_entry e;
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(error_of([&] { r.next(e); }),
            "pstree.img: entry 1: not a valid pstree_entry message (corrupt image)");
}

// A blob that claims a size it never has to deliver.
class HugeBlob : public Blob {
 public:
  uint64_t size() const override { return kMaxImageSize + 1; }
  void pread(void*, size_t, uint64_t) const override {
    ADD_FAILURE() << "read a blob that is too large";
  }
  const std::string& origin() const override { return origin_; }

 private:
  std::string origin_ = "huge";
};

TEST(ImageReader, FromBlob) {
  MemoryBlob blob(image(magic::kCommon, magic::kPstree, {pstree_msg(3)}), "mem");
  ImageReader r = ImageReader::from_blob("pstree.img", blob, magic::kPstree);
  criu::pstree_entry e;
  ASSERT_TRUE(r.next(e));
  EXPECT_EQ(e.pid(), 3u);
  EXPECT_EQ(r.name(), "pstree.img");

  EXPECT_TRUE(Mentions(
      error_of([] { ImageReader::from_blob("pagemap-1.img", HugeBlob(), magic::kPagemap); }),
      "pagemap-1.img: ", {"implausibly large"}));
}

}  // namespace
}  // namespace ckptfs::test
