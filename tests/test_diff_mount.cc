// MNT/diff/<A>..<B>/ on the real Podman pair (pair-a, pair-b: one container
// checkpointed before and after its workload wrote a second set of markers),
// through a real mount with grep, yara, hexdump, cmp, jq and diff. What must
// be found comes from README-pair-and-image.md and the ground truth; that
// nothing else is reported is checked against the test's own page-by-page
// comparison of both sides' mem.

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/groundtruth.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kPage = 4096;
const std::string kPair = "diff/webapp2..webapp2-2";

// The pages of PID 1 that differ, from README-pair-and-image.md's table
// ("page index within the VMA; new = stored in B only").
std::map<uint64_t, std::string> readme_pid1_pages() {
  std::map<uint64_t, std::string> want;
  auto page = [&](uint64_t vma, uint64_t i, const char* kind) { want[vma + i * kPage] = kind; };
  page(0x5573c94c5000, 16, "changed");  // [heap]
  page(0x5573c94c5000, 17, "changed");
  page(0x5573c94c5000, 18, "added");
  page(0x7f44eba00000, 7, "changed");  // 4 MiB anon
  page(0x7f44eba00000, 522, "added");
  page(0x7f44ebf96000, 0, "changed");   // TLS / struct pthread
  page(0x7f44ec16c000, 0, "changed");   // libc rw data
  page(0x7ffd3f530000, 29, "changed");  // [stack]
  page(0x7ffd3f530000, 30, "changed");
  return want;
}

// "<start>-<end> <kind> …" lines, expanded to one entry per page.
std::map<uint64_t, std::string> parse_pages(const std::string& text) {
  std::map<uint64_t, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t dash = line.find('-'), sp = line.find(' '), sp2 = line.find(' ', sp + 1);
    uint64_t start = std::stoull(line.substr(0, dash), nullptr, 16);
    uint64_t end = std::stoull(line.substr(dash + 1, sp - dash - 1), nullptr, 16);
    std::string kind = line.substr(sp + 1, sp2 - sp - 1);
    EXPECT_TRUE(kind == "added" || kind == "removed" || kind == "changed") << line;
    EXPECT_TRUE(start < end && start % kPage == 0 && end % kPage == 0) << line;
    for (uint64_t p = start; p < end; p += kPage) EXPECT_TRUE(out.emplace(p, kind).second) << line;
  }
  return out;
}

// The stored pages of a mem file, found with SEEK_DATA / SEEK_HOLE.
std::set<uint64_t> stored_pages(int fd) {
  std::set<uint64_t> out;
  off_t off = 0;
  while (true) {
    off_t d = ::lseek(fd, off, SEEK_DATA);
    if (d < 0) break;
    off_t h = ::lseek(fd, d, SEEK_HOLE);
    for (off_t p = d; p < h; p += static_cast<off_t>(kPage)) out.insert(static_cast<uint64_t>(p));
    off = h;
  }
  return out;
}

std::string pread_page(int fd, uint64_t addr) {
  std::string s(kPage, '\0');
  EXPECT_EQ(::pread(fd, s.data(), kPage, static_cast<off_t>(addr)), static_cast<ssize_t>(kPage));
  return s;
}

// The test's own comparison: both sides' mem, page by page.
std::map<uint64_t, std::string> oracle(const std::string& mem_a, const std::string& mem_b) {
  int fa = ::open(mem_a.c_str(), O_RDONLY), fb = ::open(mem_b.c_str(), O_RDONLY);
  EXPECT_GE(fa, 0);
  EXPECT_GE(fb, 0);
  std::set<uint64_t> sa = stored_pages(fa), sb = stored_pages(fb);
  EXPECT_FALSE(sa.empty());
  std::map<uint64_t, std::string> out;
  for (uint64_t p : sa)
    if (!sb.count(p)) out[p] = "removed";
  for (uint64_t p : sb) {
    if (!sa.count(p))
      out[p] = "added";
    else if (pread_page(fa, p) != pread_page(fb, p))
      out[p] = "changed";
  }
  ::close(fa);
  ::close(fb);
  return out;
}

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.insert(l);
  return out;
}

