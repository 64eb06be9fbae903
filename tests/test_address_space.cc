// AddressSpace against a byte-for-byte model: whatever the layout, every read,
// every SEEK_DATA/SEEK_HOLE answer and every byte count must match a plain
// array of "data byte or hole".

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>

#include "model/address_space.h"
#include "support/image_writer.h"

namespace ckptfs::test {
namespace {

std::shared_ptr<Blob> blob(size_t size, uint32_t tag) {
  return std::make_shared<MemoryBlob>(pattern(size, tag), "blob" + std::to_string(tag));
}

std::string read(const AddressSpace& as, uint64_t addr, size_t len) {
  std::string s(len, '\x55');  // not zero: holes must be written, not skipped
  as.read(addr, s.data(), len);
  return s;
}

// The layout as bytes: model[i] is the byte at base + i, or -1 in a hole.
struct Model {
  uint64_t base;
  std::vector<int> bytes;

  std::optional<uint64_t> next_data(uint64_t addr) const {
    for (uint64_t a = std::max(addr, base); a < base + bytes.size(); ++a)
      if (bytes[a - base] >= 0) return a;
    return std::nullopt;
  }
  uint64_t next_hole(uint64_t addr) const {
    uint64_t a = addr;
    while (a >= base && a < base + bytes.size() && bytes[a - base] >= 0) ++a;
    return a;
  }
  std::string read(uint64_t addr, size_t len) const {
    std::string s(len, '\0');
    for (size_t i = 0; i < len; ++i) {
      uint64_t a = addr + i;
      if (a >= base && a < base + bytes.size() && bytes[a - base] >= 0)
        s[i] = static_cast<char>(bytes[a - base]);
    }
    return s;
  }
  uint64_t stored(uint64_t start, uint64_t end) const {
    uint64_t n = 0;
    for (uint64_t a = start; a < end; ++a)
      if (a >= base && a < base + bytes.size() && bytes[a - base] >= 0) ++n;
    return n;
  }
};

struct Added {
  uint64_t start, length;
  uint32_t blob;
  uint64_t offset;
};

// A random layout: extents of random length, separated by random holes or
// touching (the interesting case), from three blobs, some continuing the
// previous extent in its blob so that finish() can merge them.
// Returns how many non-empty extents were added.
size_t random_layout(std::mt19937_64& rng, uint64_t base, AddressSpace& as, Model& model) {
  constexpr size_t kBlobSize = 8192;
  std::vector<std::shared_ptr<Blob>> blobs = {blob(kBlobSize, 1), blob(kBlobSize, 2),
                                              blob(kBlobSize, 3)};
  std::vector<std::string> data;
  std::vector<uint32_t> ids;
  for (const auto& b : blobs) {
    data.push_back(b->read_all(kBlobSize));
    ids.push_back(as.add_blob(b));
  }
  model.base = base;
  model.bytes.assign(2048, -1);
  auto pick = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };

