// /procs/<pid>/core: the ELF layout of every real fixture process checked with
// readelf, the notes decoded by hand, random reads against one sequential
// read, SEEK_DATA/SEEK_HOLE against the bytes, and gdb through a real mount.

#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "model/loader.h"
#include "source/source.h"
#include "support/groundtruth.h"
#include "support/mount.h"
#include "support/paths.h"
#include "vfs/core_content.h"
#include "vfs/views/elf_notes.h"

namespace ckptfs::test {
namespace {

std::unique_ptr<Checkpoint> load_fixture(const std::string& input) {
  std::string path = fixture(input);
  auto cps = load_checkpoints(open_source(path), checkpoint_base_name(path));
  if (cps.size() != 1) throw std::runtime_error("expected one checkpoint in " + input);
  return std::move(cps[0]);
}

std::string read_all(const Content& c) {
  std::string s(c.size(), '\x55');
  EXPECT_EQ(c.read(s.data(), s.size(), 0), s.size());
  return s;
}

struct DataRun {
  uint64_t start, end;
};

// The data runs SEEK_DATA / SEEK_HOLE report, walked like cp --sparse does.
std::vector<DataRun> data_runs(const Content& c) {
  std::vector<DataRun> runs;
  uint64_t off = 0;
  while (auto d = c.seek_data(off)) {
    uint64_t h = c.seek_hole(*d);
    EXPECT_GT(h, *d);
    EXPECT_LE(h, c.size());
    if (h <= *d) break;
    runs.push_back({*d, h});
    off = h;
  }
  return runs;
}

// Copies only the data runs into a sparse file of the right size.
void write_sparse(const Content& c, const std::vector<DataRun>& runs, const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(c.size())), 0);
  std::string buf(1 << 20, '\0');
  for (const DataRun& r : runs)
    for (uint64_t pos = r.start; pos < r.end;) {
      size_t n = c.read(buf.data(), std::min<uint64_t>(buf.size(), r.end - pos), pos);
      ASSERT_GT(n, 0u);
      ASSERT_EQ(::pwrite(fd, buf.data(), n, static_cast<off_t>(pos)), static_cast<ssize_t>(n));
      pos += n;
    }
  ::close(fd);
}

struct Note {
  std::string name;
  uint32_t type;
  std::string desc;
};

std::vector<Note> parse_notes(const std::string& core) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, core.data(), sizeof eh);
  Elf64_Phdr ph;
  std::memcpy(&ph, core.data() + eh.e_phoff, sizeof ph);
  EXPECT_EQ(ph.p_type, static_cast<uint32_t>(PT_NOTE));
  std::vector<Note> notes;
  auto pad4 = [](size_t n) { return (n + 3) & ~size_t{3}; };
  for (size_t pos = ph.p_offset; pos < ph.p_offset + ph.p_filesz;) {
    uint32_t h[3];
    std::memcpy(h, core.data() + pos, sizeof h);
    Note n;
    n.name = std::string(core.data() + pos + 12, h[0] - 1);
    n.type = h[2];
    n.desc = core.substr(pos + 12 + pad4(h[0]), h[1]);
    notes.push_back(n);
    pos += 12 + pad4(h[0]) + pad4(h[1]);
  }
  return notes;
}

template <typename T>
T get(const std::string& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

struct LoadLine {
  uint64_t offset, vaddr, filesz, memsz;
  std::string flags;
};

// readelf -lW: "  LOAD 0xOFF 0xVADDR 0xPADDR 0xFILESZ 0xMEMSZ R E 0x1000".
std::vector<LoadLine> parse_loads(const std::string& text, int* notes) {
  std::vector<LoadLine> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string t; ls >> t;) tok.push_back(t);
    if (tok.empty()) continue;
    if (tok[0] == "NOTE") ++*notes;
    if (tok[0] != "LOAD" || tok.size() < 7) continue;
    LoadLine l;
    l.offset = std::stoull(tok[1], nullptr, 16);
    l.vaddr = std::stoull(tok[2], nullptr, 16);
    l.filesz = std::stoull(tok[4], nullptr, 16);
    l.memsz = std::stoull(tok[5], nullptr, 16);
    for (size_t i = 6; i + 1 < tok.size(); ++i) l.flags += tok[i];
    out.push_back(l);
  }
  return out;
}