// A marker of PID 1 in the ground truth.
nlohmann::json marker(const std::string& label, const std::string& name) {
  nlohmann::json gt = load_groundtruth(label);
  for (const auto& p : gt["processes"])
    for (const auto& m : p["markers"])
      if (ns_pid(p) == 1 && m["marker"] == name) return m;
  throw std::runtime_error("no marker " + name + " in " + label);
}

class PairDiff : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(have_fixtures()) << "the shared fixtures are missing";
    m_ = std::make_unique<Mount>(
        std::vector<std::string>{fixture("pair-a.tar.zst"), fixture("pair-b.tar.zst")});
  }
  void TearDown() override {
    if (m_) {
      EXPECT_TRUE(m_->unmount()) << m_->log();
    }
  }
  std::string d(const std::string& rel) const { return *m_ / (kPair + "/" + rel); }
  std::unique_ptr<Mount> m_;
};

TEST_F(PairDiff, EveryChangedPageTheReadmeListsAndNoOther) {
  EXPECT_EQ(run("ls " + shell_quote(m_->path())).out, "diff\nwebapp2\nwebapp2-2\n");
  EXPECT_EQ(run("ls " + shell_quote(*m_ / "diff")).out, "webapp2..webapp2-2\n");
  for (uint32_t pid : {1u, 8u, 9u}) {
    SCOPED_TRACE(pid);
    std::string p = "procs/" + std::to_string(pid);
    auto got = parse_pages(read_file(d(p + "/pages")));
    auto own = oracle(*m_ / ("webapp2/" + p + "/mem"), *m_ / ("webapp2-2/" + p + "/mem"));
    EXPECT_EQ(got, own);
    // Only PID 1 changed memory; 8 and 9 have byte-identical images.
    EXPECT_EQ(got, (pid == 1 ? readme_pid1_pages() : std::map<uint64_t, std::string>{}));
    EXPECT_EQ(read_file(d(p + "/maps.diff")), "") << "the README: mappings unchanged";
  }
  // Through grep: 5 runs of changed pages (heap 16-17, anon 7, TLS, libc, stack 29-30).
  auto r = run("grep -c changed " + shell_quote(d("procs/1/pages")));
  EXPECT_EQ(r.out, "5\n");
  r = run("grep -c added " + shell_quote(d("procs/1/pages")));
  EXPECT_EQ(r.out, "2\n");
  // Each line names the mapping, as vmas/ does.
  EXPECT_NE(
      read_file(d("procs/1/pages"))
          .find("5573c94d5000-5573c94d7000 changed 1056 5573c94c5000-5573c94e6000.rw-p.heap\n"),
      std::string::npos);
}

TEST_F(PairDiff, ChangedHoldsTheNewMarkersAtTheirAddresses) {
  std::string changed = d("procs/1/changed");
  int fd = ::open(changed.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  for (const char* name : {"CKPTFS_SECOND_ANON_NEW_PAGE_MARKER",
                           "CKPTFS_SECOND_ANON_OVERWRITE_MARKER", "CKPTFS_SECOND_HEAP_MARKER"}) {
    uint64_t addr = hex(marker("pair-b", name)["addr"]);
    EXPECT_EQ(
        hex(load_groundtruth("pair-b")["workload_ready_file_2"][std::string("main.") + (name + 7)]),
        addr);
    std::string got(std::strlen(name), '\0');
    ASSERT_EQ(::pread(fd, got.data(), got.size(), static_cast<off_t>(addr)),
              static_cast<ssize_t>(got.size()));
    EXPECT_EQ(got, name);
  }
  // Holes everywhere but the 9 added and changed pages.
  std::set<uint64_t> data = stored_pages(fd);
  std::set<uint64_t> want;
  for (const auto& [p, kind] : readme_pid1_pages()) want.insert(p);
  EXPECT_EQ(data, want);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_blocks) * 512, want.size() * kPage);
  ::close(fd);
  // hexdump -s at the address shows it.
  auto r = run("hexdump -C -s 0x7f44ebc0a000 -n 48 " + shell_quote(changed));
  EXPECT_NE(r.out.find("|CKPTFS_SECOND_AN|"), std::string::npos) << r.out;
}

