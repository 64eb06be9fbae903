// /procs/<pid>/hexdump and /containers/<name>/memory{,.json}: the hexdump
// Content on synthetic address spaces (layout, exact size, lazy random reads,
// byte-for-byte agreement with `hexdump -C`), then the memparse workflow
// through a real mount of the fixtures with grep, tail, head and jq.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "support/fixture_test.h"
#include "support/groundtruth.h"
#include "support/mount.h"
#include "support/paths.h"
#include "vfs/hexdump_content.h"
#include "vfs/views/info.h"
#include "vfs/views/memory_table.h"

namespace ckptfs::test {
namespace {

constexpr uint64_t kW = kHexdumpLineWidth;

std::string read_all(const Content& c, size_t chunk = 4096) {
  std::string out;
  std::string buf(chunk, '\0');
  for (uint64_t off = 0;;) {
    size_t n = c.read(buf.data(), buf.size(), off);
    if (n == 0) break;
    out.append(buf.data(), n);
    off += n;
  }
  return out;
}

std::string read_at(const Content& c, uint64_t off, size_t len) {
  std::string buf(len, '\0');
  buf.resize(c.read(buf.data(), len, off));
  return buf;
}

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + seed + i / 4096) & 0xff);
  return s;
}

Vma vma(uint64_t start, uint64_t end, std::string path, uint32_t prot = 3) {
  Vma v;
  v.start = start;
  v.end = end;
  v.prot = prot;
  v.path = std::move(path);
  return v;
}

std::string line_at(const std::string& text, uint64_t line) { return text.substr(line * kW, kW); }

// Two runs with a gap between them, from one blob.
struct TwoRuns {
  TwoRuns() {
    blob = std::make_shared<MemoryBlob>(pattern(3 * kPageSize, 1), "pages-1.img");
    uint32_t b = as.add_blob(blob);
    as.add(0x10000, kPageSize, b, 0);
    as.add(0x7f0000020000, 2 * kPageSize, b, kPageSize);
    EXPECT_EQ(as.finish(), "");
    vmas = {vma(0x10000, 0x12000, ""),
            vma(0x7f0000020000, 0x7f0000030000, "/usr/lib/libc.so.6", 5)};
  }
  std::shared_ptr<MemoryBlob> blob;
  AddressSpace as;
  std::vector<Vma> vmas;
};

TEST(HexdumpContent, TwoRunsWithAGapEachGetASeparatorNamingTheirVma) {
  TwoRuns f;
  HexdumpContent c(f.as, f.vmas);
  EXPECT_EQ(c.size(), (1 + 256 + 1 + 512) * kW);
  std::string text = read_all(c);
  ASSERT_EQ(text.size(), c.size());
  std::string sep1 = line_at(text, 0), sep2 = line_at(text, 257);
  EXPECT_TRUE(sep1.starts_with("-- 00010000-00012000 rw-p [anon] --   ")) << sep1;
  EXPECT_TRUE(sep2.starts_with("-- 7f0000020000-7f0000030000 r-xp /usr/lib/libc.so.6 --  "))
      << sep2;
  EXPECT_EQ(sep1.find_first_not_of(' ', 35), kW - 1);
  EXPECT_EQ(sep1.back(), '\n');
  EXPECT_TRUE(line_at(text, 1).starts_with("0000000000010000  ")) << line_at(text, 1);
  EXPECT_TRUE(line_at(text, 256).starts_with("0000000000010ff0  "));
  EXPECT_TRUE(line_at(text, 258).starts_with("00007f0000020000  "));
  EXPECT_TRUE(line_at(text, 257 + 512).starts_with("00007f0000021ff0  "));
  // Every line has the same width, so line i starts at i * width.
  for (uint64_t i = 0; i < c.size() / kW; ++i)
    ASSERT_EQ(text.find('\n', i * kW), i * kW + kW - 1) << i;
}

