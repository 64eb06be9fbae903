// Comparing two checkpoints without a mount: synthetic pairs whose every
// difference the test wrote itself, so the expected pages, rows and bytes
// come from the test's own data, never from ckptfs. Also: the diff/ tree
// computes nothing until read, once however many threads read, and a bad
// page or a second architecture fails only the files that depend on it.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "compare/comparison.h"
#include "compare/unified_diff.h"
#include "images/magic.h"
#include "model/loader.h"
#include "pipe_data.pb.h"
#include "source/source.h"
#include "support/image_writer.h"
#include "support/input_error.h"
#include "support/paths.h"
#include "vfs/build.h"
#include "vfs/diff_tree.h"
#include "vfs/fallible_text_content.h"
#include "vfs/hexdump_diff_content.h"
#include "vfs/inode_space.h"
#include "vfs/lazy_dir.h"
#include "vfs/views/diff_summary.h"

namespace ckptfs::test {
namespace {

constexpr uint32_t kRW = 3, kMapPrivate = 0x2, kMapAnon = 0x20;
constexpr uint32_t kAnonStatus = vma_status::kRegular | vma_status::kAnonPrivate;
constexpr uint64_t kBase = 0x7f0000000000;

// One process as the test lays it out: its mappings and the pages it stores.
struct Proc {
  std::vector<std::pair<uint64_t, uint64_t>> vmas;  // [start, end)
  std::map<uint64_t, std::string> pages;            // page address -> 4096 bytes
};
using Side = std::map<uint32_t, Proc>;

void write_side(const std::string& dir, const Side& side) {
  std::filesystem::create_directories(dir);
  ImageDirWriter w(dir);
  w.inventory();
  for (const auto& [pid, p] : side) {
    w.process(pid, pid == 1 ? 0 : 1, "p" + std::to_string(pid));
    for (const auto& [s, e] : p.vmas) w.vma(pid, s, e, kRW, kMapPrivate | kMapAnon, kAnonStatus);
    for (const auto& [addr, bytes] : p.pages) w.pages(pid, addr, bytes);
  }
  w.finish();
}

std::unique_ptr<Checkpoint> load(const std::string& dir, const std::string& name) {
  auto v = load_checkpoints(open_source(dir), name);
  EXPECT_EQ(v.size(), 1u);
  return std::move(v[0]);
}

std::string read_all(const Content& c) {
  std::string s(c.size(), '\0');
  s.resize(c.read(s.data(), s.size(), 0));
  return s;
}

// What the test expects of one page: its kind and the bytes and 16-byte rows
// that differ, computed from the bytes it wrote.
struct PageTruth {
  PageChange kind;
  uint64_t bytes = 0, rows = 0;
};

std::map<uint64_t, PageTruth> truth(const Proc* a, const Proc* b) {
  std::map<uint64_t, PageTruth> out;
  static const Proc kEmpty;
  const Proc& pa = a ? *a : kEmpty;
  const Proc& pb = b ? *b : kEmpty;
  for (const auto& [addr, bytes] : pa.pages)
    if (!pb.pages.count(addr)) out[addr] = {PageChange::Removed, kPageSize, kPageSize / 16};
  for (const auto& [addr, bytes] : pb.pages) {
    auto it = pa.pages.find(addr);
    if (it == pa.pages.end()) {
      out[addr] = {PageChange::Added, kPageSize, kPageSize / 16};
      continue;
    }
    PageTruth t{PageChange::Changed};
    for (size_t row = 0; row < kPageSize; row += 16) {
      uint64_t n = 0;
      for (size_t i = row; i < row + 16; ++i) n += it->second[i] != bytes[i];
      t.bytes += n;
      t.rows += n > 0;
    }
    if (t.bytes) out[addr] = t;
  }
  return out;
}

// The runs expanded back into pages, with each run's counts spread over them
// (only comparable summed up, which expect_matches does per run).
void expect_matches(const PageDiff& d, const std::map<uint64_t, PageTruth>& want, const Proc* a,
                    const Proc* b) {
  std::map<uint64_t, PageChange> got;
  uint64_t prev_end = 0;
  for (const PageRun& r : d.runs) {
    EXPECT_LT(r.start, r.end);
    EXPECT_GE(r.start, prev_end) << "runs overlap or are out of order";
    prev_end = r.end;
    uint64_t bytes = 0, rows = 0;
    for (uint64_t p = r.start; p < r.end; p += kPageSize) {
      EXPECT_TRUE(got.emplace(p, r.kind).second);
      auto it = want.find(p);
      if (it == want.end()) continue;
      bytes += it->second.bytes;
      rows += it->second.rows;
    }
    EXPECT_EQ(r.bytes_differ, bytes) << std::hex << r.start;
    EXPECT_EQ(r.rows, rows) << std::hex << r.start;
    // One mapping per run: the side that stores the pages holds all of them.
    const Proc* holder_side = r.kind == PageChange::Removed ? a : b;
    ASSERT_TRUE(r.vma);
    EXPECT_LE(r.vma->start, r.start);
    EXPECT_GE(r.vma->end, r.end);
    bool found = false;
    for (const auto& [s, e] : holder_side->vmas) found |= s == r.vma->start && e == r.vma->end;
    EXPECT_TRUE(found);
  }
  std::map<uint64_t, PageChange> expected;
  for (const auto& [addr, t] : want) expected[addr] = t.kind;
  EXPECT_EQ(got, expected);
}

// Process 1 changes in every way; 2 stays the same; 3 exists in A only, 4 in B only.
struct Fixture {
  Side a, b;
  Fixture() {
    uint64_t v1 = kBase, v1_end = kBase + 16 * kPageSize, v2_end = v1_end + 8 * kPageSize;
    Proc p1;
    p1.vmas = {{v1, v1_end}, {v1_end, v2_end}};  // two mappings that touch
    for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15})
      p1.pages[v1 + i * kPageSize] = pattern(kPageSize, 100 + i);
    for (int i : {0, 1, 2, 3}) p1.pages[v1_end + i * kPageSize] = pattern(kPageSize, 200 + i);
    a[1] = p1;
    Proc q1 = p1;
    std::string& page3 = q1.pages[v1 + 3 * kPageSize];
    for (size_t i = 100; i < 105; ++i) page3[i] ^= 0x5a;  // 5 bytes in one row…
    page3[4000] ^= 1;                                     // …and 1 in another
    std::string& page4 = q1.pages[v1 + 4 * kPageSize];
    for (size_t i = 0; i < kPageSize; i += 2) page4[i] ^= 0x11;  // half the bytes, every row
    q1.pages[v1 + 15 * kPageSize][0] ^= 1;  // the last page of one mapping and…
    q1.pages[v1_end][4095] ^= 1;            // …the first of the next: two runs
    q1.pages[v1 + 10 * kPageSize] = pattern(kPageSize, 300);
    q1.pages[v1 + 11 * kPageSize] = std::string(kPageSize, '\0');  // added, though all zeros
    q1.pages.erase(v1_end + 2 * kPageSize);
    q1.pages.erase(v1_end + 3 * kPageSize);
    b[1] = q1;

