// load_checkpoints on synthetic image directories: process tree, pagemap
// decoding across CRIU versions, shared memory, VMA naming, and the error
// every kind of corrupt input must give (one line naming the image file).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "images/image_reader.h"
#include "images/magic.h"
#include "model/loader.h"
#include "source/source.h"
#include "support/image_writer.h"
#include "support/input_error.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace S = vma_status;
constexpr uint32_t kR = 1, kRW = 3, kRX = 5;
constexpr uint32_t kMapShared = 0x1, kMapPrivate = 0x2, kMapAnon = 0x20;
constexpr uint32_t kAnonStatus = S::kRegular | S::kAnonPrivate;  // 0x201
constexpr uint64_t kAnon = 0x7f1200000000;                       // a 64-page anonymous VMA

std::string read(const Process& p, uint64_t addr, size_t len) {
  std::string s(len, '\x55');
  p.memory.read(addr, s.data(), len);
  return s;
}
std::string zeros(size_t len) { return std::string(len, '\0'); }

class LoaderTest : public ::testing::Test {
 protected:
  // A live process with one anonymous VMA at kAnon; memory is up to the test.
  void live(uint32_t pid, uint32_t ppid = 0, const std::string& comm = "app") {
    w_.process(pid, ppid, comm);
    w_.vma(pid, kAnon, kAnon + 64 * kPage, kRW, kMapPrivate | kMapAnon, kAnonStatus);
  }
  const Checkpoint& load() {
    loaded_ = load_checkpoints(open_source(tmp_.path()), "synthetic");
    if (loaded_.size() != 1) throw std::runtime_error("expected one checkpoint");
    return *loaded_[0];
  }
  std::string load_error() {
    return error_of([&] { load_checkpoints(open_source(tmp_.path()), "synthetic"); });
  }

  TempDir tmp_;
  ImageDirWriter w_{tmp_.path()};
  std::vector<std::unique_ptr<Checkpoint>> loaded_;
};

TEST_F(LoaderTest, TinyProcessTree) {
  w_.inventory();
  w_.process(1, 0, "init", {5, 1, 6});  // leader not first: the loader puts it first
  w_.vma(1, kAnon, kAnon + 64 * kPage, kRW, kMapPrivate | kMapAnon, kAnonStatus);
  std::string data = pattern(2 * kPage, 1);
  w_.pages(1, kAnon + 4 * kPage, data);
  live(7, 1, "child");
  w_.finish();

  const Checkpoint& c = load();
  EXPECT_EQ(c.name, "synthetic");
  EXPECT_EQ(c.layout.image_dir, "");
  EXPECT_EQ(c.info.engine, "none");
  EXPECT_EQ(c.root_pid, 1u);
  ASSERT_EQ(c.procs.size(), 2u);
  const Process& init = c.procs.at(1);
  EXPECT_EQ(init.comm, "init");
  EXPECT_EQ(init.state, TaskState::Alive);
  EXPECT_EQ(init.ppid, 0u);
  EXPECT_EQ(init.children, std::vector<uint32_t>{7});
  ASSERT_EQ(init.threads.size(), 3u);
  EXPECT_EQ(init.threads[0].tid, 1u);
  EXPECT_EQ(init.threads[0].comm, "init");
  EXPECT_EQ(init.threads[1].tid, 5u);
  EXPECT_EQ(init.threads[1].comm, "init-5");
  EXPECT_EQ(init.threads[2].tid, 6u);
  EXPECT_EQ(init.files_id, 1u);
  ASSERT_EQ(init.vmas.size(), 1u);
  EXPECT_EQ(init.vmas[0].perms(), "rw-p");
  EXPECT_EQ(init.vmas[0].kind, VmaKind::Anon);
  EXPECT_EQ(init.vmas[0].path, "");
  ASSERT_TRUE(init.mm);
  EXPECT_EQ(init.mm->vmas_size(), 0);  // kept without the VMAs

  EXPECT_EQ(read(init, kAnon + 4 * kPage, 2 * kPage), data);
  EXPECT_EQ(read(init, kAnon + 3 * kPage, kPage), zeros(kPage));
  EXPECT_EQ(read(init, kAnon + 6 * kPage, kPage), zeros(kPage));
  EXPECT_EQ(init.memory.stored_bytes(), 2 * kPage);
  EXPECT_EQ(init.pages_unavailable, 0u);

  const Process& child = c.procs.at(7);
  EXPECT_EQ(child.ppid, 1u);
  EXPECT_EQ(child.memory.stored_bytes(), 0u);
}