std::string flags_of(const Vma& v) {
  std::string f;
  if (v.prot & 1) f += 'R';
  if (v.prot & 2) f += 'W';
  if (v.prot & 4) f += 'E';
  return f;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

std::string expected_psargs(const nlohmann::json& gt_process) {
  std::string s;
  for (const auto& a : gt_process["cmdline"]) s += a.get<std::string>() + " ";
  return s.substr(0, std::min<size_t>(s.size(), 79));
}

class ElfCoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    CKPTFS_REQUIRE_FIXTURES();
    c_ = load_fixture("proc-tree");
    gt_ = load_groundtruth("proc-tree");
  }
  const nlohmann::json& gt_process(uint32_t pid) const {
    for (const auto& p : gt_["processes"])
      if (ns_pid(p) == pid) return p;
    throw std::runtime_error("no ground truth for pid " + std::to_string(pid));
  }
  std::unique_ptr<Checkpoint> c_;
  nlohmann::json gt_;
  TempDir tmp_;
};

TEST_F(ElfCoreFixture, ReadelfSeesCoreLoadsAndNotes) {
  for (const auto& [pid, p] : c_->procs) {
    SCOPED_TRACE("pid " + std::to_string(pid));
    CoreContent core(p);
    std::string path = tmp_ / ("core." + std::to_string(pid));
    write_sparse(core, data_runs(core), path);

    auto h = run("readelf -hW " + shell_quote(path));
    ASSERT_EQ(h.status, 0) << h.err;
    EXPECT_EQ(h.err, "");
    EXPECT_TRUE(std::regex_search(h.out, std::regex(R"(Type:\s+CORE \(Core file\))"))) << h.out;
    EXPECT_TRUE(std::regex_search(h.out, std::regex(R"(Machine:\s+Advanced Micro Devices X86-64)")))
        << h.out;

    auto l = run("readelf -lW " + shell_quote(path));
    ASSERT_EQ(l.status, 0) << l.err;
    EXPECT_EQ(l.err, "");
    int notes = 0;
    auto loads = parse_loads(l.out, &notes);
    EXPECT_EQ(notes, 1);
    std::vector<const Vma*> vmas;
    for (const Vma& v : p.vmas)
      if (v.path != "[vsyscall]") vmas.push_back(&v);
    ASSERT_EQ(loads.size(), vmas.size()) << l.out;
    for (size_t i = 0; i < vmas.size(); ++i) {
      EXPECT_EQ(loads[i].vaddr, vmas[i]->start) << i;
      EXPECT_EQ(loads[i].memsz, vmas[i]->size()) << i;
      EXPECT_EQ(loads[i].filesz, vmas[i]->size()) << i;
      EXPECT_EQ(loads[i].offset % 4096, 0u) << i;
      EXPECT_EQ(loads[i].flags, flags_of(*vmas[i])) << i << " " << vmas[i]->perms();
    }
    EXPECT_EQ(loads.back().offset + loads.back().filesz, core.size());

    auto n = run("readelf -nW " + shell_quote(path));
    ASSERT_EQ(n.status, 0) << n.err;
    EXPECT_EQ(n.err, "");
    EXPECT_EQ(count(n.out, "NT_PRPSINFO"), 1u) << n.out;
    EXPECT_EQ(count(n.out, "NT_PRSTATUS"), p.threads.size()) << n.out;
    EXPECT_EQ(count(n.out, "NT_FPREGSET"), p.threads.size()) << n.out;
    EXPECT_EQ(count(n.out, "NT_X86_XSTATE"), p.threads.size()) << n.out;
    EXPECT_EQ(count(n.out, "NT_AUXV"), 1u) << n.out;
    EXPECT_EQ(count(n.out, "NT_FILE"), 1u) << n.out;
    // Debian's readelf 2.40 prints "Cannot decode 64-bit note" for NT_FILE
    // (kernel cores too): llvm-readelf decodes it, when it is installed.
    auto f = run("llvm-readelf -n " + shell_quote(path));
    if (f.status == 0) {
      EXPECT_NE(f.out.find("Page size: 4096"), std::string::npos) << f.out;
      EXPECT_NE(f.out.find("/tmp/ckptfs-work/mapped.bin"), std::string::npos) << f.out;
      EXPECT_NE(f.out.find("/usr/lib/x86_64-linux-gnu/libc.so.6"), std::string::npos) << f.out;
      EXPECT_NE(f.out.find("/dev/zero (deleted)"), std::string::npos) << f.out;
      EXPECT_EQ(f.out.find("[heap]"), std::string::npos) << f.out;
    }
  }
  EXPECT_EQ(c_->procs.at(gt_["processes"][0]["ns_pid"].back().get<uint32_t>()).threads.size(), 3u);
}