    Proc p2;
    p2.vmas = {{kBase, kBase + 4 * kPageSize}};
    for (int i = 0; i < 4; ++i) p2.pages[kBase + i * kPageSize] = pattern(kPageSize, 400 + i);
    a[2] = b[2] = p2;
    Proc p3;
    p3.vmas = {{kBase, kBase + 2 * kPageSize}};
    p3.pages[kBase] = pattern(kPageSize, 500);
    a[3] = p3;
    Proc p4;
    p4.vmas = {{kBase, kBase + 2 * kPageSize}};
    p4.pages[kBase + kPageSize] = pattern(kPageSize, 600);
    b[4] = p4;
  }
};

class CompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_side(tmp_ / "a", f_.a);
    write_side(tmp_ / "b", f_.b);
    a_ = load(tmp_ / "a", "a");
    b_ = load(tmp_ / "b", "b");
  }
  std::shared_ptr<Comparison> compare(PageDiffOptions o = {}) {
    return std::make_shared<Comparison>(*a_, *b_, "a", "b", o);
  }
  const Proc* side(const Side& s, uint32_t pid) {
    auto it = s.find(pid);
    return it == s.end() ? nullptr : &it->second;
  }

  TempDir tmp_;
  Fixture f_;
  std::unique_ptr<Checkpoint> a_, b_;
};

TEST_F(CompareTest, EveryPageThatDiffersAndNoOther) {
  // Chunks of one page, three pages (never aligned to a mapping) and 1 MiB;
  // one thread, or slices of the address space on three.
  for (auto [chunk, threads] : {std::pair{kPageSize, 1u},
                                {3 * kPageSize, 1u},
                                {size_t{1} << 20, 1u},
                                {3 * kPageSize, 3u},
                                {kPageSize, 7u}}) {
    auto cmp = compare({chunk, threads, 1});
    EXPECT_EQ(cmp->pids(), (std::vector<uint32_t>{1, 2, 3, 4}));
    for (uint32_t pid : cmp->pids()) {
      SCOPED_TRACE(testing::Message()
                   << "pid " << pid << ", chunk " << chunk << ", threads " << threads);
      const Proc* a = side(f_.a, pid);
      const Proc* b = side(f_.b, pid);
      expect_matches(cmp->pages(pid), truth(a, b), a, b);
    }
    EXPECT_TRUE(cmp->pages(2).empty());
  }
}