class PagemapCountField : public LoaderTest, public ::testing::WithParamInterface<CountField> {};

TEST_P(PagemapCountField, BothLocationsOfTheCountAreRead) {
  w_.count_field = GetParam();
  w_.inventory();
  live(1);
  std::string a = pattern(3 * kPage, 1), b = pattern(2 * kPage, 2), c = pattern(kPage, 3);
  w_.pages(1, kAnon, a);
  w_.pages(1, kAnon + 10 * kPage, b);
  w_.pages(1, kAnon + 12 * kPage, c);  // touches b: one data run
  w_.finish();

  // The writer really produced the layout of that CRIU version.
  ImageReader r("pagemap-1.img", w_.read("pagemap-1.img"), magic::kPagemap);
  criu::pagemap_head head;
  ASSERT_TRUE(r.next(head));
  criu::pagemap_entry e;
  ASSERT_TRUE(r.next(e));
  if (GetParam() == CountField::kNrPages) {
    EXPECT_TRUE(e.has_compat_nr_pages());
    EXPECT_EQ(e.compat_nr_pages(), 0u);
    EXPECT_EQ(e.nr_pages(), 3u);
  } else {
    EXPECT_FALSE(e.has_nr_pages());
    EXPECT_EQ(e.compat_nr_pages(), 3u);
  }

  const Process& p = load().procs.at(1);
  EXPECT_EQ(read(p, kAnon, 3 * kPage), a);
  EXPECT_EQ(read(p, kAnon + 3 * kPage, 7 * kPage), zeros(7 * kPage));
  EXPECT_EQ(read(p, kAnon + 10 * kPage, 3 * kPage), b + c);
  EXPECT_EQ(p.memory.stored_bytes(), 6 * kPage);
  EXPECT_EQ(p.memory.next_hole(kAnon + 10 * kPage), kAnon + 13 * kPage);
}

INSTANTIATE_TEST_SUITE_P(Criu, PagemapCountField,
                         ::testing::Values(CountField::kNrPages, CountField::kCompat),
                         [](const auto& test_case) {
                           return test_case.param == CountField::kNrPages ? "Criu42NrPages"
                                                                          : "Criu41Compat";
                         });

TEST_F(LoaderTest, NonPresentEntriesTakeNoSpaceInThePagesFile) {
  w_.inventory();
  live(1);
  std::string p0 = pattern(kPage, 10), p1 = pattern(kPage, 11), p2 = pattern(2 * kPage, 12);
  w_.pages(1, kAnon, p0);
  w_.absent(1, kAnon + 2 * kPage, 3, kPeParent);
  w_.absent(1, kAnon + 5 * kPage, 2, kPeLazy);
  w_.pages(1, kAnon + 8 * kPage, p1, kPePresent | kPeLazy);  // lazy-capable, but written
  w_.pages(1, kAnon + 9 * kPage, p2);
  w_.finish();
  // The file holds exactly the PE_PRESENT pages, in pagemap order.
  ASSERT_EQ(w_.read(w_.pages_file(1)), p0 + p1 + p2);

  const Process& p = load().procs.at(1);
  EXPECT_EQ(read(p, kAnon, kPage), p0);
  EXPECT_EQ(read(p, kAnon + 2 * kPage, 5 * kPage), zeros(5 * kPage));
  EXPECT_EQ(read(p, kAnon + 8 * kPage, kPage), p1);
  EXPECT_EQ(read(p, kAnon + 9 * kPage, 2 * kPage), p2);
  EXPECT_EQ(p.pages_unavailable, 5u);
  EXPECT_EQ(p.memory.stored_bytes(), 4 * kPage);
  EXPECT_EQ(p.memory.next_data(kAnon + kPage), kAnon + 8 * kPage);
}

TEST_F(LoaderTest, OldPagemapsWithoutFlagsAndWithInParent) {
  w_.inventory();
  live(1);
  w_.finish();
  // CRIU < 3.5: no flags field; in_parent marks pages kept in the parent dump.
  auto old_entry = [](uint64_t vaddr, uint32_t n, bool in_parent) {
    criu::pagemap_entry e;
    e.set_vaddr(vaddr);
    e.set_compat_nr_pages(n);
    if (in_parent) e.set_in_parent(true);
    return e.SerializeAsString();
  };
  criu::pagemap_head head;
  head.set_pages_id(1);
  w_.write_raw("pagemap-1.img",
               image(magic::kCommon, magic::kPagemap,
                     {head.SerializeAsString(), old_entry(kAnon, 1, false),
                      old_entry(kAnon + kPage, 2, true), old_entry(kAnon + 3 * kPage, 1, false)}));
  std::string a = pattern(kPage, 1), b = pattern(kPage, 2);
  w_.write_raw("pages-1.img", a + b);

  const Process& p = load().procs.at(1);
  EXPECT_EQ(read(p, kAnon, 4 * kPage), a + zeros(2 * kPage) + b);
  EXPECT_EQ(p.pages_unavailable, 2u);
}