TEST(HexdumpContent, AdjacentExtentsFromTwoBlobsAreOneRunWithoutSeparator) {
  AddressSpace as;
  uint32_t a = as.add_blob(std::make_shared<MemoryBlob>(pattern(kPageSize, 1), "pages-1.img"));
  uint32_t b = as.add_blob(std::make_shared<MemoryBlob>(pattern(kPageSize, 2), "pages-2.img"));
  as.add(0x400000, kPageSize, a, 0);
  as.add(0x401000, kPageSize, b, 0);
  ASSERT_EQ(as.finish(), "");
  ASSERT_EQ(as.extents().size(), 2u) << "two blobs stay two extents";
  std::vector<Vma> vmas{vma(0x400000, 0x401000, "[heap]"),
                        vma(0x401000, 0x500000, "/dev/zero (deleted)")};
  HexdumpContent c(as, vmas);
  EXPECT_EQ(c.size(), (1 + 512) * kW);
  std::string text = read_all(c);
  size_t separators = 0;
  for (uint64_t i = 0; i < c.size() / kW; ++i) separators += line_at(text, i).starts_with("-- ");
  EXPECT_EQ(separators, 1u);
  EXPECT_TRUE(text.starts_with("-- 00400000-00401000 rw-p [heap] --"));
  EXPECT_TRUE(line_at(text, 256).starts_with("0000000000400ff0  "));
  EXPECT_TRUE(line_at(text, 257).starts_with("0000000000401000  "));
}

TEST(HexdumpContent, EmptyAddressSpaceIsAnEmptyFile) {
  AddressSpace as;
  ASSERT_EQ(as.finish(), "");
  const std::vector<Vma> no_vmas;
  HexdumpContent c(as, no_vmas);
  EXPECT_EQ(c.size(), 0u);
  char buf[16];
  EXPECT_EQ(c.read(buf, sizeof buf, 0), 0u);
}

TEST(HexdumpContent, RandomOffsetReadsEqualTheSequentialRead) {
  TwoRuns f;
  HexdumpContent c(f.as, f.vmas);
  std::string all = read_all(c, 4096);
  EXPECT_EQ(read_all(c, 1), all) << "one byte at a time";
  EXPECT_EQ(read_all(c, 1 << 20), all) << "in one read";
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    uint64_t off = rng() % (c.size() + 100);
    size_t len = static_cast<size_t>(rng() % (i % 10 == 0 ? 50000 : 300));
    std::string got = read_at(c, off, len);
    std::string want = off < all.size() ? all.substr(off, len) : "";
    ASSERT_EQ(got, want) << "off " << off << " len " << len;
  }
}

TEST(HexdumpContent, DataLinesAreWhatHexdumpPrints) {
  // Every byte value, plus lines of the edge cases of the ASCII column.
  std::string data;
  for (int i = 0; i < 256; ++i) data += static_cast<char>(i);
  data += std::string("\x1f\x20\x7e\x7f\x80\xff\x00\x09\x0a\x0d\x41\x5a\x61\x7a\x30\x39", 16);
  data += pattern(kPageSize - data.size(), 3);
  AddressSpace as;
  uint32_t b = as.add_blob(std::make_shared<MemoryBlob>(data, "pages-1.img"));
  as.add(0x55996b20a000, kPageSize, b, 0);
  ASSERT_EQ(as.finish(), "");
  const std::vector<Vma> vmas = {vma(0x55996b20a000, 0x55996b20b000, "")};
  HexdumpContent c(as, vmas);
  std::string ours = read_all(c);

  TempDir tmp;
  write_file(tmp / "page", data);
  // -v: a test page may hold identical lines, and ours never folds them.
  auto r = run("hexdump -C -v " + shell_quote(tmp / "page"));
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  std::string theirs;
  for (uint64_t i = 0; i < kPageSize / 16; ++i) {
    ASSERT_TRUE(std::getline(in, theirs));
    std::string line = line_at(ours, 1 + i);
    char addr[17];
    std::snprintf(addr, sizeof addr, "%016llx", 0x55996b20a000ull + i * 16);
    EXPECT_EQ(line.substr(0, 16), addr);
    // Only the address is wider: 16 digits instead of hexdump's 8.
    EXPECT_EQ(line.substr(16), theirs.substr(8) + "\n") << i;
  }
}