TEST_F(CompareTest, RunsBreakAtMappingsAndKinds) {
  auto cmp = compare();
  const PageDiff& d = cmp->pages(1);
  uint64_t v1 = kBase, v2 = kBase + 16 * kPageSize;
  auto p = [](uint64_t base, int i) { return base + i * kPageSize; };
  std::vector<std::tuple<uint64_t, uint64_t, PageChange>> got,
      want = {
          {p(v1, 3), p(v1, 5), PageChange::Changed},   {p(v1, 10), p(v1, 12), PageChange::Added},
          {p(v1, 15), p(v1, 16), PageChange::Changed}, {p(v2, 0), p(v2, 1), PageChange::Changed},
          {p(v2, 2), p(v2, 4), PageChange::Removed},
      };
  for (const PageRun& r : d.runs) got.emplace_back(r.start, r.end, r.kind);
  EXPECT_EQ(got, want);
  EXPECT_EQ(d.runs[0].bytes_differ, 6u + kPageSize / 2);
  EXPECT_EQ(d.runs[0].rows, 2u + kPageSize / 16);
  EXPECT_EQ(d.changed.pages, 4u);
  EXPECT_EQ(d.added.pages, 2u);
  EXPECT_EQ(d.removed.pages, 2u);
  // A whole added process, a whole removed one.
  ASSERT_EQ(cmp->pages(3).runs.size(), 1u);
  EXPECT_EQ(cmp->pages(3).runs[0].kind, PageChange::Removed);
  ASSERT_EQ(cmp->pages(4).runs.size(), 1u);
  EXPECT_EQ(cmp->pages(4).runs[0].kind, PageChange::Added);
  EXPECT_EQ(cmp->pages(4).runs[0].start, kBase + kPageSize);
}

TEST(CompareRandom, PageKindsMatchANaiveComparison) {
  std::mt19937_64 rng(12);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    Side a, b;
    Proc pa, pb;
    // Mappings of 1-8 pages with gaps; each side stores a random subset, B
    // sometimes with other bytes in one row, sometimes in many.
    uint64_t at = kBase;
    for (int v = 0; v < 6; ++v) {
      uint64_t n = 1 + rng() % 8;
      pa.vmas.push_back({at, at + n * kPageSize});
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t addr = at + i * kPageSize;
        std::string bytes = pattern(kPageSize, static_cast<uint32_t>(rng()));
        int what = static_cast<int>(rng() % 6);
        if (what != 0) pa.pages[addr] = bytes;
        if (what == 1) continue;  // removed
        if (what == 2) bytes[rng() % kPageSize] ^= 0x40;
        if (what == 3) bytes = pattern(kPageSize, static_cast<uint32_t>(rng()));
        pb.pages[addr] = bytes;
      }
      at += (n + rng() % 3) * kPageSize;
    }
    pb.vmas = pa.vmas;
    a[1] = pa;
    b[1] = pb;
    TempDir tmp;
    write_side(tmp / "a", a);
    write_side(tmp / "b", b);
    auto ca = load(tmp / "a", "a"), cb = load(tmp / "b", "b");
    // Sliced for threads or not, the same runs.
    Comparison one(*ca, *cb, "a", "b", {2 * kPageSize, 1});
    Comparison many(*ca, *cb, "a", "b", {2 * kPageSize, 1 + static_cast<unsigned>(rng() % 5), 1});
    const PageDiff& d = one.pages(1);
    expect_matches(d, truth(&pa, &pb), &pa, &pb);
    const PageDiff& e = many.pages(1);
    expect_matches(e, truth(&pa, &pb), &pa, &pb);
    ASSERT_EQ(d.runs.size(), e.runs.size());
    for (size_t i = 0; i < d.runs.size(); ++i) {
      EXPECT_EQ(d.runs[i].start, e.runs[i].start);
      EXPECT_EQ(d.runs[i].end, e.runs[i].end);
      EXPECT_EQ(d.runs[i].first_page, e.runs[i].first_page);
    }
    EXPECT_EQ(d.rows_before, e.rows_before);
  }
}

TEST_F(CompareTest, ACheckpointComparedWithItselfShowsNothing) {
  Comparison same(*a_, *a_, "a", "a");
  for (uint32_t pid : same.pids()) EXPECT_TRUE(same.pages(pid).empty());
  const Summary& s = same.summary();
  for (const ProcessSummary& p : s.processes) EXPECT_FALSE(p.changed()) << p.pid;
  EXPECT_TRUE(s.images.empty());
  EXPECT_TRUE(s.container.empty());
  auto t = build_comparison_tree(std::make_shared<Comparison>(*a_, *a_, "a", "a"), 0);
  EXPECT_NE(read_all(*t->resolve("summary")->content).find("Result: no difference."),
            std::string::npos);
  for (uint32_t pid : {1, 2, 3}) {
    std::string dir = "procs/" + std::to_string(pid) + "/";
    EXPECT_EQ(read_all(*t->resolve(dir + "pages")->content), "");
    EXPECT_EQ(read_all(*t->resolve(dir + "hexdump.diff")->content), "");
    EXPECT_EQ(read_all(*t->resolve(dir + "maps.diff")->content), "");
    EXPECT_EQ(t->resolve(dir + "changed")->content->allocated(), 0u);
  }
}