TEST_F(LoaderTest, HolesReadAsZeros) {
  w_.inventory();
  live(1);
  std::string a = pattern(2 * kPage, 1), b = pattern(kPage, 2), c = pattern(3 * kPage, 3);
  w_.pages(1, kAnon, a);
  w_.pages(1, kAnon + 5 * kPage, b);
  w_.pages(1, kAnon + 9 * kPage, c);
  w_.finish();
  const Process& p = load().procs.at(1);
  // One read across every hole and every run, starting and ending mid-page.
  std::string all = a + zeros(3 * kPage) + b + zeros(3 * kPage) + c + zeros(4 * kPage);
  EXPECT_EQ(read(p, kAnon + 100, all.size() - 200), all.substr(100, all.size() - 200));
  EXPECT_EQ(p.memory.next_data(kAnon + 2 * kPage), kAnon + 5 * kPage);
  EXPECT_EQ(p.memory.next_hole(kAnon + 5 * kPage + 7), kAnon + 6 * kPage);
  EXPECT_EQ(p.memory.next_hole(kAnon + 10 * kPage), kAnon + 12 * kPage);
  EXPECT_EQ(p.memory.next_data(kAnon + 12 * kPage), std::nullopt);
}

TEST_F(LoaderTest, TwentyThousandEntriesWithHolesAndAbsentPages) {
  constexpr int kEntries = 20000;
  constexpr uint64_t kBase = 0x7f3400000000;
  w_.inventory();
  w_.process(1, 0, "big");
  // One page per entry, in groups of eight: a stored page after a hole, a
  // stored page touching it, then six pages the dump does not hold
  // (PE_PARENT, PE_LAZY), each after a hole. Every stored page's offset in
  // the pages file depends on all the entries before it.
  std::vector<uint64_t> stored;  // addresses of the stored pages, ascending
  uint64_t addr = kBase;
  for (int i = 0; i < kEntries; ++i) {
    if (i % 8 != 1) addr += kPage;  // a hole before all but the touching page
    if (i % 8 < 2) {
      w_.pages(1, addr, pattern(kPage, static_cast<uint32_t>(stored.size())));
      stored.push_back(addr);
    } else {
      w_.absent(1, addr, 1, i % 2 ? kPeLazy : kPeParent);
    }
    addr += kPage;
  }
  const uint64_t end = addr + kPage;
  w_.vma(1, kBase, end, kRW, kMapPrivate | kMapAnon, kAnonStatus);
  w_.finish();

  const Process& p = load().procs.at(1);
  EXPECT_EQ(p.memory.stored_bytes(), stored.size() * kPage);
  EXPECT_EQ(p.pages_unavailable, kEntries - stored.size());
  // Each touching pair continues in memory and in the pages file: one extent.
  EXPECT_EQ(p.memory.extents().size(), stored.size() / 2);

  // The first stored page ending after a.
  auto stored_after = [&](uint64_t a) {
    return std::upper_bound(stored.begin(), stored.end(), a,
                            [](uint64_t x, uint64_t v) { return x < v + kPage; });
  };
  // What [a, a + len) must read as, written into out (reused: 1 MiB buffers
  // allocated per chunk would cost more than the reads under test).
  auto expected = [&](uint64_t a, uint64_t len, std::string& out) {
    out.assign(len, '\0');
    for (auto it = stored_after(a); it != stored.end() && *it < a + len; ++it) {
      uint64_t from = std::max(a, *it), to = std::min(a + len, *it + kPage);
      out.replace(from - a, to - from, pattern(kPage, static_cast<uint32_t>(it - stored.begin())),
                  from - *it, to - from);
    }
  };
  std::string got, want;
  auto matches = [&](uint64_t a, uint64_t len) {
    got.assign(len, '\x55');  // not zero: holes must be written
    p.memory.read(a, got.data(), len);
    expected(a, len, want);
    return got == want;
  };
  constexpr uint64_t kChunk = 1 << 20;
  for (uint64_t a = kBase; a < end; a += kChunk)
    ASSERT_TRUE(matches(a, std::min(kChunk, end - a))) << "chunk at 0x" << std::hex << a;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> at(kBase, end - 1), len(0, 5 * kPage);
  for (int i = 0; i < 2000; ++i) {
    uint64_t a = at(rng), n = std::min(len(rng), end - a);
    ASSERT_TRUE(matches(a, n)) << "at 0x" << std::hex << a << " + " << std::dec << n;
    auto it = stored_after(a);
    if (it != stored.end() && *it <= a) {
      ASSERT_EQ(p.memory.next_data(a), a);
      ASSERT_EQ(p.memory.next_hole(a), (it - stored.begin()) % 2 ? *it + kPage : *it + 2 * kPage);
    } else {
      ASSERT_EQ(p.memory.next_hole(a), a);
      ASSERT_EQ(p.memory.next_data(a),
                it == stored.end() ? std::nullopt : std::optional<uint64_t>(*it));
    }
  }
}