TEST(HexdumpContent, RunsOfIdenticalLinesAreNotFolded) {
  AddressSpace as;
  uint32_t b =
      as.add_blob(std::make_shared<MemoryBlob>(std::string(kPageSize, '\0'), "pages-1.img"));
  as.add(0x1000, kPageSize, b, 0);
  ASSERT_EQ(as.finish(), "");
  const std::vector<Vma> no_vmas;
  HexdumpContent c(as, no_vmas);
  std::string text = read_all(c);
  EXPECT_EQ(text.find('*'), std::string::npos);
  EXPECT_TRUE(line_at(text, 256).starts_with("0000000000001ff0  00 00"));
}

TEST(HexdumpContent, SeparatorKeepsTheWidthWithLongOrHostileNames) {
  std::string hostile = "/tmp/evil\nname\x01";
  std::string s = render_hexdump_separator(nullptr, 0x1000, 0x3000);
  EXPECT_EQ(s.size(), kW);
  EXPECT_TRUE(s.starts_with("-- 00001000-00003000 ---- [no VMA] --")) << s;
  Vma v = vma(0x7ffff7dd0000, 0x7ffff7dd1000, hostile);
  s = render_hexdump_separator(&v, 0, 0);
  EXPECT_EQ(s.size(), kW);
  EXPECT_EQ(s.find('\n'), kW - 1);
  EXPECT_NE(s.find("/tmp/evil?name? --"), std::string::npos) << s;
  v = vma(0xffffffffff600000, 0xffffffffff601000,
          "/very/long/" + std::string(200, 'd') + "/lib.so");
  s = render_hexdump_separator(&v, 0, 0);
  EXPECT_EQ(s.size(), kW);
  EXPECT_TRUE(s.starts_with("-- ffffffffff600000-ffffffffff601000 rw-p ...")) << s;
  EXPECT_TRUE(s.ends_with("dd/lib.so --\n")) << s;
  // A cut never starts inside a UTF-8 sequence.
  std::string utf8;
  for (int i = 0; i < 40; ++i) utf8 += "\xc3\xa9";
  v = vma(0x1000, 0x2000, "/" + utf8 + "x");
  s = render_hexdump_separator(&v, 0, 0);
  EXPECT_EQ(s.size(), kW);
  size_t dots = s.find("...");
  ASSERT_NE(dots, std::string::npos);
  EXPECT_EQ(static_cast<unsigned char>(s[dots + 3]), 0xc3) << s;
}

// Serves a synthetic multi-GiB blob and counts what is read from it.
class CountingBlob : public Blob {
 public:
  explicit CountingBlob(uint64_t size) : size_(size) {}
  uint64_t size() const override { return size_; }
  void pread(void* buf, size_t len, uint64_t off) const override {
    read_ += len;
    auto* p = static_cast<unsigned char*>(buf);
    for (size_t i = 0; i < len; ++i) p[i] = static_cast<unsigned char>((off + i) * 13);
  }
  const std::string& origin() const override { return origin_; }
  uint64_t bytes_read() const { return read_; }

 private:
  uint64_t size_;
  std::string origin_ = "synthetic";
  mutable std::atomic<uint64_t> read_{0};
};

