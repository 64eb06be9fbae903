// ckptfs-search (extras/) on real mounts: every address it prints is checked
// against independent truth: the fixtures' ground truth (markers found in
// the live processes), the bench generator's plan, and synthetic images
// whose bytes the test wrote itself, with matches that straddle pages,
// pagemap entries, VMAs and the helper's read windows.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "model/checkpoint.h"
#include "support/bench_image.h"
#include "support/fixture_test.h"
#include "support/groundtruth.h"
#include "support/image_writer.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

std::string helper() {
  return (std::filesystem::path(ckptfs_binary()).parent_path() / "ckptfs-search").string();
}

struct Hit {
  std::string file;  // empty without a FILE: prefix
  uint64_t addr;
  std::string match, context;
  bool operator<(const Hit& o) const {
    return std::tie(file, addr, match, context) < std::tie(o.file, o.addr, o.match, o.context);
  }
};

// "[FILE:]0xADDR MATCH CONTEXT" lines; a line of any other shape fails.
std::vector<Hit> parse(const std::string& out, bool prefixed) {
  static const std::regex line_re(R"(^(?:(.*/mem):)?0x([0-9a-f]{12,}) (\S+) (.*)$)");
  std::vector<Hit> hits;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, line_re)) {
      ADD_FAILURE() << "not an ADDRESS MATCH CONTEXT line: " << line;
      continue;
    }
    EXPECT_EQ(m[1].matched, prefixed) << line;
    hits.push_back({m[1], std::stoull(m[2], nullptr, 16), m[3], m[4]});
  }
  return hits;
}

uint32_t pid_of(const std::string& mem_path) {
  static const std::regex pid_re(R"(/procs/(\d+)/mem$)");
  std::smatch m;
  if (!std::regex_search(mem_path, m, pid_re)) {
    ADD_FAILURE() << "no procs/<pid>/mem in " << mem_path;
    return 0;
  }
  return static_cast<uint32_t>(std::stoul(m[1]));
}

CommandResult search(const std::string& args) {
  return run("timeout 300 " + shell_quote(helper()) + " " + args);
}

// --- the fixtures' ground truth ----------------------------------------------

struct FixtureCase {
  const char* input;
  const char* label;
};

class SearchFixture : public MountedFixtureTest<FixtureCase> {
 protected:
  std::string input(const FixtureCase& c) const override { return c.input; }
  std::string label(const FixtureCase& c) const override { return c.label; }
};

// Every CKPTFS_* string of every process, searched over the whole mount with
// the regex the ground truth was captured with: the same set of (pid,
// address, marker), none missing, none extra.
TEST_P(SearchFixture, EveryMarkerAtItsGroundTruthAddress) {
  using Key = std::tuple<uint32_t, uint64_t, std::string>;
  std::set<Key> expected;
  for (const auto& p : gt_["processes"])
    for (const auto& m : p["markers"]) expected.insert({ns_pid(p), hex(m["addr"]), m["marker"]});
  ASSERT_GT(expected.size(), 2500u);

  CommandResult r = search("-c 0 -r 'CKPTFS_[A-Z0-9_]+' " + shell_quote(mount_->path()));
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<Key> got;
  for (const Hit& h : parse(r.out, true)) {
    EXPECT_EQ(h.context, h.match);  // -c 0
    EXPECT_TRUE(got.insert({pid_of(h.file), h.addr, h.match}).second)
        << "reported twice: " << h.file << " 0x" << std::hex << h.addr;
  }
  std::vector<Key> missing, extra;
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  EXPECT_TRUE(missing.empty()) << missing.size() << " markers not found, first: pid "
                               << std::get<0>(missing.front()) << " 0x" << std::hex
                               << std::get<1>(missing.front()) << " "
                               << std::get<2>(missing.front());
  EXPECT_TRUE(extra.empty()) << extra.size() << " matches not in the ground truth, first: pid "
                             << std::get<0>(extra.front()) << " 0x" << std::hex
                             << std::get<1>(extra.front()) << " " << std::get<2>(extra.front());
}