TEST_F(CompareTest, HexdumpDiffShowsEveryDifferingRowOfBothSides) {
  auto t = build_comparison_tree(compare(), 0);
  const Content& c = *t->resolve("procs/1/hexdump.diff")->content;
  std::string all = read_all(c);
  ASSERT_EQ(all.size() % kDiffLineWidth, 0u);
  // Each data line: sign, 16-digit address, the 16 bytes in hex.
  std::map<uint64_t, std::string> minus, plus;
  size_t heads = 0;
  for (size_t i = 0; i < all.size(); i += kDiffLineWidth) {
    std::string line = all.substr(i, kDiffLineWidth);
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(line.find('\n'), kDiffLineWidth - 1);
    if (line.starts_with("@@ ")) {
      ++heads;
      continue;
    }
    uint64_t addr = std::stoull(line.substr(1, 16), nullptr, 16);
    std::string bytes;
    for (size_t k = 0; k < 16; ++k)
      bytes += static_cast<char>(std::stoul(line.substr(19 + 3 * k + (k >= 8), 2), nullptr, 16));
    ASSERT_TRUE(line[0] == '-' || line[0] == '+') << line;
    (line[0] == '-' ? minus : plus)[addr] = bytes;
  }
  EXPECT_EQ(heads, 5u);  // one per run
  // Expected from the test's own pages: changed rows on both sides, every row
  // of an added page on B's side only, of a removed one on A's only.
  std::map<uint64_t, std::string> want_minus, want_plus;
  const Proc& a = f_.a[1];
  const Proc& b = f_.b[1];
  for (const auto& [addr, bytes] : a.pages) {
    auto it = b.pages.find(addr);
    for (size_t r = 0; r < kPageSize; r += 16) {
      std::string x = bytes.substr(r, 16);
      if (it == b.pages.end()) {
        want_minus[addr + r] = x;
      } else if (it->second.substr(r, 16) != x) {
        want_minus[addr + r] = x;
        want_plus[addr + r] = it->second.substr(r, 16);
      }
    }
  }
  for (const auto& [addr, bytes] : b.pages)
    if (!a.pages.count(addr))
      for (size_t r = 0; r < kPageSize; r += 16) want_plus[addr + r] = bytes.substr(r, 16);
  EXPECT_EQ(minus, want_minus);
  EXPECT_EQ(plus, want_plus);

  // Any window reads as that slice of the whole: nothing before it is needed.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    uint64_t off = rng() % all.size(), len = 1 + rng() % 5000;
    std::string part(len, '\0');
    part.resize(c.read(part.data(), len, off));
    EXPECT_EQ(part, all.substr(off, len)) << off << "+" << len;
  }
}

TEST_F(CompareTest, ChangedIsSparseWithBsBytesAtAddedAndChangedPages) {
  auto t = build_comparison_tree(compare(), 0);
  const Content& c = *t->resolve("procs/1/changed")->content;
  EXPECT_FALSE(c.size_known()) << "nothing is compared before it is used";
  EXPECT_EQ(c.size(), kUserAddressEnd);
  // Data where B stores an added or changed page, holes everywhere else.
  std::set<uint64_t> want;
  for (const auto& [addr, page] : truth(&f_.a[1], &f_.b[1]))
    if (page.kind != PageChange::Removed) want.insert(addr);
  std::set<uint64_t> got;
  for (auto d = c.seek_data(0); d; d = c.seek_data(c.seek_hole(*d))) {
    uint64_t h = c.seek_hole(*d);
    for (uint64_t p = *d; p < h; p += kPageSize) got.insert(p);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(c.allocated(), want.size() * kPageSize);
  for (uint64_t addr : want) {
    std::string page(kPageSize, '\0');
    ASSERT_EQ(c.read(page.data(), kPageSize, addr), kPageSize);
    EXPECT_EQ(page, f_.b[1].pages.at(addr)) << std::hex << addr;
  }
  std::string hole(64, 'x');
  c.read(hole.data(), 64, kBase + 5 * kPageSize);  // changed in neither
  EXPECT_EQ(hole, std::string(64, '\0'));
  // changed-regions/: one dense file per run of added or changed pages in one mapping.
  const Node* regions = t->resolve("procs/1/changed-regions");
  ASSERT_TRUE(regions && regions->lazy);
  EXPECT_FALSE(regions->lazy->built());
  const Tree& rt = regions->lazy->tree();
  std::vector<std::string> names;
  for (const auto& [n, ino] : rt.get(Tree::kRootIno)->children) names.push_back(n);
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "7f0000003000-7f0000005000.rw-p.anon", "7f000000a000-7f000000c000.rw-p.anon",
                "7f000000f000-7f0000010000.rw-p.anon", "7f0000010000-7f0000011000.rw-p.anon"}));
  EXPECT_EQ(read_all(*rt.resolve(names[1])->content),
            f_.b[1].pages.at(kBase + 10 * kPageSize) + f_.b[1].pages.at(kBase + 11 * kPageSize));
}