TEST(HexdumpContent, AReadRendersOnlyTheLinesItCoversEvenForManyGiB) {
  constexpr uint64_t kSize = 8ull << 30;
  auto blob = std::make_shared<CountingBlob>(kSize);
  AddressSpace as;
  uint32_t b = as.add_blob(blob);
  as.add(0x7f0000000000, kSize / 2, b, 0);
  as.add(0x7f8000000000, kSize / 2, b, kSize / 2);
  ASSERT_EQ(as.finish(), "");
  const std::vector<Vma> no_vmas;
  HexdumpContent c(as, no_vmas);
  uint64_t lines = 2 + kSize / 16;
  ASSERT_EQ(c.size(), lines * kW);
  auto t0 = std::chrono::steady_clock::now();
  std::string tail = read_at(c, c.size() - 100, 100);
  auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LE(blob->bytes_read(), 32u) << "tail -c 100 touches two lines";
  EXPECT_TRUE(tail.ends_with("|\n"));
  EXPECT_NE(tail.find("\n00007f80fffffff0  "), std::string::npos) << tail;
  std::string mid = read_at(c, (1 + kSize / 2 / 16) * kW, 2 * kW);
  EXPECT_TRUE(mid.starts_with("-- 7f8000000000-7f8100000000 ---- [no VMA] --")) << mid;
  EXPECT_TRUE(
      mid.ends_with("\n00007f8000000000  00 0d 1a 27 34 41 4e 5b  68 75 82 8f 9c a9 b6 c3  "
                    "|...'4AN[hu......|\n"))
      << mid;
  EXPECT_LE(blob->bytes_read(), 64u);
  std::cout << "[ measure ] tail -c 100 of an 8 GiB process (" << c.size()
            << " bytes of text): " << us << " us\n";
}

// ---- /containers/<name>/memory on a synthetic checkpoint ----

TEST(MemoryViews, TableAndJsonCountPrivateAndSharedPagesApart) {
  Checkpoint c;
  c.name = "web";
  Process& p = c.procs[1];
  p.pid = 1;
  p.comm = "nginx";
  uint32_t priv =
      p.memory.add_blob(std::make_shared<MemoryBlob>(pattern(3 * kPageSize, 1), "pages-1.img"));
  uint32_t shm =
      p.memory.add_blob(std::make_shared<MemoryBlob>(pattern(kPageSize, 2), "pages-2.img"));
  p.memory.add(0x1000, 3 * kPageSize, priv, 0);
  p.memory.add(0x7f0000000000, kPageSize, shm, 0);
  p.shared_stored_bytes = kPageSize;
  ASSERT_EQ(p.memory.finish(), "");
  p.vmas = {vma(0x1000, 0x100000, ""), vma(0x7f0000000000, 0x7f0000100000, "/dev/zero (deleted)"),
            vma(0xffffffffff600000, 0xffffffffff601000, "[vsyscall]")};
  Process& z = c.procs[12345];
  z.pid = 12345;
  z.comm = "evil\ncomm";

  ProcessMemory m = process_memory(p);
  EXPECT_EQ(m.dumped, 3 * kPageSize);
  EXPECT_EQ(m.shared, kPageSize);
  EXPECT_EQ(m.mapped, 0xff000u + 0x100000u) << "[vsyscall] is not counted, as in VSZ";

  std::string table = render_memory_table(c);
  std::istringstream in(table);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_GE(lines.size(), 5u) << table;
  EXPECT_EQ(lines[2], "  PID  COMMAND      DUMPED   SHARED   MAPPED") << table;
  EXPECT_EQ(lines[3], "    1  nginx      12.0 KiB  4.0 KiB  2.0 MiB") << table;
  EXPECT_EQ(lines[4], "12345  evil?comm       0 B      0 B      0 B") << table;

  auto j = nlohmann::json::parse(render_memory_json(c));
  EXPECT_EQ(j["processes"][0]["pid"], 1);
  EXPECT_EQ(j["processes"][0]["dumped_size"], 3 * kPageSize);
  EXPECT_EQ(j["processes"][0]["shared_size"], kPageSize);
  EXPECT_EQ(j["processes"][0]["mapped_size"], 0x1ff000u);
  EXPECT_EQ(j["processes"][1]["command"], "evil\ncomm");
}

// ---- Through a real mount of the fixtures ----