// One process's directory, a literal string: just that process, no prefix.
// The ground truth's CKPTFS_HEAP_MARKER_2 holds the string too, so it is a
// match of its own.
TEST_P(SearchFixture, OneProcessLiteralString) {
  const auto& root = gt_["processes"][0];
  std::set<uint64_t> expected;
  for (const auto& m : root["markers"])
    if (m["marker"].get<std::string>().starts_with("CKPTFS_HEAP_MARKER"))
      expected.insert(hex(m["addr"]));
  ASSERT_EQ(expected.size(), 2u);

  CommandResult r = search("-c 2 -s CKPTFS_HEAP_MARKER " + shell_quote(proc(root, "")));
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<uint64_t> got;
  for (const Hit& h : parse(r.out, false)) {
    EXPECT_EQ(h.match, "CKPTFS_HEAP_MARKER");
    EXPECT_EQ(h.context.size(), 2u + 18u + 2u);  // -c 2
    EXPECT_EQ(h.context.substr(2, 18), "CKPTFS_HEAP_MARKER");
    got.insert(h.addr);
  }
  EXPECT_EQ(got, expected);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SearchFixture,
                         ::testing::Values(FixtureCase{"webapp-checkpoint.tar.zst", "webapp"},
                                           FixtureCase{"proc-tree", "proc-tree"},
                                           FixtureCase{"pair-a.tar.zst", "pair-a"},
                                           FixtureCase{"pair-b.tar.zst", "pair-b"}),
                         [](const auto& p) {
                           std::string name = p.param.label;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// --- the bench generator's markers, half of them straddling two entries ------

TEST(SearchBench, EveryPlantedMarkerStraddlingOrNot) {
  BenchSpec spec;
  spec.procs = 3;
  spec.size = 12ull << 20;
  spec.vmas = 12;
  spec.markers = 10;
  BenchLayout l = plan_bench(spec);
  TempDir dir;
  write_bench_image(l, dir.path());

  std::set<std::pair<uint32_t, uint64_t>> expected;
  size_t straddling = 0;
  for (const auto& p : l.procs)
    for (const auto& m : p.markers) {
      expected.insert({m.pid, m.addr});
      straddling += m.straddles;
    }
  ASSERT_GT(straddling, 10u);  // what this test is about

  Mount mount(dir.path());
  CommandResult r = search("-c 1 -s " + shell_quote(spec.marker) + " " + shell_quote(mount.path()));
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<std::pair<uint32_t, uint64_t>> got;
  for (const Hit& h : parse(r.out, true)) {
    EXPECT_EQ(h.match, spec.marker);
    // "\n" precedes and follows every planted marker.
    EXPECT_EQ(h.context, "." + spec.marker + ".");
    got.insert({pid_of(h.file), h.addr});
  }
  EXPECT_EQ(got, expected);
}

// --- a synthetic image whose every byte the test knows -------------------------

namespace S = vma_status;
constexpr uint32_t kRO = 1, kRW = 3;
constexpr uint32_t kMapPrivate = 0x2, kMapAnon = 0x20;
constexpr uint32_t kAnon = S::kRegular | S::kAnonPrivate;
constexpr uint64_t kA = 0x7f3400000000;  // VMAs at A.. (adjacent ones)
constexpr uint64_t kB = 0x7f3500000000;  // and a lone one further up
constexpr uint64_t kWindow = 1 << 20;    // the helper reads 1 MiB at a time

std::string marker(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKPTFS_SEARCH_MARKER_%03d", n);
  return buf;
}

class SearchStraddling : public ::testing::Test {
 protected:
  // Stored bytes by address (entry by entry), for the expected contexts.
  std::map<uint64_t, std::string> stored_;
  std::map<uint64_t, int> planted_;  // address -> marker number (pid 1)
  std::mt19937_64 rng_{7};

  std::string random_pages(size_t n) {
    std::string s(n * kPage, '\0');
    for (auto& c : s) c = static_cast<char>('a' + rng_() % 26);  // never "CKPTFS"
    return s;
  }
  // Writes bytes at addr into the entry data that holds it.
  void put(uint64_t addr, const std::string& bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      auto it = std::prev(stored_.upper_bound(addr + i));
      ASSERT_LT(addr + i - it->first, it->second.size()) << "not stored: " << addr + i;
      it->second[addr + i - it->first] = bytes[i];
    }
  }
  void plant(uint64_t addr, int n) {
    put(addr, marker(n));
    planted_[addr] = n;
  }
  char byte_at(uint64_t addr) const {
    auto it = stored_.upper_bound(addr);
    if (it == stored_.begin()) return 0;
    --it;
    return addr - it->first < it->second.size() ? it->second[addr - it->first] : 0;
  }
  std::string shown(uint64_t from, uint64_t to) const {
    std::string s;
    for (uint64_t a = from; a < to; ++a) {
      char c = byte_at(a);
      s += c >= 0x20 && c <= 0x7e ? c : '.';
    }
    return s;
  }

  void SetUp() override {
    // pid 1: VMAs [A, A+4p) rw, [A+4p, A+8p) r--, [A+8p, A+308p) rw, all
    // adjacent; [B, B+2p) rw. Entries: two in the first VMA, one page in the
    // second, a page not dumped, the rest of it, the whole third VMA (one run
    // of 302 pages from A+6p: longer than the helper's window), and B.
    const uint64_t p = kPage;
    const std::vector<std::pair<uint64_t, uint64_t>> entries = {
        {kA, 2}, {kA + 2 * p, 2}, {kA + 4 * p, 1}, {kA + 6 * p, 2}, {kA + 8 * p, 300}, {kB, 2}};
    for (auto [vaddr, n] : entries) stored_[vaddr] = random_pages(n);

    plant(kA + 100, 0);                   // inside one page
    plant(kA + p - 10, 1);                // across two pages of one entry
    plant(kA + 2 * p - 5, 2);             // across two entries
    plant(kA + 3 * p + 200, 3);           // two markers back to back
    plant(kA + 3 * p + 224, 4);           //
    plant(kA + 4 * p - 12, 5);            // across two entries and two VMAs
    plant(kA + 8 * p - 7, 6);             // across VMAs and entries again, in a long run
    plant(kA + 6 * p + kWindow - 11, 7);  // across the helper's first window
    plant(kB, 8);                         // the first byte of a run
    plant(kB + 2 * p - 24, 9);            // ending on the last byte of a run
    // Cut by the page that was not dumped (it reads as zeros): no match.
    put(kA + 5 * p - 10, marker(10).substr(0, 10));
    put(kA + 6 * p, marker(11).substr(10));

    ImageDirWriter w(dir_.path());
    w.inventory();
    w.process(1, 0, "app");
    w.vma(1, kA, kA + 4 * p, kRW, kMapPrivate | kMapAnon, kAnon);
    w.vma(1, kA + 4 * p, kA + 8 * p, kRO, kMapPrivate | kMapAnon, kAnon);
    w.vma(1, kA + 8 * p, kA + 308 * p, kRW, kMapPrivate | kMapAnon, kAnon);
    w.vma(1, kB, kB + 2 * p, kRW, kMapPrivate | kMapAnon, kAnon);
    for (const auto& [vaddr, bytes] : stored_) w.pages(1, vaddr, bytes);
    // pid 2: one marker at an address pid 1 also uses, numbered apart.
    w.process(2, 1, "child");
    w.vma(2, kB, kB + p, kRW, kMapPrivate | kMapAnon, kAnon);
    std::string child = std::string(kPage, 'z');
    child.replace(0, 24, marker(50));
    w.pages(2, kB, child);
    w.finish();
    mount_ = std::make_unique<Mount>(dir_.path());
  }

  TempDir dir_;
  std::unique_ptr<Mount> mount_;
};

TEST_F(SearchStraddling, LiteralFindsEveryMarkerOnceWithItsContext) {
  CommandResult r = search("-c 5 -s CKPTFS_SEARCH_MARKER_ " + shell_quote(*mount_ / "procs/1/mem"));
  ASSERT_EQ(r.status, 0) << r.err;
  std::map<uint64_t, std::string> got;
  for (const Hit& h : parse(r.out, false)) {
    EXPECT_EQ(h.match, "CKPTFS_SEARCH_MARKER_");
    EXPECT_EQ(h.context, shown(h.addr - 5, h.addr + 21 + 5)) << "at 0x" << std::hex << h.addr;
    EXPECT_TRUE(got.emplace(h.addr, h.match).second);
  }
  std::map<uint64_t, std::string> expected;
  for (auto [addr, n] : planted_) expected.emplace(addr, "CKPTFS_SEARCH_MARKER_");
  EXPECT_EQ(got, expected);
}

TEST_F(SearchStraddling, RegexMatchesWholeMarkersInEveryProcess) {
  CommandResult r =
      search("-c 0 -r 'ckptfs_search_marker_[0-9]{3}' -i " + shell_quote(mount_->path()));
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<std::tuple<uint32_t, uint64_t, std::string>> got, expected;
  for (const Hit& h : parse(r.out, true)) got.insert({pid_of(h.file), h.addr, h.match});
  for (auto [addr, n] : planted_) expected.insert({1, addr, marker(n)});
  expected.insert({2, kB, marker(50)});
  EXPECT_EQ(got, expected);
}

TEST_F(SearchStraddling, NoMatchIsStatusOneAndNoOutput) {
  CommandResult r = search("-s CKPTFS_NOT_THERE " + shell_quote(mount_->path()));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "");
  // Not even across the page that was not dumped.
  r = search("-s " + marker(10) + " " + shell_quote(mount_->path()));
  EXPECT_EQ(r.status, 1) << r.out;
}

// --- bad input: one line naming the path, status 2 ------------------------------

TEST(SearchErrors, OneLineNamingThePath) {
  TempDir empty;
  for (const std::string& path : {empty / "nonexistent", empty.path()}) {
    CommandResult r = search("-s x " + shell_quote(path));
    EXPECT_EQ(r.status, 2) << path;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // A file other than mem: its offsets are not addresses.
  write_file(empty / "dump.bin", "CKPTFS");
  CommandResult r = search("-s CKPTFS " + shell_quote(empty / "dump.bin"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(empty / "dump.bin" + ": not a procs/<pid>/mem file"), std::string::npos)
      << r.err;
  r = search("-r '(' " + shell_quote(empty.path()));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad regular expression"), std::string::npos) << r.err;
  r = search("");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("usage:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ckptfs::test