TEST_F(LoaderTest, SharedMemoryShowsAtEveryMapping) {
  // Above kAnon: VMAs are in address order.
  constexpr uint64_t kM1 = 0x7f2000100000, kM2 = 0x7f2000200000;  // memfd "/dev/zero"
  constexpr uint64_t kS1 = 0x7f2000300000, kS2 = 0x7f2000400000;  // VMA_ANON_SHARED
  constexpr uint64_t kUntouched = 0x7f2000500000;                 // no pagemap-shmem at all
  constexpr uint32_t kMemfdStatus = S::kRegular | S::kFileShared | S::kMemfd;  // 0x4081
  constexpr uint32_t kShmStatus = S::kRegular | S::kAnonShared;
  w_.inventory();
  // CRIU 4.2 dumps MAP_SHARED|MAP_ANONYMOUS as a memfd named /dev/zero (§7.3).
  w_.memfd(50, 60, 1234, "/dev/zero", 8 * kPage);
  std::string a = pattern(kPage, 1), b = pattern(2 * kPage, 2), c = pattern(kPage, 3);
  w_.shmem_pages(1234, 0, a);
  w_.shmem_pages(1234, 3 * kPage, b);
  w_.shmem_pages(1234, 7 * kPage, c);
  std::string d = pattern(2 * kPage, 4);
  w_.shmem_pages(777, kPage, d);

  live(1);
  std::string priv = pattern(kPage, 5);
  w_.pages(1, kAnon, priv);
  w_.vma(1, kM1, kM1 + 8 * kPage, kRW, kMapShared, kMemfdStatus, 50, 0);
  w_.vma(1, kS1, kS1 + 4 * kPage, kRW, kMapShared | kMapAnon, kShmStatus, 777, 0);
  w_.vma(1, kUntouched, kUntouched + 2 * kPage, kRW, kMapShared | kMapAnon, kShmStatus, 999, 0);
  live(2, 1);
  w_.vma(2, kM2, kM2 + 3 * kPage, kR, kMapShared, kMemfdStatus, 50, 2 * kPage);
  w_.vma(2, kS2, kS2 + 2 * kPage, kRW, kMapShared | kMapAnon, kShmStatus, 777, 2 * kPage);
  w_.finish();

  const Checkpoint& ck = load();
  const Process& p1 = ck.procs.at(1);
  const Process& p2 = ck.procs.at(2);
  // Every byte of the object at v.start + (offset - pgoff), clipped to the VMA.
  EXPECT_EQ(read(p1, kM1, 8 * kPage), a + zeros(2 * kPage) + b + zeros(2 * kPage) + c);
  EXPECT_EQ(read(p2, kM2, 3 * kPage), zeros(kPage) + b);
  EXPECT_EQ(read(p2, kM2 - kPage, kPage), zeros(kPage));      // offset 1 is not mapped in p2
  EXPECT_EQ(read(p2, kM2 + 3 * kPage, kPage), zeros(kPage));  // nor offset 5 and beyond
  EXPECT_EQ(read(p1, kS1, 4 * kPage), zeros(kPage) + d + zeros(kPage));
  EXPECT_EQ(read(p2, kS2, 2 * kPage), d.substr(kPage) + zeros(kPage));  // run cut at pgoff
  EXPECT_EQ(read(p1, kUntouched, 2 * kPage), zeros(2 * kPage));
  EXPECT_EQ(read(p1, kAnon, kPage), priv);
  EXPECT_EQ(p1.memory.stored_bytes(), (1 + 4 + 2) * kPage);
  EXPECT_EQ(p2.memory.stored_bytes(), (2 + 1) * kPage);

  ASSERT_EQ(p1.vmas.size(), 4u);
  const Vma& memfd = p1.vmas[1];
  EXPECT_EQ(memfd.kind, VmaKind::SharedAnon);
  EXPECT_EQ(memfd.path, "/dev/zero (deleted)");
  EXPECT_EQ(memfd.inode, 1234u);
  EXPECT_EQ(memfd.shmem_id, 1234u);
  EXPECT_EQ(memfd.perms(), "rw-s");
  const Vma& shm = p2.vmas[2];
  EXPECT_EQ(shm.kind, VmaKind::SharedAnon);
  EXPECT_EQ(shm.path, "/dev/zero (deleted)");
  EXPECT_EQ(shm.inode, 777u);
  EXPECT_EQ(shm.pgoff, 2 * kPage);
}