struct MountCase {
  std::string name, input, label, container;
};
std::ostream& operator<<(std::ostream& o, const MountCase& c) { return o << c.name; }

// Where the ground truth says the stored pages are: merged address runs, and
// the hexdump line each one starts at (its separator).
struct Layout {
  struct Run {
    uint64_t start, end, first_line;
  };
  std::vector<Run> runs;
  uint64_t lines = 0;
  // 1-based line number (grep -n) of the data line holding addr.
  uint64_t line_number(uint64_t addr) const {
    for (const Run& r : runs)
      if (addr >= r.start && addr < r.end) return r.first_line + 1 + (addr - r.start) / 16 + 1;
    return 0;
  }
};

Layout layout_of(const nlohmann::json& p) {
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (const auto& v : p["vmas"])
    for (const auto& r : v["dumped_pages"]) {
      uint64_t s = hex(v["start"]) + r[0].get<uint64_t>() * 4096;
      pages.emplace_back(s, s + r[1].get<uint64_t>() * 4096);
    }
  std::sort(pages.begin(), pages.end());
  Layout l;
  for (auto [s, e] : pages) {
    if (!l.runs.empty() && l.runs.back().end == s) {
      l.runs.back().end = e;
    } else {
      l.runs.push_back({s, e, 0});
    }
  }
  for (auto& r : l.runs) {
    r.first_line = l.lines;
    l.lines += 1 + (r.end - r.start) / 16;
  }
  return l;
}

std::string hex16(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

// grep -n output: line number -> line.
std::map<uint64_t, std::string> grep_n(const std::string& patterns_file, const std::string& file) {
  auto r = run("grep -n -F -f " + shell_quote(patterns_file) + " " + shell_quote(file));
  EXPECT_EQ(r.status, 0) << r.err;
  std::map<uint64_t, std::string> out;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    size_t colon = l.find(':');
    out[std::stoull(l.substr(0, colon))] = l.substr(colon + 1);
  }
  return out;
}

class MemoryViewsMount : public MountedFixtureTest<MountCase> {
 protected:
  std::string input(const MountCase& p) const override { return p.input; }
  std::string label(const MountCase& p) const override { return p.label; }
  std::string container(const std::string& file) const {
    return *mount_ / ("containers/" + GetParam().container + "/" + file);
  }
};

TEST_P(MemoryViewsMount, EveryMarkerIsGreppedOnTheLineOfItsAddress) {
  size_t checked = 0;
  for (const auto& p : gt_["processes"]) {
    SCOPED_TRACE("pid " + std::to_string(ns_pid(p)));
    Layout layout = layout_of(p);
    std::string file = proc(p, "hexdump");
    // One grep per process finds every line a marker is on by its address; a
    // second finds each marker's first-line part in the ASCII column.
    TempDir tmp;
    std::string addrs, fragments;
    for (const auto& m : p["markers"]) {
      uint64_t a = hex(m["addr"]), len = m["marker"].get<std::string>().size();
      for (uint64_t l = a & ~15ull; l < a + len; l += 16) addrs += hex16(l) + "  \n";
      uint64_t first = std::min<uint64_t>(len, 16 - a % 16);
      fragments +=
          m["marker"].get<std::string>().substr(0, first) + (a % 16 + len >= 16 ? "|" : "") + "\n";
    }
    write_file(tmp / "addrs", addrs);
    write_file(tmp / "fragments", fragments);
    auto by_addr = grep_n(tmp / "addrs", file);
    auto by_text = grep_n(tmp / "fragments", file);
    for (const auto& m : p["markers"]) {
      std::string marker = m["marker"];
      uint64_t a = hex(m["addr"]);
      uint64_t n = layout.line_number(a & ~15ull);
      ASSERT_NE(n, 0u) << marker << " at " << m["addr"] << " is not in a dumped page";
      // Rebuild the marker from the ASCII columns of its lines, checking the hex
      // columns byte by byte on the way.
      std::string seen;
      for (uint64_t l = a & ~15ull, k = n; l < a + marker.size(); l += 16, ++k) {
        auto it = by_addr.find(k);
        ASSERT_NE(it, by_addr.end()) << marker << ": grep did not print line " << k;
        const std::string& line = it->second;
        ASSERT_EQ(line.size(), kW - 1);
        ASSERT_TRUE(line.starts_with(hex16(l) + "  ")) << line;
        for (uint64_t i = 0; i < 16; ++i) {
          uint64_t at = l + i;
          if (at < a || at >= a + marker.size()) continue;
          size_t col = 18 + 3 * i + (i >= 8 ? 1 : 0);
          char hx[3];
          std::snprintf(hx, sizeof hx, "%02x", static_cast<unsigned char>(marker[at - a]));
          EXPECT_EQ(line.substr(col, 2), hx) << line;
          seen += line[69 + i];
        }
      }
      EXPECT_EQ(seen, marker) << "at " << m["addr"];
      auto t = by_text.find(n);
      ASSERT_NE(t, by_text.end()) << marker << ": grep for its text did not print line " << n;
      EXPECT_TRUE(t->second.starts_with(hex16(a & ~15ull))) << t->second;
      ++checked;
    }
  }
  EXPECT_GT(checked, 2500u);
}