TEST_F(CompareTest, PagesListsOneLinePerRun) {
  auto t = build_comparison_tree(compare(), 0);
  EXPECT_EQ(read_all(*t->resolve("procs/1/pages")->content),
            "7f0000003000-7f0000005000 changed 2054 7f0000000000-7f0000010000.rw-p.anon\n"
            "7f000000a000-7f000000c000 added 8192 7f0000000000-7f0000010000.rw-p.anon\n"
            "7f000000f000-7f0000010000 changed 1 7f0000000000-7f0000010000.rw-p.anon\n"
            "7f0000010000-7f0000011000 changed 1 7f0000010000-7f0000018000.rw-p.anon\n"
            "7f0000012000-7f0000014000 removed 8192 7f0000010000-7f0000018000.rw-p.anon\n");
  EXPECT_EQ(read_all(*t->resolve("procs/3/pages")->content),
            "7f0000000000-7f0000001000 removed 4096 7f0000000000-7f0000002000.rw-p.anon\n");
}

// --- everything besides pages ------------------------------------------------

// One side of a pair that differs in everything but memory: its process's
// comm, registers, credentials, mappings, descriptors and sockets, and the
// files around it. `after` picks which side.
void write_everything(const std::string& dir, bool after) {
  std::filesystem::create_directories(dir);
  ImageDirWriter w(dir);
  w.inventory();
  w.process(1, 0, after ? "server-2" : "server");
  w.core(1).mutable_thread_info()->mutable_gpregs()->set_ip(after ? 0x2000 : 0x1000);
  w.core(1).mutable_thread_info()->mutable_gpregs()->set_sp(0x7000);
  w.core(1).mutable_thread_core()->mutable_creds()->set_uid(after ? 1000 : 0);
  // Same start, other end and permissions; and a mapping only B has.
  w.vma(1, kBase, kBase + (after ? 8 : 16) * kPageSize, after ? 1 : kRW, kMapPrivate | kMapAnon,
        kAnonStatus);
  if (after)
    w.vma(1, kBase + 32 * kPageSize, kBase + 33 * kPageSize, kRW, kMapPrivate | kMapAnon,
          kAnonStatus);
  w.pages(1, kBase, pattern(kPageSize, 1));

  auto reg = [&](uint32_t id, const std::string& path, uint64_t pos) {
    criu::file_entry f;
    f.set_type(1);
    f.set_id(id);
    f.mutable_reg()->set_id(id);
    f.mutable_reg()->set_name(path);
    f.mutable_reg()->set_pos(pos);
    w.file(f);
  };
  reg(10, after ? "/etc/b" : "/etc/a", 0);
  reg(11, "/var/log/x", after ? 4096 : 0);  // only the position moves
  if (after) reg(12, "/tmp/new", 0);
  criu::file_entry usk;
  usk.set_type(5);
  usk.set_id(20);
  usk.mutable_usk()->set_ino(100);
  usk.mutable_usk()->set_type(1);
  usk.mutable_usk()->set_state(10);
  usk.mutable_usk()->set_name("/run/s.sock");
  w.file(usk);
  criu::file_entry isk;
  isk.set_type(4);
  isk.set_id(21);
  isk.mutable_isk()->set_ino(200);
  isk.mutable_isk()->set_family(2);
  isk.mutable_isk()->set_type(1);
  isk.mutable_isk()->set_proto(6);
  isk.mutable_isk()->set_state(after ? 8 : 1);  // ESTABLISHED -> CLOSE_WAIT
  isk.mutable_isk()->set_src_port(8080);
  isk.mutable_isk()->set_dst_port(40000);
  isk.mutable_isk()->add_src_addr(0x0100007f);
  isk.mutable_isk()->add_dst_addr(0x0100007f);
  w.file(isk);
  w.finish();

  std::vector<std::string> fds;
  auto fd = [&](uint32_t n, uint32_t id, uint32_t type) {
    criu::fdinfo_entry e;
    e.set_fd(n);
    e.set_id(id);
    e.set_type(type);
    fds.push_back(e.SerializeAsString());
  };
  fd(0, 10, 1);
  fd(1, 11, 1);
  if (!after) fd(3, 20, 5);  // the unix socket is closed in B
  fd(4, 21, 4);
  if (after) fd(5, 12, 1);
  w.write_raw("fdinfo-1.img", image(magic::kCommon, magic::kFdinfo, fds));

  // Unread pipe data: same pipe, other bytes.
  criu::pipe_data_entry pd;
  pd.set_pipe_id(77);
  std::string data = after ? "queued after\n" : "queued before\n";
  pd.set_bytes(static_cast<uint32_t>(data.size()));
  w.write_raw("pipes-data.img",
              image(magic::kCommon, magic::kPipesData, {}) + entry(pd.SerializeAsString()) + data);

  // The engine's view of the file system: rootfs-diff.tar and deleted.files.
  TempDir root;
  write_file(root / "keep", "same in both\n");
  write_file(root / "motd", after ? "hello\nworld\n" : "hello\n");
  if (after) write_file(root / "new.txt", "new\n");
  if (!after) write_file(root / "gone", "gone in B\n");
  ASSERT_EQ(
      run("tar -C " + shell_quote(root.path()) + " -cf " + shell_quote(dir + "/rootfs-diff.tar") +
          " keep motd " + (after ? "new.txt" : "gone"))
          .status,
      0);
  if (after) write_file(dir + "/deleted.files", "[\"/etc/issue.net\"]");
}