TEST_F(LoaderTest, PrivateMemfdMappingShowsItsCowedPagesOverTheObject) {
  // MAP_PRIVATE of a memfd: CRIU dumps the pages the process wrote into its own
  // pagemap (VMA_FILE_PRIVATE) and the object's content into pagemap-shmem;
  // the process sees its copies where it has them, the object elsewhere.
  constexpr uint64_t kM = 0x7f2000100000;
  w_.inventory();
  w_.memfd(30, 31, 4444, "cow", 4 * kPage);
  std::string object = pattern(4 * kPage, 1), cowed = pattern(kPage, 2);
  w_.shmem_pages(4444, 0, object);
  live(1);
  w_.vma(1, kM, kM + 4 * kPage, kRW, kMapPrivate, S::kRegular | S::kFilePrivate | S::kMemfd, 30, 0);
  std::string cowed_last = pattern(kPage, 3);
  w_.pages(1, kM + kPage, cowed);
  w_.pages(1, kM + 3 * kPage, cowed_last);
  w_.finish();

  const Process& p = load().procs.at(1);
  ASSERT_EQ(p.vmas.size(), 2u);
  EXPECT_EQ(p.vmas[1].path, "/memfd:cow (deleted)");
  EXPECT_EQ(p.vmas[1].perms(), "rw-p");
  EXPECT_EQ(read(p, kM, 4 * kPage),
            object.substr(0, kPage) + cowed + object.substr(2 * kPage, kPage) + cowed_last);
  EXPECT_EQ(p.memory.stored_bytes(), 4 * kPage);
}

TEST_F(LoaderTest, GuardVmasAreSkipped) {
  w_.inventory();
  live(1);
  // CRIU 4.2 appends fake guard entries describing ranges inside real VMAs.
  w_.vma(1, kAnon + 2 * kPage, kAnon + 3 * kPage, 0, 0, S::kGuard);
  w_.vma(1, kAnon + 9 * kPage, kAnon + 11 * kPage, 0, 0, S::kGuard);
  w_.finish();
  const Process& p = load().procs.at(1);
  ASSERT_EQ(p.vmas.size(), 1u);
  EXPECT_EQ(p.vmas[0].start, kAnon);
  EXPECT_EQ(p.vmas[0].end, kAnon + 64 * kPage);
}

TEST_F(LoaderTest, OnlyStatusExactlyGuardIsSkipped) {
  w_.inventory();
  live(1);
  w_.vma(1, kAnon + 2 * kPage, kAnon + 3 * kPage, kRW, kMapPrivate, S::kGuard | S::kRegular);
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "mm-1.img: ", {"VMA 1", "overlaps the previous VMA"}));
}