TEST_F(PairDiff, YaraFindsTheNewMarkersInChangedRegions) {
  TempDir tmp;
  write_file(tmp / "rules.yar",
             "rule second_new_page { strings: $a = \"CKPTFS_SECOND_ANON_NEW_PAGE_MARKER\" "
             "condition: $a }\n"
             "rule second_overwrite { strings: $a = \"CKPTFS_SECOND_ANON_OVERWRITE_MARKER\" "
             "condition: $a }\n"
             "rule second_heap { strings: $a = \"CKPTFS_SECOND_HEAP_MARKER\" condition: $a }\n"
             "rule first_only { strings: $a = \"CKPTFS_UNIX_SK_DATA_B2A\" condition: $a }\n");
  auto r = run("yara -s -r " + shell_quote(tmp / "rules.yar") + " " +
               shell_quote(d("procs/1/changed-regions/")));
  ASSERT_EQ(r.status, 0) << r.err;
  // "rule path" then "0xOFFSET:$a: text"; the offset plus the region's start
  // (its file name) is the marker's address in the ground truth.
  std::map<std::string, uint64_t> found;
  std::istringstream in(r.out);
  std::string rule, file;
  for (std::string l; std::getline(in, l);) {
    if (l.starts_with("0x")) {
      uint64_t start = std::stoull(fs::path(file).filename().string(), nullptr, 16);
      found[rule] = start + std::stoull(l.substr(0, l.find(':')), nullptr, 16);
    } else {
      rule = l.substr(0, l.find(' '));
      file = l.substr(l.find(' ') + 1);
    }
  }
  EXPECT_EQ(found, (std::map<std::string, uint64_t>{
                       {"second_new_page", 0x7f44ebc0a000},
                       {"second_overwrite", 0x7f44eba0712c},
                       {"second_heap", 0x5573c94d56d0},
                   }))
      << r.out;
}

TEST_F(PairDiff, HexdumpDiffShowsTheOverwrittenStackMarkerOnAsSide) {
  // CKPTFS_UNIX_SK_DATA_B2A is only in A: B overwrote it with the ready.2 path.
  uint64_t addr = hex(marker("pair-a", "CKPTFS_UNIX_SK_DATA_B2A")["addr"]);
  EXPECT_THROW(marker("pair-b", "CKPTFS_UNIX_SK_DATA_B2A"), std::runtime_error);
  std::string row = fmt::format("{:016x}", addr & ~15ull);
  auto r =
      run("grep -e '^-" + row + "' -e '^+" + row + "' " + shell_quote(d("procs/1/hexdump.diff")));
  ASSERT_EQ(r.status, 0) << r.err;
  // A's line first, then B's: the marker, then the path B wrote over it.
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), 2u) << r.out;
  std::istringstream in(r.out);
  std::string minus, plus;
  std::getline(in, minus);
  std::getline(in, plus);
  EXPECT_TRUE(minus.starts_with("-") && minus.ends_with("|CKPTFS_UNIX_SK_D|")) << r.out;
  EXPECT_TRUE(plus.starts_with("+") && plus.ends_with("|/srv/ckpt/ready.|")) << r.out;
  // Every line is as wide as the next, a separator opens each run.
  std::string all = read_file(d("procs/1/hexdump.diff"));
  EXPECT_EQ(all.size() % 88, 0u);
  EXPECT_EQ(run("grep -c '^@@ ' " + shell_quote(d("procs/1/hexdump.diff"))).out, "7\n");
  // cmp finds the first difference of the stack where pages says it is.
  r = run("cmp " + shell_quote(*m_ / "webapp2/procs/1/vmas/7ffd3f530000-7ffd3f551000.rw-p.stack") +
          " " + shell_quote(*m_ / "webapp2-2/procs/1/vmas/7ffd3f530000-7ffd3f551000.rw-p.stack"));
  EXPECT_EQ(r.status, 1);
  size_t at = r.out.find("byte ");
  ASSERT_NE(at, std::string::npos) << r.out;
  uint64_t first = 0x7ffd3f530000 + std::stoull(r.out.substr(at + 5)) - 1;
  EXPECT_EQ(first & ~(kPage - 1), 0x7ffd3f530000 + 29 * kPage);
}