TEST_F(ElfCoreFixture, NotesCarryTheCheckpointsState) {
  for (const auto& [pid, p] : c_->procs) {
    SCOPED_TRACE("pid " + std::to_string(pid));
    const nlohmann::json& gt = gt_process(pid);
    CoreContent core(p);
    std::string head(std::min<uint64_t>(core.size(), 1 << 20), '\0');
    core.read(head.data(), head.size(), 0);
    auto notes = parse_notes(head);

    std::vector<uint32_t> order;
    for (const Note& n : notes) order.push_back(n.type);
    // The kernel's order: first thread's PRSTATUS, process-wide notes, its FPU notes, other
    // threads.
    std::vector<uint32_t> expected = {NT_PRSTATUS, NT_PRPSINFO, NT_AUXV,
                                      NT_FILE,     NT_FPREGSET, NT_X86_XSTATE};
    for (size_t i = 1; i < p.threads.size(); ++i)
      expected.insert(expected.end(), {NT_PRSTATUS, NT_FPREGSET, NT_X86_XSTATE});
    EXPECT_EQ(order, expected);

    size_t thread = 0;
    for (const Note& n : notes) {
      EXPECT_EQ(n.name, n.type == NT_X86_XSTATE ? "LINUX" : "CORE");
      switch (n.type) {
        case NT_PRSTATUS: {
          ASSERT_EQ(n.desc.size(), 336u);
          const Thread& t = p.threads.at(thread++);
          const auto& r = t.core->thread_info().gpregs();
          EXPECT_EQ(get<uint32_t>(n.desc, 32), t.tid);
          EXPECT_EQ(get<uint64_t>(n.desc, 24), t.core->thread_core().blk_sigset()) << "pr_sighold";
          EXPECT_EQ(get<uint32_t>(n.desc, 36), p.ppid);
          EXPECT_EQ(get<uint32_t>(n.desc, 40), p.pgid);
          EXPECT_EQ(get<uint32_t>(n.desc, 44), p.sid);
          EXPECT_EQ(get<uint64_t>(n.desc, 112 + 0 * 8), r.r15());
          EXPECT_EQ(get<uint64_t>(n.desc, 112 + 16 * 8), r.ip());
          EXPECT_EQ(get<uint64_t>(n.desc, 112 + 19 * 8), r.sp());
          EXPECT_EQ(get<uint64_t>(n.desc, 112 + 21 * 8), r.fs_base());
          EXPECT_EQ(get<uint64_t>(n.desc, 112 + 26 * 8), r.gs());
          EXPECT_EQ(get<int32_t>(n.desc, 328), 1);
          break;
        }
        case NT_PRPSINFO: {
          ASSERT_EQ(n.desc.size(), 136u);
          EXPECT_EQ(std::string(n.desc.data() + 40), gt["comm"].get<std::string>());
          EXPECT_EQ(std::string(n.desc.data() + 56), expected_psargs(gt));
          EXPECT_EQ(n.desc[1], 'R');
          EXPECT_EQ(get<uint32_t>(n.desc, 16), std::stoul(gt["uid"].get<std::string>()));
          EXPECT_EQ(get<uint32_t>(n.desc, 20), std::stoul(gt["gid"].get<std::string>()));
          EXPECT_EQ(get<uint32_t>(n.desc, 24), pid);
          EXPECT_EQ(get<uint32_t>(n.desc, 28), p.ppid);
          break;
        }
        case NT_AUXV: {
          const auto& w = p.mm->mm_saved_auxv();
          ASSERT_EQ(n.desc.size() % 16, 0u);
          ASSERT_EQ(n.desc.size() / 8, static_cast<size_t>(w.size()) + 2);
          for (int i = 0; i < w.size(); ++i) EXPECT_EQ(get<uint64_t>(n.desc, i * 8), w[i]);
          EXPECT_EQ(get<uint64_t>(n.desc, n.desc.size() - 16), uint64_t{AT_NULL});
          break;
        }
        case NT_FILE: {
          std::vector<const Vma*> files;
          for (const Vma& v : p.vmas)
            if (v.kind == VmaKind::File || v.kind == VmaKind::SharedAnon ||
                v.kind == VmaKind::Memfd)
              files.push_back(&v);
          ASSERT_EQ(get<uint64_t>(n.desc, 0), files.size());
          EXPECT_EQ(get<uint64_t>(n.desc, 8), 4096u);
          size_t names = 16 + files.size() * 24;
          for (size_t i = 0; i < files.size(); ++i) {
            EXPECT_EQ(get<uint64_t>(n.desc, 16 + i * 24), files[i]->start);
            EXPECT_EQ(get<uint64_t>(n.desc, 24 + i * 24), files[i]->end);
            EXPECT_EQ(get<uint64_t>(n.desc, 32 + i * 24), files[i]->pgoff / 4096);
            std::string name(n.desc.data() + names);
            EXPECT_EQ(name, files[i]->path);
            names += name.size() + 1;
          }
          EXPECT_EQ(names, n.desc.size());
          break;
        }
        case NT_FPREGSET: {
          ASSERT_EQ(n.desc.size(), 512u);
          const auto& f = p.threads.at(thread - 1).core->thread_info().fpregs();
          EXPECT_EQ(get<uint16_t>(n.desc, 0), f.cwd());
          EXPECT_EQ(get<uint32_t>(n.desc, 24), f.mxcsr());
          EXPECT_EQ(get<uint32_t>(n.desc, 160 + 7 * 4), f.xmm_space(7));
          break;
        }
        case NT_X86_XSTATE: {
          ASSERT_EQ(n.desc.size(), 832u);
          const auto& f = p.threads.at(thread - 1).core->thread_info().fpregs();
          EXPECT_EQ(get<uint64_t>(n.desc, 464), 7u) << "XCR0: x87 | SSE | AVX";
          EXPECT_EQ(get<uint64_t>(n.desc, 512), f.xsave().xstate_bv() & 7);
          EXPECT_EQ(n.desc.substr(0, 464), fpregset_desc(p.threads.at(thread - 1)).substr(0, 464));
          break;
        }
      }
    }
    EXPECT_EQ(thread, p.threads.size());
  }
}