TEST_P(MemoryViewsMount, SizeIsExactAndTailEndsWithTheLastStoredLine) {
  for (const auto& p : gt_["processes"]) {
    SCOPED_TRACE("pid " + std::to_string(ns_pid(p)));
    Layout layout = layout_of(p);
    std::string file = proc(p, "hexdump");
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), layout.lines * kW);
    EXPECT_EQ(st.st_mode & 0777, 0400u);

    uint64_t last = layout.runs.back().end - 16;
    auto tail = run("tail -c " + std::to_string(kW) + " " + shell_quote(file));
    ASSERT_EQ(tail.status, 0) << tail.err;
    ASSERT_TRUE(tail.out.starts_with(hex16(last) + "  ")) << tail.out;
    // The same 16 bytes as real hexdump shows them from mem.
    auto ref = run("hexdump -C -s " + std::to_string(last) + " -n 16 " +
                   shell_quote(proc(p, "mem")) + " | head -1");
    ASSERT_EQ(ref.status, 0) << ref.err;
    EXPECT_EQ(tail.out.substr(16), ref.out.substr(ref.out.find("  "))) << ref.out;
    auto tail3 = run("tail -c 1000 " + shell_quote(file) + " | tail -n 3");
    EXPECT_TRUE(tail3.out.ends_with(tail.out));

    auto head = run("head -n 2 " + shell_quote(file));
    std::istringstream in(head.out);
    std::string sep, first;
    std::getline(in, sep);
    std::getline(in, first);
    EXPECT_TRUE(sep.starts_with("-- ")) << sep;
    EXPECT_EQ(sep.size(), kW - 1);
    EXPECT_TRUE(first.starts_with(hex16(layout.runs.front().start) + "  ")) << first;

    // One separator per run, naming a VMA the ground truth knows.
    auto seps = run("grep -c '^-- ' " + shell_quote(file));
    EXPECT_EQ(std::stoull(seps.out), layout.runs.size());
  }
}

TEST_P(MemoryViewsMount, ReadsAtRandomOffsetsEqualTheSequentialRead) {
  std::mt19937_64 rng(7);
  for (const auto& p : gt_["processes"]) {
    SCOPED_TRACE("pid " + std::to_string(ns_pid(p)));
    std::string file = proc(p, "hexdump");
    std::string all = read_file(file);
    ASSERT_EQ(all.size(), layout_of(p).lines * kW);
    int fd = ::open(file.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < 300; ++i) {
      uint64_t off = rng() % all.size();
      size_t len = 1 + rng() % (i % 5 == 0 ? 300000 : 500);
      std::string buf(len, '\0');
      ssize_t n = ::pread(fd, buf.data(), len, static_cast<off_t>(off));
      ASSERT_GE(n, 0);
      buf.resize(static_cast<size_t>(n));
      ASSERT_EQ(buf, all.substr(off, len)) << "off " << off << " len " << len;
    }
    ::close(fd);
    // grep -n agrees with the fixed width: line k starts at (k - 1) * width.
    auto r = run("grep -n -m 1 'CKPTFS_ANON_PAGE|' " + shell_quote(file));
    ASSERT_EQ(r.status, 0) << r.err;
    uint64_t k = std::stoull(r.out);
    EXPECT_EQ(all.substr((k - 1) * kW, kW), r.out.substr(r.out.find(':') + 1));
  }
}