TEST_F(PairDiff, SummaryNamesEveryChangeOfTheReadme) {
  std::string text = read_file(d("summary"));
  EXPECT_NE(text.find("Same container: cc95bf10da7c"), std::string::npos) << text;
  auto j = nlohmann::json::parse(read_file(d("summary.json")));
  EXPECT_EQ(j["same_container"], true);
  EXPECT_EQ(j["differ"], true);
  std::map<int, std::string> status;
  for (const auto& p : j["processes"]) {
    status[p["pid"]] = p["status"];
    for (const char* k : {"mappings", "descriptors", "sockets"})
      EXPECT_EQ(p[k].size(), 0u) << p["pid"] << " " << k << " (the README: unchanged)";
  }
  EXPECT_EQ(status,
            (std::map<int, std::string>{{1, "changed"}, {8, "unchanged"}, {9, "unchanged"}}));
  const auto& p1 = j["processes"][0];
  EXPECT_EQ(p1["pages"]["changed"]["pages"], 7);
  EXPECT_EQ(p1["pages"]["added"]["pages"], 2);
  EXPECT_EQ(p1["pages"]["removed"]["pages"], 0);
  // Registers of the main thread only (core-6/7 are byte-identical).
  ASSERT_EQ(p1["threads"].size(), 1u);
  EXPECT_EQ(p1["threads"][0]["key"], "thread 1");
  auto keys = [](const nlohmann::json& changes) {
    std::map<std::string, std::string> out;
    for (const auto& c : changes) out[c["key"]] = c["change"];
    return out;
  };
  EXPECT_EQ(
      keys(j["files"]["rootfs_diff"]),
      (std::map<std::string, std::string>{
          {"etc/motd", "added"}, {"srv/ckpt/ready.2", "added"}, {"srv/pair-new.txt", "added"}}));
  EXPECT_EQ(keys(j["files"]["deleted_files"]),
            (std::map<std::string, std::string>{{"/etc/issue.net", "added"}}));
  for (const char* k : {"devshm", "ghost_files", "pipes", "socket_queues"})
    EXPECT_EQ(j["files"][k].size(), 0u) << k;
  EXPECT_EQ(keys(j["images"]), (std::map<std::string, std::string>{{"core-1.img", "changed"},
                                                                   {"inventory.img", "changed"},
                                                                   {"pagemap-1.img", "changed"},
                                                                   {"timens-0.img", "changed"}}));
  EXPECT_EQ(keys(j["container"]["files"]),
            (std::map<std::string, std::string>{{"stats", "changed"}}));
  // jq reads it too.
  auto r = run("jq -r '.processes[] | select(.status != \"unchanged\") | .pid' " +
               shell_quote(d("summary.json")));
  EXPECT_EQ(r.out, "1\n");
}