TEST_F(ElfCoreFixture, HeapSegmentHoldsTheHeapAndItsMarker) {
  for (const auto& [pid, p] : c_->procs) {
    SCOPED_TRACE("pid " + std::to_string(pid));
    CoreContent core(p);
    std::string path = tmp_ / "core";
    write_sparse(core, data_runs(core), path);
    int notes = 0;
    auto loads = parse_loads(run("readelf -lW " + shell_quote(path)).out, &notes);
    auto heap = std::find_if(p.vmas.begin(), p.vmas.end(),
                             [](const Vma& v) { return v.kind == VmaKind::Heap; });
    ASSERT_NE(heap, p.vmas.end());
    auto seg = std::find_if(loads.begin(), loads.end(),
                            [&](const LoadLine& l) { return l.vaddr == heap->start; });
    ASSERT_NE(seg, loads.end());
    std::string from_core(heap->size(), '\x55'), from_memory(heap->size(), '\x66');
    ASSERT_EQ(core.read(from_core.data(), from_core.size(), seg->offset), from_core.size());
    p.memory.read(heap->start, from_memory.data(), from_memory.size());
    EXPECT_TRUE(from_core == from_memory);
    uint64_t marker = 0;
    for (const auto& m : gt_process(pid)["markers"])
      if (m["marker"] == "CKPTFS_HEAP_MARKER") marker = hex(m["addr"]);
    ASSERT_NE(marker, 0u);
    EXPECT_EQ(from_core.substr(marker - heap->start, 18), "CKPTFS_HEAP_MARKER");
  }
}