TEST_P(MemoryViewsMount, MemoryJsonMatchesTheGroundTruthsDumpedPages) {
  auto r =
      run("jq -c '.processes[] | [.pid, .command, .dumped_size, .shared_size, .mapped_size]' " +
          shell_quote(container("memory.json")));
  ASSERT_EQ(r.status, 0) << r.err;
  std::map<uint32_t, nlohmann::json> rows;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    auto row = nlohmann::json::parse(l);
    rows[row[0].get<uint32_t>()] = row;
  }
  std::string table = read_file(container("memory"));
  ASSERT_EQ(rows.size(), gt_["processes"].size()) << r.out;
  for (const auto& p : gt_["processes"]) {
    uint64_t priv = 0, shared = 0, mapped = 0;
    for (const auto& v : p["vmas"])
      (v["kind"] == "anon_shared" ? shared : priv) += v["nr_dumped_pages"].get<uint64_t>();
    std::istringstream maps(p["maps"].get<std::string>());
    for (std::string l; std::getline(maps, l);) {
      unsigned long long s, e;
      if (std::sscanf(l.c_str(), "%llx-%llx", &s, &e) == 2 &&
          l.find("[vsyscall]") == std::string::npos)
        mapped += e - s;
    }
    const auto& row = rows[ns_pid(p)];
    EXPECT_EQ(row[1], p["comm"]);
    EXPECT_EQ(row[2].get<uint64_t>(), priv * 4096) << "pid " << ns_pid(p);
    EXPECT_EQ(row[3].get<uint64_t>(), shared * 4096) << "pid " << ns_pid(p);
    EXPECT_EQ(row[4].get<uint64_t>(), mapped) << "pid " << ns_pid(p);
    EXPECT_GT(priv, 0u) << "CRIU 4.2's nr_pages is counted (checkpointctl 1.3 shows 0 B)";
    // The table row says the same in human sizes.
    std::string line;
    std::istringstream rows_in(table);
    for (std::string l; std::getline(rows_in, l);)
      if (!l.empty() &&
          l.substr(l.find_first_not_of(' '))
              .starts_with(std::to_string(ns_pid(p)) + "  " + p["comm"].get<std::string>() + " "))
        line = l;
    ASSERT_FALSE(line.empty()) << table;
    EXPECT_NE(line.find(human_size(priv * 4096)), std::string::npos) << line;
    EXPECT_NE(line.find(human_size(shared * 4096)), std::string::npos) << line;
    EXPECT_TRUE(line.ends_with(human_size(mapped))) << line;
  }
  // All rows of the table (header included) are aligned to the same width.
  std::istringstream lines(table);
  std::string l;
  std::getline(lines, l);
  std::getline(lines, l);
  std::set<size_t> widths;
  for (size_t i = 0; i <= gt_["processes"].size() && std::getline(lines, l); ++i)
    widths.insert(l.size());
  EXPECT_EQ(widths.size(), 1u) << table;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, MemoryViewsMount,
    ::testing::Values(MountCase{"ImageDirectory", "proc-tree", "proc-tree", "proc-tree"},
                      MountCase{"PodmanZstd", "webapp-checkpoint.tar.zst", "webapp", "webapp"}),
    [](const auto& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace ckptfs::test