TEST_F(LoaderTest, MapsNaming) {
  constexpr uint64_t kStack = 0x7ffc00000000, kVvar = 0x7ffc00100000, kVdso = 0x7ffc00104000;
  constexpr uint64_t kVsyscall = 0xffffffffff600000;
  w_.inventory();
  w_.mount(1, 3, (253u << 20) | 2);
  w_.reg_file(10, "/usr/bin/app", 3);
  w_.reg_file(11, "/var/lib/data.db");
  w_.remap(11, 0x80000005, std::nullopt);  // old image: bit 31 says ghost
  w_.reg_file(12, "/tmp/linked");
  w_.remap(12, 13, 0);  // LINKED
  w_.reg_file(13, "/tmp/link_remap.1");
  w_.reg_file(14, "/proc/123");
  w_.remap(14, 123, 2);  // PROCFS: the path is not a deleted file
  w_.reg_file(15, "/opt/ghost.so");
  w_.remap(15, 7, 1);  // GHOST
  w_.memfd(20, 21, 5555, "buf", kPage);

  w_.process(1, 0, "app");
  w_.mm(1).set_exe_file_id(10);
  w_.mm(1).set_mm_start_stack(kStack + 0x20f00);
  w_.vma(1, 0x400000, 0x402000, kRX, kMapPrivate, S::kRegular | S::kFilePrivate, 10, 0x1000);
  w_.vma(1, 0x600000, 0x601000, kRW, kMapShared, S::kRegular | S::kFileShared, 11);
  w_.vma(1, 0x602000, 0x603000, kR, kMapPrivate, S::kRegular | S::kFilePrivate, 12);
  w_.vma(1, 0x604000, 0x605000, kR, kMapPrivate, S::kRegular | S::kFilePrivate, 14);
  w_.vma(1, 0x606000, 0x607000, kRX, kMapPrivate, S::kRegular | S::kFilePrivate, 15);
  w_.vma(1, 0x1000000, 0x1021000, kRW, kMapPrivate | kMapAnon, kAnonStatus | S::kHeap);
  w_.vma(1, 0x7f0000000000, 0x7f0000001000, kRW, kMapPrivate | kMapAnon, kAnonStatus);
  w_.vma(1, 0x7f0000010000, 0x7f0000012000, kRW, kMapShared | kMapAnon,
         S::kRegular | S::kAnonShared, 4242);
  w_.vma(1, 0x7f0000020000, 0x7f0000021000, kRW, kMapShared,
         S::kRegular | S::kFileShared | S::kMemfd, 20);
  w_.vma(1, kStack, kStack + 0x21000, kRW, kMapPrivate | kMapAnon | 0x100, kAnonStatus);
  w_.vma(1, kVvar, kVvar + 4 * kPage, kR, kMapPrivate, kAnonStatus | S::kVvar);
  w_.vma(1, kVdso, kVdso + 2 * kPage, kRX, kMapPrivate, kAnonStatus | S::kVdso);
  w_.vma(1, kVsyscall, kVsyscall + kPage, 4, kMapPrivate, S::kAnonPrivate | S::kVsyscall);
  w_.vma(1, 0x1004000, 0x1005000, 0, 0, S::kGuard);
  w_.finish();

  const Process& p = load().procs.at(1);
  EXPECT_EQ(p.exe, "/usr/bin/app");
  struct Want {
    uint64_t start;
    const char* perms;
    const char* path;
    VmaKind kind;
  };
  const Want want[] = {
      {0x400000, "r-xp", "/usr/bin/app", VmaKind::File},
      {0x600000, "rw-s", "/var/lib/data.db (deleted)", VmaKind::File},
      {0x602000, "r--p", "/tmp/linked (deleted)", VmaKind::File},
      {0x604000, "r--p", "/proc/123", VmaKind::File},
      {0x606000, "r-xp", "/opt/ghost.so (deleted)", VmaKind::File},
      {0x1000000, "rw-p", "[heap]", VmaKind::Heap},
      {0x7f0000000000, "rw-p", "", VmaKind::Anon},
      {0x7f0000010000, "rw-s", "/dev/zero (deleted)", VmaKind::SharedAnon},
      {0x7f0000020000, "rw-s", "/memfd:buf (deleted)", VmaKind::Memfd},
      {kStack, "rw-p", "[stack]", VmaKind::Stack},
      {kVvar, "r--p", "[vvar]", VmaKind::Vvar},
      {kVdso, "r-xp", "[vdso]", VmaKind::Vdso},
      {kVsyscall, "--xp", "[vsyscall]", VmaKind::Vsyscall},
  };
  ASSERT_EQ(p.vmas.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    SCOPED_TRACE(want[i].path);
    EXPECT_EQ(p.vmas[i].start, want[i].start);
    EXPECT_EQ(p.vmas[i].perms(), want[i].perms);
    EXPECT_EQ(p.vmas[i].path, want[i].path);
    EXPECT_EQ(p.vmas[i].kind, want[i].kind);
  }
  // Device from the file's mount, offset in bytes, shmem inode for shared anon.
  EXPECT_EQ(p.vmas[0].dev_major, 253u);
  EXPECT_EQ(p.vmas[0].dev_minor, 2u);
  EXPECT_EQ(p.vmas[0].pgoff, 0x1000u);
  EXPECT_EQ(p.vmas[7].inode, 4242u);
  EXPECT_EQ(p.vmas[7].shmem_id, 4242u);
  EXPECT_EQ(p.vmas[8].inode, 5555u);
  EXPECT_EQ(p.vmas[8].shmem_id, 5555u);
}