std::map<std::string, std::string> keyed(const std::vector<Change>& changes) {
  std::map<std::string, std::string> out;
  for (const Change& c : changes) {
    std::string fields;
    for (const FieldChange& f : c.fields) fields += " " + f.field + ":" + f.a + "->" + f.b;
    out[c.key] = change_kind_name(c.kind) + fields;
  }
  return out;
}

TEST(CompareEverything, ProcessesDescriptorsSocketsAndFiles) {
  TempDir tmp;
  write_everything(tmp / "a", false);
  write_everything(tmp / "b", true);
  auto a = load(tmp / "a", "a"), b = load(tmp / "b", "b");
  Comparison cmp(*a, *b, "a", "b");
  const Summary& s = cmp.summary();
  ASSERT_EQ(s.processes.size(), 1u);
  const ProcessSummary& p = s.processes[0];
  std::map<std::string, std::string> fields;
  for (const FieldChange& f : p.fields) fields[f.field] = f.a + "->" + f.b;
  EXPECT_EQ(fields.at("comm"), "server->server-2");
  EXPECT_NE(fields.at("credentials").find("uid 0/"), std::string::npos);
  EXPECT_NE(fields.at("credentials").find("->uid 1000/"), std::string::npos);
  EXPECT_EQ(fields.size(), 2u) << "nothing else of the process changed";
  EXPECT_EQ(keyed(p.threads), (std::map<std::string, std::string>{{"thread 1",
                                                                   "changed comm:server->server-2 "
                                                                   "ip:0x1000->0x2000"}}));
  EXPECT_EQ(keyed(p.mappings),
            (std::map<std::string, std::string>{
                {"7f0000000000", "changed end:7f0000010000->7f0000008000 perms:rw-p->r--p"},
                {"7f0000020000", "added"}}));
  EXPECT_EQ(keyed(p.descriptors),
            (std::map<std::string, std::string>{{"fd 0", "changed target:/etc/a->/etc/b"},
                                                {"fd 1", "changed pos:0->4096"},
                                                {"fd 3", "removed"},
                                                {"fd 5", "added"}}));
  EXPECT_EQ(keyed(p.sockets), (std::map<std::string, std::string>{
                                  {"socket:[100]", "removed"},
                                  {"socket:[200]", "changed state:ESTABLISHED->CLOSE_WAIT"}}));
  EXPECT_EQ(keyed(s.rootfs_diff),
            (std::map<std::string, std::string>{{"gone", "removed"},
                                                {"motd", "changed content:6 bytes->12 bytes"},
                                                {"new.txt", "added"}}));
  EXPECT_EQ(keyed(s.deleted_files),
            (std::map<std::string, std::string>{{"/etc/issue.net", "added"}}));
  EXPECT_EQ(
      keyed(s.pipes),
      (std::map<std::string, std::string>{{"pipe:[77]", "changed content:14 bytes->13 bytes"}}));
  // The images that carry those differences, and no other.
  std::map<std::string, std::string> images = keyed(s.images);
  std::set<std::string> names;
  for (const auto& [k, v] : images) names.insert(k);
  EXPECT_EQ(names,
            (std::set<std::string>{"core-1.img", "deleted.files", "fdinfo-1.img", "files.img",
                                   "mm-1.img", "pipes-data.img", "rootfs-diff.tar"}));
  // The text says each of them.
  std::string text = render_diff_summary(s);
  for (const char* want : {"~ fd 0: target: /etc/a -> /etc/b",
                           "- socket:[100]:", "+ new.txt:", "~ motd: content: 6 bytes -> 12 bytes",
                           "+ /etc/issue.net: deleted", "comm: server -> server-2"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
}

TEST(UnifiedDiff, PatchTurnsAIntoB) {
  TempDir tmp;
  auto key = [](std::string_view l) {
    return std::stoull(std::string(l.substr(0, l.find('-'))), nullptr, 16);
  };
  std::string a, b;
  for (int i = 0; i < 40; ++i) {
    std::string line = fmt::format("{:x}-{:x} rw-p 00000000 00:00 0\n", 0x1000 * (i + 1),
                                   0x1000 * (i + 1) + 0x800);
    if (i != 3 && i != 20) a += line;                                   // 3, 20: added in B
    if (i == 7 || i == 30) line.replace(line.find("rw-p"), 4, "r--p");  // changed in B
    if (i != 12 && i != 13 && i != 39) b += line;                       // removed in B
  }
  std::string d = unified_diff(a, b, "a/maps", "b/maps", key);
  write_file(tmp / "maps", a);
  write_file(tmp / "maps.diff", d);
  auto r = run("patch -s -o " + shell_quote(tmp / "out") + " " + shell_quote(tmp / "maps") + " < " +
               shell_quote(tmp / "maps.diff"));
  ASSERT_EQ(r.status, 0) << r.out << r.err << d;
  EXPECT_EQ(read_file(tmp / "out"), b);
  // The same hunks GNU diff -u finds (its header lines carry file times).
  write_file(tmp / "b", b);
  r = run("diff -u " + shell_quote(tmp / "maps") + " " + shell_quote(tmp / "b") + " | tail -n +3");
  EXPECT_EQ(d.substr(d.find("@@")), r.out);
  EXPECT_EQ(unified_diff(a, a, "x", "y", key), "");
  // Added and removed files: all one hunk.
  EXPECT_EQ(unified_diff("", "1-2 x\n", "a", "b", key), "--- a\n+++ b\n@@ -0,0 +1 @@\n+1-2 x\n");
}

// --- laziness and bad input, through the tree the mount serves --------------

class DiffTreeTest : public CompareTest {
 protected:
  void SetUp() override {
    CompareTest::SetUp();
    c_ = load(tmp_ / "a", "c");
    checkpoints_.push_back(std::move(a_));
    checkpoints_.push_back(std::move(b_));
    checkpoints_.push_back(std::move(c_));
    space_ = std::make_unique<InodeSpace>(build_tree(checkpoints_));
  }
  std::vector<std::string> list(uint64_t dir) {
    std::vector<std::string> out;
    space_->list(dir, 0, [&](const std::string& n, const InodeRef&) {
      out.push_back(n);
      return true;
    });
    return out;
  }
  InodeRef lookup(const std::string& path) {
    uint64_t ino = Tree::kRootIno;
    std::optional<InodeRef> r = space_->get(ino);
    size_t i = 0;
    while (i < path.size()) {
      size_t j = path.find('/', i);
      if (j == std::string::npos) j = path.size();
      r = space_->lookup(r->ino, path.substr(i, j - i));
      if (!r) throw std::runtime_error("no " + path);
      i = j + 1;
    }
    return *r;
  }

  std::unique_ptr<Checkpoint> c_;
  std::vector<std::unique_ptr<Checkpoint>> checkpoints_;
  std::unique_ptr<InodeSpace> space_;
};

TEST_F(DiffTreeTest, NothingIsComparedUntilReadAndOnlyThePairThatIsRead) {
  uint64_t before = Comparison::page_diffs_run();
  EXPECT_EQ(list(Tree::kRootIno), (std::vector<std::string>{"a", "b", "c", "diff"}));
  EXPECT_EQ(list(lookup("diff").ino), (std::vector<std::string>{"a..b", "b..c"}));
  InodeRef ab = lookup("diff/a..b"), bc = lookup("diff/b..c");
  EXPECT_FALSE(ab.node->lazy->built());
  EXPECT_FALSE(bc.node->lazy->built());
  EXPECT_EQ(list(ab.ino), (std::vector<std::string>{"procs", "summary", "summary.json"}));
  EXPECT_EQ(list(lookup("diff/a..b/procs").ino), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(list(lookup("diff/a..b/procs/1").ino),
            (std::vector<std::string>{"changed", "changed-regions", "hexdump.diff", "maps.diff",
                                      "pages"}));
  EXPECT_FALSE(lookup("diff/a..b/procs/1/changed").node->content->size_known());
  EXPECT_FALSE(lookup("diff/a..b/procs/1/hexdump.diff").node->content->size_known());
  EXPECT_EQ(Comparison::page_diffs_run(), before) << "listing compared pages";

  // Reading one process's pages compares that process, once, however many
  // threads read at the same time.
  const Content& pages = *lookup("diff/a..b/procs/1/pages").node->content;
  std::vector<std::thread> readers;
  std::atomic<int> nonempty = 0;
  for (int i = 0; i < 8; ++i) readers.emplace_back([&] { nonempty += !read_all(pages).empty(); });
  for (auto& t : readers) t.join();
  EXPECT_EQ(nonempty, 8);
  EXPECT_EQ(Comparison::page_diffs_run(), before + 1);
  read_all(*lookup("diff/a..b/procs/1/hexdump.diff").node->content);
  list(lookup("diff/a..b/procs/1/changed-regions").ino);
  EXPECT_EQ(Comparison::page_diffs_run(), before + 1) << "the same comparison, reused";
  EXPECT_FALSE(bc.node->lazy->built()) << "the other pair was built";
  // The summary compares the rest of a..b, and nothing of b..c.
  read_all(*lookup("diff/a..b/summary").node->content);
  EXPECT_EQ(Comparison::page_diffs_run(), before + 4);
  EXPECT_FALSE(bc.node->lazy->built());
}

TEST_F(CompareTest, ACheckpointNamedDiffDoesNotHideTheComparisons) {
  std::vector<std::unique_ptr<Checkpoint>> v;
  v.push_back(load(tmp_ / "a", "diff"));
  v.push_back(load(tmp_ / "b", "b"));
  auto t = build_tree(v);
  std::vector<std::string> names;
  for (const auto& [n, ino] : t->get(Tree::kRootIno)->children) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "diff", "diff~2"}));
  const Node* d = t->resolve("diff");
  ASSERT_EQ(d->children.size(), 1u);
  EXPECT_EQ(d->children[0].first, "diff~2..b");
  EXPECT_TRUE(t->resolve("diff~2/procs/1/maps"));
}