  std::vector<Added> added;
  uint64_t pos = pick(0, 1) ? 0 : pick(1, 40);  // sometimes data right at base
  while (true) {
    uint64_t len = pick(1, 150);
    if (pos + len > model.bytes.size()) break;
    Added a{base + pos, len, static_cast<uint32_t>(pick(0, 2)), pick(0, kBlobSize - len)};
    if (!added.empty()) {
      const Added& prev = added.back();
      uint64_t next = prev.offset + prev.length;
      if (prev.start + prev.length == a.start && next + len <= kBlobSize && pick(0, 1)) {
        a.blob = prev.blob;  // continues the previous extent: finish() may merge
        a.offset = next;
      }
    }
    added.push_back(a);
    for (uint64_t i = 0; i < len; ++i)
      model.bytes[pos + i] = static_cast<unsigned char>(data[a.blob][a.offset + i]);
    pos += len + (pick(0, 2) == 0 ? 0 : pick(1, 100));
  }
  std::shuffle(added.begin(), added.end(), rng);
  for (const Added& a : added) {
    as.add(a.start, a.length, ids[a.blob], a.offset);
    if (pick(0, 4) == 0) as.add(base + pick(0, 2048), 0, ids[0], 0);  // empty: ignored
  }
  return added.size();
}

TEST(AddressSpace, MatchesByteModelOnRandomLayouts) {
  std::mt19937_64 rng(20251115);
  size_t added = 0, kept = 0, touching = 0;
  for (int layout = 0; layout < 150; ++layout) {
    SCOPED_TRACE("layout " + std::to_string(layout));
    uint64_t base = layout % 3 == 0 ? 0x1000 : 0x7ffd12340000ull + layout * 0x10000;
    AddressSpace as;
    Model model;
    added += random_layout(rng, base, as, model);
    ASSERT_EQ(as.finish(), "");

    // The index itself: sorted, disjoint, and no mergeable neighbours left.
    const auto& ex = as.extents();
    kept += ex.size();
    for (size_t i = 1; i < ex.size(); ++i) {
      ASSERT_GE(ex[i].start, ex[i - 1].start + ex[i - 1].length);
      touching += ex[i].start == ex[i - 1].start + ex[i - 1].length;
      ASSERT_FALSE(ex[i].start == ex[i - 1].start + ex[i - 1].length &&
                   ex[i].blob == ex[i - 1].blob &&
                   ex[i].offset == ex[i - 1].offset + ex[i - 1].length)
          << "unmerged continuation at 0x" << std::hex << ex[i].start;
    }

    uint64_t lo = base - 3, hi = base + model.bytes.size() + 3;
    EXPECT_EQ(as.stored_bytes(), model.stored(lo, hi));
    EXPECT_EQ(read(as, lo, hi - lo), model.read(lo, hi - lo));

    // lseek answers at every offset: this covers every extent edge and every hole.
    for (uint64_t a = lo; a < hi; ++a) {
      ASSERT_EQ(as.next_data(a), model.next_data(a)) << "next_data(0x" << std::hex << a << ")";
      ASSERT_EQ(as.next_hole(a), model.next_hole(a)) << "next_hole(0x" << std::hex << a << ")";
    }
    std::uniform_int_distribution<uint64_t> addr(lo, hi), len(0, 600);
    for (int i = 0; i < 200; ++i) {
      uint64_t a = addr(rng), l = len(rng);
      ASSERT_EQ(read(as, a, l), model.read(a, l))
          << "read 0x" << std::hex << a << "+" << std::dec << l;
      uint64_t b = a + l;
      ASSERT_EQ(as.stored_bytes_in(a, b), model.stored(a, b))
          << "stored_bytes_in 0x" << std::hex << a;
    }
  }
  // The layouts did exercise merging and unmergeable touching extents.
  EXPECT_LT(kept, added - 100);
  EXPECT_GT(touching, 100u);
}

TEST(AddressSpace, EmptyReadsZerosAndIsAllHole) {
  AddressSpace as;
  ASSERT_EQ(as.finish(), "");
  EXPECT_EQ(read(as, 0x400000, 5000), std::string(5000, '\0'));
  EXPECT_EQ(as.next_data(0), std::nullopt);
  EXPECT_EQ(as.next_hole(0x1234), 0x1234u);
  EXPECT_EQ(as.stored_bytes(), 0u);
  EXPECT_EQ(as.stored_bytes_in(0, kUserAddressEnd), 0u);
}

TEST(AddressSpace, AdjacentExtentsFromDifferentBlobsFormOneDataRun) {
  auto a = blob(3 * kPage, 1), b = blob(kPage, 2);
  std::string da = a->read_all(3 * kPage), db = b->read_all(kPage);
  AddressSpace as;
  uint32_t ia = as.add_blob(a), ib = as.add_blob(b);
  as.add(0x3000, kPage, ia, 2 * kPage);  // same blob as the first, not its continuation
  as.add(0x2000, kPage, ib, 0);
  as.add(0x1000, kPage, ia, 0);
  as.add(0x6000, kPage, ib, 0);
  ASSERT_EQ(as.finish(), "");
  EXPECT_EQ(as.extents().size(), 4u);  // nothing to merge
  for (uint64_t addr : {0x1000ull, 0x1fffull, 0x2000ull, 0x2800ull, 0x3fffull})
    EXPECT_EQ(as.next_hole(addr), 0x4000u) << std::hex << addr;
  EXPECT_EQ(as.next_hole(0x4000), 0x4000u);
  EXPECT_EQ(as.next_data(0x4000), 0x6000u);
  EXPECT_EQ(as.next_hole(0x6000), 0x7000u);
  EXPECT_EQ(as.next_data(0x7000), std::nullopt);
  // One read across all three blob boundaries and into the hole after.
  EXPECT_EQ(read(as, 0x1800, 0x3000),
            da.substr(0x800, 0x800) + db + da.substr(2 * kPage) + std::string(0x800, '\0'));
  EXPECT_EQ(as.stored_bytes(), 4 * kPage);
  EXPECT_EQ(as.stored_bytes_in(0x1800, 0x6800), 3 * kPage);
}

TEST(AddressSpace, MergesContinuationsOfTheSameBlob) {
  auto a = blob(4 * kPage, 1);
  AddressSpace as;
  uint32_t ia = as.add_blob(a);
  EXPECT_EQ(as.add_blob(a), ia);  // the same blob is indexed once
  as.add(0x12000, kPage, ia, 2 * kPage);
  as.add(0x10000, kPage, ia, 0);
  as.add(0x11000, kPage, ia, kPage);
  ASSERT_EQ(as.finish(), "");
  ASSERT_EQ(as.extents().size(), 1u);
  EXPECT_EQ(as.extents()[0].start, 0x10000u);
  EXPECT_EQ(as.extents()[0].length, 3 * kPage);
  EXPECT_EQ(as.stored_bytes(), 3 * kPage);
  EXPECT_EQ(read(as, 0x10000, 3 * kPage), a->read_all(4 * kPage).substr(0, 3 * kPage));
}

TEST(AddressSpace, DataUpToTheEndOfTheAddressSpace) {
  auto a = blob(2 * kPage, 1);
  AddressSpace as;
  uint32_t ia = as.add_blob(a);
  as.add(kUserAddressEnd - 2 * kPage, 2 * kPage, ia, 0);
  ASSERT_EQ(as.finish(), "");
  EXPECT_EQ(as.next_data(0), kUserAddressEnd - 2 * kPage);
  EXPECT_EQ(as.next_hole(kUserAddressEnd - kPage), kUserAddressEnd);
  EXPECT_EQ(as.next_data(kUserAddressEnd), std::nullopt);
  EXPECT_EQ(read(as, kUserAddressEnd - kPage, kPage), a->read_all(2 * kPage).substr(kPage));
}

TEST(AddressSpace, FinishReportsOverlaps) {
  struct Case {
    const char* what;
    uint64_t s1, l1, s2, l2;
    const char* message;  // "" = sound
  };
  const Case cases[] = {
      {"partial", 0x1000, 0x2000, 0x2000, 0x2000,
       "pages at 0x2000-0x4000 overlap pages at 0x1000-0x3000"},
      {"contained", 0x1000, 0x4000, 0x2000, 0x1000,
       "pages at 0x2000-0x3000 overlap pages at 0x1000-0x5000"},
      {"same start", 0x1000, 0x1000, 0x1000, 0x1000,
       "pages at 0x1000-0x2000 overlap pages at 0x1000-0x2000"},
      {"one byte", 0x1000, 0x1001, 0x2000, 0x1000,
       "pages at 0x2000-0x3000 overlap pages at 0x1000-0x2001"},
      {"adjacent", 0x1000, 0x1000, 0x2000, 0x1000, ""},
      {"apart", 0x1000, 0x1000, 0x5000, 0x1000, ""},
  };
  auto b = blob(0x8000, 1);
  for (const Case& c : cases) {
    for (bool reversed : {false, true}) {
      AddressSpace as;
      uint32_t ib = as.add_blob(b);
      if (reversed) as.add(c.s2, c.l2, ib, 0x3000);
      as.add(c.s1, c.l1, ib, 0);
      if (!reversed) as.add(c.s2, c.l2, ib, 0x3000);
      EXPECT_EQ(as.finish(), c.message) << c.what << (reversed ? " (added in reverse)" : "");
    }
  }
  // An overlap far from the first extent is found too.
  AddressSpace as;
  uint32_t ib = as.add_blob(b);
  for (uint64_t i = 0; i < 100; ++i) as.add(0x100000 + i * 0x2000, kPage, ib, 0);
  as.add(0x100000 + 77 * 0x2000 + 0x800, 0x100, ib, 0);
  EXPECT_EQ(as.finish(), "pages at 0x19a800-0x19a900 overlap pages at 0x19a000-0x19b000");
}

TEST(AddressSpace, StoredBytes) {
  auto b = blob(0x10000, 1);
  AddressSpace as;
  uint32_t ib = as.add_blob(b);
  EXPECT_EQ(as.stored_bytes(), 0u);
  as.add(0x10000, 0x3000, ib, 0);
  as.add(0x20000, 0, ib, 0);  // empty: not an extent
  as.add(0x30000, 0x1000, ib, 0x5000);
  as.add(0x13000, 0x2000, ib, 0x3000);  // merges with the first
  ASSERT_EQ(as.finish(), "");
  EXPECT_EQ(as.extents().size(), 2u);
  EXPECT_EQ(as.stored_bytes(), 0x6000u);
  EXPECT_EQ(as.stored_bytes_in(0, kUserAddressEnd), 0x6000u);
  EXPECT_EQ(as.stored_bytes_in(0x11000, 0x30800), 0x4800u);
  EXPECT_EQ(as.stored_bytes_in(0x15000, 0x30000), 0u);
  EXPECT_EQ(as.stored_bytes_in(0x12000, 0x12000), 0u);
}

}  // namespace
}  // namespace ckptfs::test