// The documented diff -r line finishes, and every line it prints is one of the
// README's changes: container summary times and sizes, the rootfs-diff files,
// deleted.files, main's registers, the 5 mappings of PID 1 whose pages changed,
// and the image files the README lists as differing.
TEST_F(PairDiff, DiffRShowsOnlyRealDifferences) {
  auto r =
      run("cd " + shell_quote(m_->path()) +
          " && timeout 120 diff -rq --no-dereference -x mem -x core -x hexdump webapp2 webapp2-2");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err, "");
  std::set<std::string> want = {
      "Only in webapp2-2/containers/webapp2: deleted.files",
      "Only in webapp2-2/containers/webapp2/rootfs-diff: etc",
      "Only in webapp2-2/containers/webapp2/rootfs-diff/srv/ckpt: ready.2",
      "Only in webapp2-2/containers/webapp2/rootfs-diff/srv: pair-new.txt",
  };
  for (const char* f : {"containers/webapp2/info",
                        "containers/webapp2/info.json",
                        "containers/webapp2/memory.json",
                        "containers/webapp2/stats",
                        "procs/1/task/1/regs",
                        "procs/1/vmas/5573c94c5000-5573c94e6000.rw-p.heap",
                        "procs/1/vmas/7f44eba00000-7f44ebe00000.rw-p.anon",
                        "procs/1/vmas/7f44ebf96000-7f44ebf99000.rw-p.anon",
                        "procs/1/vmas/7f44ec16c000-7f44ec16e000.rw-p.libc.so.6",
                        "procs/1/vmas/7ffd3f530000-7ffd3f551000.rw-p.stack",
                        "raw/core-1.img",
                        "raw/core-1.img.json",
                        "raw/inventory.img",
                        "raw/inventory.img.json",
                        "raw/pagemap-1.img",
                        "raw/pagemap-1.img.json",
                        "raw/pages-2.img",
                        "raw/stats-dump",
                        "raw/stats-dump.json",
                        "raw/timens-0.img",
                        "raw/timens-0.img.json"})
    want.insert(fmt::format("Files webapp2/{} and webapp2-2/{} differ", f, f));
  EXPECT_EQ(lines(r.out), want) << r.out;
}

TEST(DiffSelf, ACheckpointAndItsRepackShowNoDifference) {
  ASSERT_TRUE(have_fixtures()) << "the shared fixtures are missing";
  TempDir tmp;
  // The webapp export repacked as a plain tar: same state, other packing.
  ASSERT_EQ(
      run("mkdir " + shell_quote(tmp / "x") + " && tar -xf " +
          shell_quote(fixture("webapp-checkpoint.tar.zst")) + " -C " + shell_quote(tmp / "x") +
          " && tar -C " + shell_quote(tmp / "x") + " -cf " + shell_quote(tmp / "webapp.tar") + " .")
          .status,
      0);
  struct Case {
    std::vector<std::string> inputs;
    std::string a, b;
  };
  for (const Case& c :
       {Case{{fixture("pair-a.tar.zst"), fixture("pair-a.tar.zst")}, "webapp2", "webapp2-2"},
        Case{{fixture("webapp-checkpoint.tar.zst"), tmp / "webapp.tar"}, "webapp", "webapp-2"}}) {
    SCOPED_TRACE(c.b);
    Mount m(c.inputs);
    std::string dir = m / ("diff/" + c.a + ".." + c.b);
    EXPECT_NE(read_file(dir + "/summary").find("Result: no difference."), std::string::npos);
    auto j = nlohmann::json::parse(read_file(dir + "/summary.json"));
    EXPECT_EQ(j["differ"], false);
    for (const auto& p : j["processes"]) {
      std::string pd = dir + "/procs/" + std::to_string(p["pid"].get<int>());
      EXPECT_EQ(read_file(pd + "/pages"), "");
      EXPECT_EQ(read_file(pd + "/hexdump.diff"), "");
      EXPECT_EQ(read_file(pd + "/maps.diff"), "");
      EXPECT_EQ(run("ls " + shell_quote(pd + "/changed-regions")).out, "");
    }
    auto r = run("timeout 120 diff -rq --no-dereference -x mem -x core -x hexdump " +
                 shell_quote(m / c.a) + " " + shell_quote(m / c.b));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(m.unmount()) << m.log();
  }
}