TEST_F(DiffTreeTest, AnUnreadablePageFailsOnlyWhatDependsOnIt) {
  // B's pages file cut short after the mount checked its size.
  std::string pages = "pages-1.img";  // process 1 is written first, and gets pages id 1
  std::filesystem::resize_file(tmp_ / ("b/" + pages), 2 * kPageSize);
  uint64_t before = Comparison::page_diffs_run();
  const Content& broken = *lookup("diff/a..b/procs/1/pages").node->content;
  std::string first = error_of([&] { read_all(broken); });
  EXPECT_TRUE(Mentions(first, tmp_ / "b", {pages, "shorter"})) << first;
  EXPECT_EQ(error_of([&] { read_all(broken); }), first) << "the same error, every time";
  EXPECT_EQ(broken.size(), FallibleTextContent::kFailedSize) << "stat keeps working";
  for (const char* f : {"hexdump.diff", "changed"}) {
    const Content& c = *lookup(std::string("diff/a..b/procs/1/") + f).node->content;
    EXPECT_EQ(error_of([&] {
                std::string s(100, '\0');
                c.read(s.data(), s.size(), kBase);
              }),
              first)
        << f;
  }
  EXPECT_EQ(lookup("diff/a..b/procs/1/changed").node->content->allocated(), 0u);
  EXPECT_EQ(error_of([&] { read_all(*lookup("diff/a..b/summary").node->content); }), first);
  EXPECT_EQ(Comparison::page_diffs_run(), before + 1) << "a failure is remembered, not redone";
  // changed-regions/ holds only ERROR, with the message.
  InodeRef regions = lookup("diff/a..b/procs/1/changed-regions");
  EXPECT_EQ(list(regions.ino), std::vector<std::string>{"ERROR"});
  // The rest works: other processes, maps.diff, the other pair.
  EXPECT_EQ(read_all(*lookup("diff/a..b/procs/2/pages").node->content), "");
  EXPECT_NE(read_all(*lookup("diff/a..b/procs/4/pages").node->content), "");
  EXPECT_EQ(read_all(*lookup("diff/a..b/procs/1/maps.diff").node->content), "");
  EXPECT_EQ(read_all(*lookup("diff/b..c/procs/2/pages").node->content), "");
}