TEST_F(ElfCoreFixture, RandomReadsMatchOneSequentialRead) {
  std::mt19937_64 rng(20240611);
  for (const auto& [pid, p] : c_->procs) {
    SCOPED_TRACE("pid " + std::to_string(pid));
    CoreContent core(p);
    std::string all = read_all(core);
    auto runs = data_runs(core);
    // The sparse copy (data runs only) reads back as the whole file: holes are zeros.
    std::string path = tmp_ / "sparse";
    write_sparse(core, runs, path);
    EXPECT_TRUE(read_file(path) == all);
    uint64_t data = 0;
    for (const DataRun& r : runs) data += r.end - r.start;
    EXPECT_EQ(data, core.allocated());
    EXPECT_LT(core.allocated(), core.size());

    // Offsets near every boundary, then anywhere; lengths crossing segments.
    std::vector<uint64_t> offsets = {0, 63, 64, core.size() - 1, core.size(), core.size() + 5};
    ElfCoreLayout l = layout_elf_core(p);
    offsets.push_back(l.head.size() - 1);
    offsets.push_back(l.head.size());
    for (const CoreSegment& s : l.segments) {
      offsets.push_back(s.offset - 1);
      offsets.push_back(s.offset);
      offsets.push_back(s.offset + s.size - 3);
    }
    for (int i = 0; i < 1500; ++i) offsets.push_back(rng() % (core.size() + 100));
    for (uint64_t off : offsets) {
      size_t len = rng() % 4 == 0 ? rng() % 16 : rng() % 300000;
      std::string buf(len, '\x77');
      size_t got = core.read(buf.data(), len, off);
      size_t want = off >= all.size() ? 0 : std::min<size_t>(len, all.size() - off);
      ASSERT_EQ(got, want) << off;
      EXPECT_TRUE(buf.compare(0, got, all, std::min<size_t>(off, all.size()), got) == 0)
          << "at " << off;
    }
  }
}

