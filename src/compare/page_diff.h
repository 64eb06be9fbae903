#pragma once
// Which pages of one process differ between two checkpoints. Both sides'
// AddressSpaces are walked side by side, extent by extent: a page stored on
// one side only is added or removed without reading it; a page stored on
// both is read from both, a chunk at a time, and compared. Nothing but the
// result stays in memory, so two processes of many GiB compare in a few MiB.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/checkpoint.h"

namespace ckptfs {

enum class PageChange : uint8_t {
  Added,    // stored only in B
  Removed,  // stored only in A
  Changed,  // stored in both, with different bytes
};
const char* page_change_name(PageChange k);

// The unit hexdump.diff shows: one line of `hexdump -C`.
inline constexpr uint64_t kRowBytes = 16;
inline constexpr uint64_t kRowsPerPage = kPageSize / kRowBytes;

// Consecutive pages of one kind inside one mapping.
struct PageRun {
  uint64_t start = 0, end = 0;
  PageChange kind = PageChange::Changed;
  // The mapping holding the run: B's for added and changed pages, A's for
  // removed ones; null when none does (a corrupt image). Points into the
  // Checkpoint's Process, which outlives the comparison.
  const Vma* vma = nullptr;
  // Bytes and 16-byte rows that differ: all of them in an added or removed
  // run (one side stores nothing there).
  uint64_t bytes_differ = 0;
  uint64_t rows = 0;
  // Changed runs: where the run's pages start in PageDiff::rows_before.
  size_t first_page = 0;
  uint64_t pages() const { return (end - start) / kPageSize; }
};

struct PageTotals {
  uint64_t pages = 0, bytes_differ = 0;
};

struct PageDiff {
  std::vector<PageRun> runs;  // sorted by address, never overlapping
  // For each page of each changed run, in order: the differing rows of its
  // run that come before it. Finds the page holding a run's n-th row
  // without reading the pages before it.
  std::vector<uint64_t> rows_before;
  PageTotals added, removed, changed;
  bool empty() const { return runs.empty(); }
};

struct PageDiffOptions {
  // Bytes read from each side at a time: like cat, small enough that both
  // buffers stay in the CPU cache for memcmp.
  size_t chunk = size_t{128} << 10;
  // Threads for one process (0: one per core, at most 4), each comparing a
  // slice of the address space; none for less than bytes_per_thread each.
  unsigned threads = 0;
  uint64_t bytes_per_thread = uint64_t{32} << 20;
};

// a or b may be null: a process that exists on one side only. Throws
// InputError when a side's pages cannot be read, or are not page aligned.
// The result does not depend on the chunk size or the number of threads.
PageDiff diff_pages(const Process* a, const Process* b, const PageDiffOptions& options = {});

// A run of added or changed pages inside one of B's mappings: what
// changed-regions/ shows as one file, and `changed` as one stretch of data.
struct PageRegion {
  uint64_t start = 0, end = 0;
  const Vma* vma = nullptr;  // B's, null when none holds it
};
std::vector<PageRegion> changed_regions(const PageDiff& d);

// The 16-byte rows of one page that differ, as a bit set (bit i = row i),
// and the number of differing bytes.
struct RowDiff {
  uint64_t bits[kRowsPerPage / 64] = {};
  uint32_t rows = 0, bytes = 0;
  bool row(size_t i) const { return (bits[i / 64] >> (i % 64)) & 1; }
};
RowDiff diff_rows(const unsigned char* a, const unsigned char* b);

}  // namespace ckptfs