TEST_F(CompareTest, TwoArchitecturesAreNotComparedPageByPage) {
  b_->arch = "aarch64";
  auto t = build_comparison_tree(compare(), 0);
  std::string e = error_of([&] { read_all(*t->resolve("procs/2/pages")->content); });
  EXPECT_TRUE(Mentions(e, "procs/2", {"x86_64", "aarch64"})) << e;
  EXPECT_EQ(error_of([&] { read_all(*t->resolve("summary.json")->content); }).empty(), false);
  EXPECT_EQ(read_all(*t->resolve("procs/1/maps.diff")->content), "");
}

TEST_F(CompareTest, DifferentContainersAreNamedAndComparedAnyway) {
  a_->info.id = "1111";
  b_->info.id = "2222";
  auto t = build_comparison_tree(compare(), 0);
  std::string s = read_all(*t->resolve("summary")->content);
  EXPECT_NE(s.find("DIFFERENT CONTAINERS: A is container 1111, B is container 2222"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("changed   1 (p1)"), std::string::npos) << s;
  auto j = nlohmann::json::parse(read_all(*t->resolve("summary.json")->content));
  EXPECT_EQ(j["same_container"], false);
  EXPECT_EQ(j["processes"][0]["pages"]["changed"]["pages"], 4);
}

}  // namespace
}  // namespace ckptfs::test