TEST_F(LoaderTest, ZombieWithoutMmLoads) {
  w_.inventory();
  live(1, 0, "parent");
  w_.process(2, 1, "defunct", {}, 2);  // TASK_DEAD: how CRIU stores a zombie
  w_.finish();
  ASSERT_FALSE(std::filesystem::exists(w_.path("mm-2.img")));
  ASSERT_FALSE(std::filesystem::exists(w_.path("pagemap-2.img")));

  const Checkpoint& c = load();
  const Process& z = c.procs.at(2);
  EXPECT_EQ(z.state, TaskState::Zombie);
  EXPECT_EQ(z.comm, "defunct");
  EXPECT_EQ(z.exit_code, 7u);
  EXPECT_FALSE(z.mm);
  EXPECT_TRUE(z.vmas.empty());
  EXPECT_EQ(z.memory.stored_bytes(), 0u);
  ASSERT_EQ(z.threads.size(), 1u);
  EXPECT_EQ(z.threads[0].comm, "defunct");
  EXPECT_EQ(c.procs.at(1).children, std::vector<uint32_t>{2});
}

// ---- corrupt input: every error is one line that names the image file ----

class CorruptTest : public LoaderTest {
 protected:
  // A sound one-process checkpoint with two stored pages; tests break one thing.
  void SetUp() override {
    w_.inventory();
    live(1);
    w_.pages(1, kAnon, pattern(2 * kPage, 1));
  }
};

TEST_F(CorruptTest, SoundBaselineLoads) {
  w_.finish();
  EXPECT_EQ(load().procs.at(1).memory.stored_bytes(), 2 * kPage);
}

TEST_F(CorruptTest, PagemapEntryClaiming2To60Pages) {
  w_.absent(1, kAnon + 4 * kPage, 1ull << 60, kPePresent);  // refused on the count alone
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(),
                       "pagemap-1.img: ", {"entry 2", "1152921504606846976 pages", "exceed"}));
}

TEST_F(CorruptTest, PagemapEntryRunningPastTheAddressSpace) {
  w_.absent(1, kUserAddressEnd - kPage, 2, kPeParent);  // no data needed to be wrong
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"entry 2", "exceed the address space"}));
}

TEST_F(CorruptTest, OverlappingPagemapEntries) {
  w_.pages(1, kAnon + kPage, pattern(kPage, 2));
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"entry 2", "0x7f1200001000", "overlap"}));
}

TEST_F(CorruptTest, PagemapEntriesOutOfOrder) {
  w_.pages(1, kAnon + 8 * kPage, pattern(kPage, 2));
  w_.pages(1, kAnon + 4 * kPage, pattern(kPage, 3));
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"entry 3", "overlap"}));
}

TEST_F(CorruptTest, PagemapAddressNotPageAligned) {
  w_.absent(1, kAnon + 8 * kPage + 16, 1, kPeParent);
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"entry 2", "not page aligned"}));
}

TEST_F(CorruptTest, PagemapWithoutHead) {
  w_.finish();
  w_.write_raw("pagemap-1.img", image(magic::kCommon, magic::kPagemap, {}));
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"no pagemap head"}));
}

TEST_F(CorruptTest, ProcessListedTwice) {
  w_.finish();
  criu::pstree_entry again;
  again.set_pid(1);
  w_.append_entry("pstree.img", again.SerializeAsString());
  EXPECT_TRUE(Mentions(load_error(), "pstree.img: ", {"process 1", "twice"}));
}

TEST_F(CorruptTest, PresentPagesPastTheEndOfThePagesFile) {
  w_.finish();
  std::string pages = w_.read("pages-1.img");
  w_.write_raw("pages-1.img", pages.substr(0, kPage + 100));
  EXPECT_TRUE(Mentions(
      load_error(), "pages-1.img: ", {"4196 bytes", "pagemap-1.img", "8192 bytes", "truncated"}));
}

TEST_F(CorruptTest, MissingPagesFile) {
  w_.finish();
  w_.remove("pages-1.img");
  EXPECT_TRUE(Mentions(load_error(), "pages-1.img: ", {"missing", "pagemap-1.img"}));
}

TEST_F(CorruptTest, VmaEndBeforeStart) {
  w_.vma(1, kAnon + 0x100000, kAnon + 0x80000, kRW, kMapPrivate | kMapAnon, kAnonStatus);
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "mm-1.img: ", {"VMA 1", "bad range"}));
}

TEST_F(CorruptTest, VmaNotPageAligned) {
  w_.vma(1, kAnon + 0x100000, kAnon + 0x100800, kRW, kMapPrivate | kMapAnon, kAnonStatus);
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "mm-1.img: ", {"VMA 1", "bad range"}));
}

TEST_F(CorruptTest, MissingPstree) {
  w_.finish();
  w_.remove("pstree.img");
  EXPECT_TRUE(Mentions(load_error(), "pstree.img: ", {"missing"}));
}