TEST(DiffOthers, DifferentContainersAreSaidPlainlyAndComparedAnyway) {
  ASSERT_TRUE(have_fixtures()) << "the shared fixtures are missing";
  Mount m(
      {fixture("webapp-checkpoint.tar.zst"), fixture("pair-a.tar.zst"), fixture("pair-b.tar.zst")});
  EXPECT_EQ(run("ls " + shell_quote(m / "diff")).out, "webapp..webapp2\nwebapp2..webapp2-2\n");
  std::string s = read_file(m / "diff/webapp..webapp2/summary");
  EXPECT_NE(s.find("DIFFERENT CONTAINERS: A is container a5a1f0158eb5"), std::string::npos) << s;
  EXPECT_NE(s.find("B is container cc95bf10da7c"), std::string::npos) << s;
  // Compared anyway: the same program at other addresses (ASLR) differs everywhere.
  EXPECT_NE(read_file(m / "diff/webapp..webapp2/procs/1/maps.diff"), "");
  EXPECT_NE(read_file(m / "diff/webapp..webapp2/procs/1/pages"), "");
  EXPECT_NE(read_file(m / "diff/webapp2..webapp2-2/summary").find("Same container"),
            std::string::npos);
  EXPECT_TRUE(m.unmount()) << m.log();
}

// Reads a whole file past the kernel's page cache; 0 or the errno that failed.
int read_uncached(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT);
  if (fd < 0) return errno;
  std::vector<char> buf(1 << 20);
  ssize_t n = 0;
  for (off_t off = 0; (n = ::pread(fd, buf.data(), buf.size(), off)) > 0; off += n)
    out.append(buf.data(), static_cast<size_t>(n));
  int err = n < 0 ? errno : 0;
  ::close(fd);
  return err;
}

// B's pages of PID 1 cut short after mounting: what depends on them fails
// with EIO, each file logged once however often read; the rest works.
TEST(DiffBroken, AnUnreadablePageFailsOnlyTheFilesThatNeedIt) {
  ASSERT_TRUE(have_fixtures()) << "the shared fixtures are missing";
  TempDir tmp;
  for (const char* side : {"a", "b"})
    ASSERT_EQ(run(fmt::format("mkdir {0} && tar -xf {1} -C {0}", shell_quote(tmp / side),
                              shell_quote(fixture(std::string("pair-") + side + ".tar.zst"))))
                  .status,
              0);
  Mount m({tmp / "a", tmp / "b"});
  std::string pages = tmp / "b/checkpoint/pages-2.img";  // PID 1's, says the README
  fs::resize_file(pages, fs::file_size(pages) - 3 * kPage);
  std::string dir = m / kPair;
  std::vector<std::string> failing = {"procs/1/pages", "procs/1/hexdump.diff", "summary",
                                      "summary.json"};
  for (int round = 0; round < 2; ++round)
    for (const auto& f : failing) {
      std::string out;
      EXPECT_EQ(read_uncached(dir + "/" + f, out), EIO) << f;
    }
  std::string out;
  EXPECT_EQ(read_uncached(dir + "/procs/8/pages", out), 0);
  EXPECT_EQ(out, "");
  EXPECT_EQ(read_file(dir + "/procs/1/maps.diff"), "");
  EXPECT_EQ(run("ls " + shell_quote(dir + "/procs/1/changed-regions")).out, "ERROR\n");
  EXPECT_NE(read_file(dir + "/procs/1/changed-regions/ERROR").find("pages-2.img"),
            std::string::npos);
  EXPECT_EQ(read_file(m / "webapp2-2/procs/1/comm"), "ckpt_workload\n");
  EXPECT_TRUE(m.unmount());
  size_t logged = 0;
  std::istringstream log(m.log());
  for (std::string l; std::getline(log, l);)
    if (l.find("pages-2.img") != std::string::npos) ++logged;
  // One line per failing file (and one for changed-regions/), however often read.
  EXPECT_EQ(logged, failing.size() + 1) << m.log();
}

}  // namespace
}  // namespace ckptfs::test
