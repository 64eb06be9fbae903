#pragma once
// A deterministic synthetic checkpoint of any size for scripts/bench and its
// smoke test: processes with many anonymous VMAs (heap, anon…, stack),
// unmapped gaps between them, non-dumped pages inside them, runs of pages
// split into adjacent pagemap entries, text-like / pointer-like / random page
// content that compresses about like real memory, and a marker string planted
// at known addresses, some straddling two adjacent pagemap entries.

#include <cstdint>
#include <string>
#include <vector>

namespace ckptfs::test {

struct BenchSpec {
  uint32_t procs = 4;
  uint32_t threads = 2;         // per process, leader included
  uint64_t size = 64ull << 20;  // dumped bytes over all processes
  uint32_t vmas = 64;           // per process
  uint64_t entries = 0;         // pagemap entries over all processes; 0: 16 per VMA
  double hole_percent = 3;      // non-dumped pages inside VMAs, % of the dumped ones
  uint64_t range = 0;           // address span of each process; 0: compact
  uint32_t markers = 8;         // per process; half straddle two adjacent entries
  std::string marker = "CKPTFS_BENCH_MARKER";
  uint64_t seed = 1;
  // Dumped pages whose bytes differ from the same spec without mutations:
  // the second checkpoint of a pair for comparing (same layout, same markers).
  uint64_t mutate = 0;
};

struct BenchMarker {
  uint32_t pid;
  uint64_t addr;  // of the marker's first byte; "\n" precedes and follows it
  bool straddles;
};

// One pagemap entry, or (npages of) non-dumped pages when dumped is false.
struct BenchRun {
  uint64_t vaddr;
  uint64_t npages;
  bool dumped;
};

struct BenchVma {
  uint64_t start, end;
  uint32_t status;
  std::vector<BenchRun> runs;  // cover [start, end) in order
};

struct BenchProc {
  uint32_t pid, ppid;
  std::vector<BenchVma> vmas;
  std::vector<BenchMarker> markers;  // sorted by address
  std::vector<uint64_t> mutated;     // page addresses, sorted
};

struct BenchLayout {
  BenchSpec spec;
  std::vector<BenchProc> procs;
  uint64_t dumped_pages = 0, entries = 0, vmas = 0;
};

// Throws std::invalid_argument for a spec that cannot be laid out.
BenchLayout plan_bench(const BenchSpec& spec);

// The bytes of npages dumped pages of process p from vaddr, markers included.
void bench_pages(const BenchLayout& l, const BenchProc& p, uint64_t vaddr, size_t npages,
                 char* out);

// Writes the image directory (dir must exist and should be empty).
void write_bench_image(const BenchLayout& l, const std::string& dir);

// SHA-256 of p's procs/<pid>/vmas/ files concatenated in address order.
std::string bench_vmas_sha256(const BenchLayout& l, const BenchProc& p);

// "1G", "64M", "4096", "2.5G" → bytes; throws std::invalid_argument.
uint64_t parse_size(const std::string& s);

}  // namespace ckptfs::test