TEST_F(CorruptTest, EmptyPstree) {
  w_.finish();
  w_.write_raw("pstree.img", image(magic::kCommon, magic::kPstree, {}));
  EXPECT_TRUE(Mentions(load_error(), "pstree.img: ", {"no process"}));
}

TEST_F(CorruptTest, MissingMmForALiveProcess) {
  w_.finish();
  w_.remove("mm-1.img");
  EXPECT_TRUE(Mentions(load_error(), "mm-1.img: ", {"missing"}));
}

TEST_F(CorruptTest, MissingPagemapForALiveProcess) {
  w_.finish();
  w_.remove("pagemap-1.img");
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"missing", "pstree.img", "process 1"}));
}

TEST_F(CorruptTest, MissingCore) {
  w_.finish();
  w_.remove("core-1.img");
  EXPECT_TRUE(Mentions(load_error(), "core-1.img: ", {"missing"}));
}

TEST_F(CorruptTest, WrongMagicInCore) {
  w_.finish();
  w_.write_raw("core-1.img", image(magic::kCommon, magic::kMm, {""}));
  EXPECT_TRUE(Mentions(load_error(), "core-1.img: ", {"wrong magic"}));
}

TEST_F(CorruptTest, TruncatedEntry) {
  w_.finish();
  std::string pstree = w_.read("pstree.img");
  w_.write_raw("pstree.img", pstree.substr(0, pstree.size() - 2));
  EXPECT_TRUE(Mentions(load_error(), "pstree.img: ", {"entry 0", "past the end"}));
}

TEST_F(CorruptTest, StrayBytesAfterTheLastEntry) {
  w_.finish();
  w_.append_raw("pagemap-1.img", std::string("\x01\x00", 2));
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"entry 2", "truncated length word"}));
}

TEST_F(CorruptTest, NotValidProtobuf) {
  w_.finish();
  w_.write_raw("mm-1.img", image(magic::kCommon, magic::kMm,
                                 {"\x0a\x10"
                                  "abc"}));
  EXPECT_TRUE(Mentions(load_error(), "mm-1.img: ", {"entry 0", "not a valid mm_entry"}));
}

TEST_F(CorruptTest, BogusEntryAppendedToPagemap) {
  w_.finish();
  w_.append_entry("pagemap-1.img", "\xff\xff\xff");
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"entry 2", "not a valid pagemap_entry"}));
}

TEST_F(CorruptTest, UnsupportedInventoryVersion) {
  w_.finish();
  w_.inventory(1);
  EXPECT_TRUE(Mentions(load_error(), "inventory.img: ", {"version 1", "not supported"}));
}

TEST_F(CorruptTest, UnsupportedArchitecture) {
  w_.core(1).set_mtype(3);  // aarch64
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "core-1.img: ", {"architecture 3", "not supported"}));
}

TEST_F(CorruptTest, CorruptSharedMemoryPagemap) {
  w_.vma(1, 0x7f2000300000, 0x7f2000302000, kRW, kMapShared | kMapAnon,
         S::kRegular | S::kAnonShared, 77);
  w_.shmem_pages(77, 0, pattern(kPage, 9));
  w_.shmem_pages(77, 0, pattern(kPage, 9));
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "pagemap-shmem-77.img: ", {"entry 2", "overlap"}));
}

TEST_F(CorruptTest, PrivatePagesOverlappingSharedMemory) {
  // A private pagemap entry inside a shared VMA: two sources for one address.
  constexpr uint64_t kShm = 0x7f2000300000;
  w_.vma(1, kShm, kShm + 2 * kPage, kRW, kMapShared | kMapAnon, S::kRegular | S::kAnonShared, 77);
  w_.shmem_pages(77, 0, pattern(kPage, 9));
  w_.pages(1, kShm, pattern(kPage, 10));
  w_.finish();
  EXPECT_TRUE(Mentions(load_error(), "pagemap-1.img: ", {"0x7f2000300000", "overlap"}));
}

TEST(LoaderLayout, ErrorsNameTheImageInsideTheArchiveLayout) {
  TempDir tmp;
  std::filesystem::create_directory(tmp / "checkpoint");
  ImageDirWriter w(tmp / "checkpoint");
  w.inventory();
  w.process(1, 0, "app");
  w.finish();
  w.remove("mm-1.img");
  std::string err = error_of([&] { load_checkpoints(open_source(tmp.path()), "x"); });
  EXPECT_TRUE(Mentions(err, "checkpoint/mm-1.img: ", {"missing"}));
}

}  // namespace
}  // namespace ckptfs::test
