// The hand decoder of pagemap_entry against protobuf's generated parser: the
// same verdict and the same fields for every input, on CRIU's own entries,
// on entries in every encoding protobuf allows, and on random bytes.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <optional>
#include <random>

#include "images/image_reader.h"
#include "images/magic.h"
#include "images/pagemap_entry.h"
#include "pagemap.pb.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

// What the generated parser says, in the decoder's terms.
std::optional<PagemapEntry> reference(std::string_view b) {
  criu::pagemap_entry m;
  if (!m.ParseFromArray(b.data(), static_cast<int>(b.size()))) return std::nullopt;
  return PagemapEntry{m.vaddr(),        m.nr_pages(),  m.compat_nr_pages(), m.flags(),
                      m.has_nr_pages(), m.has_flags(), m.in_parent()};
}

std::string describe(const std::optional<PagemapEntry>& e) {
  if (!e) return "invalid";
  return fmt::format("vaddr {:#x} nr_pages {} (has {}) compat {} flags {} (has {}) in_parent {}",
                     e->vaddr, e->nr_pages, e->has_nr_pages, e->compat_nr_pages, e->flags,
                     e->has_flags, e->in_parent);
}

// Returns "" when both agree, else what each said.
std::string disagreement(std::string_view b) {
  PagemapEntry got;
  std::optional<PagemapEntry> mine;
  if (decode_pagemap_entry(b, got)) mine = got;
  std::string a = describe(mine), want = describe(reference(b));
  return a == want ? "" : "decoder: " + a + "; protobuf: " + want;
}

std::string hex(std::string_view b) {
  std::string s;
  for (unsigned char c : b) s += fmt::format("{:02x}", c);
  return s;
}

void put_varint(std::string& out, uint64_t v, size_t min_bytes = 1) {
  for (size_t i = 0; v >= 0x80 || i + 1 < min_bytes; ++i) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

TEST(PagemapEntry, CriusOwnEntriesInTheRealFixturesDecodeAlike) {
  size_t entries = 0;
  for (const auto& d : {fixture("proc-tree")}) {
    for (const auto& f : std::filesystem::directory_iterator(d)) {
      std::string n = f.path().filename();
      if (!n.starts_with("pagemap-")) continue;
      std::string data = read_file(f.path());
      ImageReader r(n, data, magic::kPagemap);
      std::string_view b;
      ASSERT_TRUE(r.next(b));  // the head
      while (r.next(b)) {
        ++entries;
        ASSERT_EQ(disagreement(b), "") << n << " entry " << r.entry_index() << ": " << hex(b);
        PagemapEntry e;
        ASSERT_TRUE(decode_pagemap_entry(b, e));
        EXPECT_TRUE(e.has_nr_pages) << "CRIU 4.2 writes field 5";
      }
    }
  }
  EXPECT_GT(entries, 20u);
}

TEST(PagemapEntry, EveryEncodingProtobufAcceptsDecodesAlike) {
  std::mt19937_64 rng(5);
  auto value = [&]() -> uint64_t {
    switch (rng() % 5) {
      case 0:
        return rng() % 2;
      case 1:
        return rng() % 300;
      case 2:
        return rng() & 0xffffffffu;
      case 3:
        return ~uint64_t(0) - rng() % 3;
      default:
        return rng();
    }
  };
  for (int i = 0; i < 20000; ++i) {
    std::string b;
    int fields = static_cast<int>(rng() % 7);
    for (int f = 0; f < fields; ++f) {
      uint32_t num = static_cast<uint32_t>(1 + rng() % 7);  // 6 and 7 are unknown fields
      uint32_t wire = rng() % 4 == 0 ? std::array{1u, 2u, 5u}[rng() % 3] : 0u;
      put_varint(b, (num << 3) | wire, rng() % 8 == 0 ? 2 : 1);  // sometimes an overlong tag
      switch (wire) {
        case 0:
          put_varint(b, value(), rng() % 8 == 0 ? 1 + rng() % 10 : 1);
          break;
        case 1:
          b.append(8, static_cast<char>(rng()));
          break;
        case 5:
          b.append(4, static_cast<char>(rng()));
          break;
        case 2: {
          size_t n = rng() % 5;
          put_varint(b, n);
          b.append(n, 'x');
          break;
        }
      }
    }
    ASSERT_EQ(disagreement(b), "") << hex(b);
  }
}

TEST(PagemapEntry, DamagedAndRandomBytesGetTheSameVerdict) {
  std::mt19937_64 rng(7);
  criu::pagemap_entry m;
  m.set_vaddr(0x7ffd12345000);
  m.set_compat_nr_pages(0);
  m.set_flags(4);
  m.set_nr_pages(123456);
  const std::string good = m.SerializeAsString();
  int invalid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string b = good;
    switch (i % 4) {
      case 0:  // flipped bits
        for (int k = 0; k < 1 + i % 3; ++k)
          b[rng() % b.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:  // cut short
        b.resize(rng() % b.size());
        break;
      case 2:  // continuation bits everywhere: varints running off the end
        b += static_cast<char>(0x80 | rng());
        break;
      default:  // random bytes
        b.resize(rng() % 24);
        for (char& c : b) c = static_cast<char>(rng());
    }
    ASSERT_EQ(disagreement(b), "") << hex(b);
    invalid += !reference(b);
  }
  EXPECT_GT(invalid, 1000) << "the damage should make many entries invalid";
}

TEST(PagemapEntry, OverlongVarintsAndTenthBytes) {
  for (std::string b : {std::string("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11),
                        std::string("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 11),
                        std::string("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 12),
                        std::string("\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11),
                        std::string("\x10\xff\xff\xff\xff\x1f", 6), std::string("\x08", 1),
                        std::string("\x00\x00", 2), std::string("\x18\x02", 2)})
    EXPECT_EQ(disagreement(b), "") << hex(b);
}

}  // namespace
}  // namespace ckptfs::test