// A zombie has no mm and no registers: the core is its notes alone.
TEST(ElfCoreSynthetic, ZombieGetsNotesOnly) {
  Process p;
  p.pid = 42, p.ppid = 1, p.pgid = 42, p.sid = 1;
  p.comm = "defunct";
  p.state = TaskState::Zombie;
  auto core = std::make_shared<criu::core_entry>();
  core->set_mtype(1);
  core->mutable_tc()->set_task_state(2);
  core->mutable_tc()->set_comm("defunct");
  p.threads.push_back({42, "defunct", core});
  p.memory.finish();
  CoreContent c(p);
  TempDir tmp;
  write_sparse(c, data_runs(c), tmp / "core");
  EXPECT_EQ(c.allocated(), c.size());
  auto l = run("readelf -lW " + shell_quote(tmp / "core"));
  EXPECT_EQ(l.err, "");
  int notes = 0;
  EXPECT_TRUE(parse_loads(l.out, &notes).empty());
  EXPECT_EQ(notes, 1);
  auto n = run("readelf -nW " + shell_quote(tmp / "core"));
  EXPECT_EQ(n.err, "");
  EXPECT_EQ(count(n.out, "NT_PRSTATUS"), 1u) << n.out;
  EXPECT_EQ(count(n.out, "NT_PRPSINFO"), 1u) << n.out;
  EXPECT_EQ(count(n.out, "NT_FPREGSET"), 0u) << n.out;
  std::string all = read_all(c);
  auto parsed = parse_notes(all);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[1].desc[1], 'Z');
  EXPECT_EQ(get<int32_t>(parsed[0].desc, 328), 0) << "pr_fpvalid";
}

// Past 65534 program headers e_phnum says PN_XNUM and section 0 holds the count.
TEST(ElfCoreSynthetic, ManyVmasUseExtendedNumbering) {
  Process p;
  p.pid = 7;
  p.threads.push_back({7, "many", nullptr});
  for (uint64_t i = 0; i < 70000; ++i) {
    Vma v;
    v.start = 0x100000 + i * 2 * kPageSize;
    v.end = v.start + kPageSize;
    v.prot = 3;
    p.vmas.push_back(v);
  }
  p.memory.finish();
  CoreContent c(p);
  TempDir tmp;
  write_sparse(c, data_runs(c), tmp / "core");
  auto h = run("readelf -hW " + shell_quote(tmp / "core"));
  EXPECT_EQ(h.err, "");
  EXPECT_TRUE(
      std::regex_search(h.out, std::regex(R"(Number of program headers:\s+65535 \(70001\))")))
      << h.out;
  auto l = run("readelf -lW " + shell_quote(tmp / "core"));
  int notes = 0;
  auto loads = parse_loads(l.out, &notes);
  ASSERT_EQ(loads.size(), 70000u);
  EXPECT_EQ(loads.back().vaddr, p.vmas.back().start);
  EXPECT_EQ(c.size(), loads.back().offset + kPageSize);
}

// Stored pages run across two adjacent VMAs: one data run in the core; pages
// outside every VMA are not in the file at all.
TEST(ElfCoreSynthetic, SeekFollowsStoredPagesAcrossSegments) {
  Process p;
  p.pid = 9;
  p.threads.push_back({9, "seek", nullptr});
  auto vma = [&](uint64_t start, uint64_t pages) {
    Vma v;
    v.start = start, v.end = start + pages * kPageSize, v.prot = 3;
    p.vmas.push_back(v);
  };
  vma(0x10000, 4);  // pages 2..3 stored
  vma(0x14000, 4);  // pages 0..1 stored: continues the run
  vma(0x20000, 2);  // nothing stored
  vma(0x30000, 2);  // page 1 stored
  std::string bytes(8 * kPageSize, 'x');
  uint32_t b = p.memory.add_blob(std::make_shared<MemoryBlob>(bytes, "test"));
  p.memory.add(0x12000, 4 * kPageSize, b, 0);
  p.memory.add(0x28000, kPageSize, b, 0);  // between VMAs: not dumped
  p.memory.add(0x31000, kPageSize, b, 0);
  ASSERT_EQ(p.memory.finish(), "");
  CoreContent c(p);
  ElfCoreLayout l = layout_elf_core(p);
  ASSERT_EQ(l.segments.size(), 4u);
  auto runs = data_runs(c);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].start, 0u);
  EXPECT_EQ(runs[0].end, l.head.size());
  EXPECT_EQ(runs[1].start, l.segments[0].offset + 2 * kPageSize);
  EXPECT_EQ(runs[1].end, l.segments[1].offset + 2 * kPageSize);
  EXPECT_EQ(runs[2].start, l.segments[3].offset + kPageSize);
  EXPECT_EQ(runs[2].end, c.size());
  EXPECT_EQ(c.allocated(), l.head.size() + 5 * kPageSize);
  EXPECT_EQ(c.seek_data(l.segments[2].offset), std::optional<uint64_t>(runs[2].start));
  EXPECT_EQ(c.seek_hole(l.head.size() - 1), l.head.size());
  EXPECT_EQ(c.seek_data(c.size()), std::nullopt);
}

struct MountCase {
  std::string name, input, label;
};
std::ostream& operator<<(std::ostream& o, const MountCase& c) { return o << c.name; }

class ElfCoreGdb : public ::testing::TestWithParam<MountCase> {};

TEST_P(ElfCoreGdb, GdbLoadsTheCoreWithoutTheExecutable) {
  CKPTFS_REQUIRE_FIXTURES();
  const MountCase& mc = GetParam();
  auto gt = load_groundtruth(mc.label);
  const auto& main = gt["processes"][0];
  uint32_t pid = ns_pid(main);
  auto model = load_fixture(mc.input);
  const Process& p = model->procs.at(pid);
  std::map<std::string, uint64_t> markers;
  for (const auto& m : main["markers"]) markers[m["marker"]] = hex(m["addr"]);
  ASSERT_TRUE(markers.count("CKPTFS_HEAP_MARKER") && markers.count("CKPTFS_MAIN_STACK_MARKER"));

  Mount mnt(fixture(mc.input));
  std::string core = mnt / ("procs/" + std::to_string(pid) + "/core");
  auto hexaddr = [](uint64_t a) {
    std::ostringstream s;
    s << "0x" << std::hex << a;
    return s.str();
  };
  auto r = run("timeout 120 gdb -batch -nx -iex 'set debuginfod enabled off' -ex " +
               shell_quote("core-file " + core) + " -ex 'info threads' -ex " +
               shell_quote("x/s " + hexaddr(markers["CKPTFS_HEAP_MARKER"])) + " -ex " +
               shell_quote("x/s " + hexaddr(markers["CKPTFS_MAIN_STACK_MARKER"])) +
               " -ex 'thread apply all info registers rip'");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  SCOPED_TRACE(r.out + r.err);

  std::set<uint32_t> listed, expected;
  std::smatch m;
  std::regex lwp(R"(^[ *]\s*\d+\s+LWP (\d+)\s)");
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, lwp)) listed.insert(static_cast<uint32_t>(std::stoul(m[1])));
  for (const auto& t : main["threads"]) expected.insert(t["ns_tid"].back().get<uint32_t>());
  EXPECT_EQ(expected.size(), 3u);
  EXPECT_EQ(listed, expected);

  EXPECT_NE(r.out.find(":\t\"CKPTFS_HEAP_MARKER\""), std::string::npos);
  EXPECT_NE(r.out.find(":\t\"CKPTFS_MAIN_STACK_MARKER\""), std::string::npos);

  std::map<uint32_t, uint64_t> rips;
  std::regex rip(R"(\(LWP (\d+)\):\s*\nrip\s+(0x[0-9a-f]+))");
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), rip);
       it != std::sregex_iterator(); ++it)
    rips[static_cast<uint32_t>(std::stoul((*it)[1]))] = std::stoull((*it)[2], nullptr, 16);
  ASSERT_EQ(rips.size(), p.threads.size());
  for (const Thread& t : p.threads)
    EXPECT_EQ(rips[t.tid], t.core->thread_info().gpregs().ip()) << t.tid;
  EXPECT_TRUE(mnt.unmount()) << mnt.log();
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ElfCoreGdb,
                         ::testing::Values(MountCase{"ImageDirectory", "proc-tree", "proc-tree"},
                                           MountCase{"PodmanZstd", "webapp-checkpoint.tar.zst",
                                                     "webapp"}),
                         [](const auto& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace ckptfs::test
