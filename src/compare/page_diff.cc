#include "compare/page_diff.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "util/error.h"

namespace ckptfs {

namespace {

constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

const Vma* holder(const Process* p, uint64_t addr) {
  if (!p) return nullptr;
  auto it = std::upper_bound(p->vmas.begin(), p->vmas.end(), addr,
                             [](uint64_t a, const Vma& v) { return a < v.start; });
  if (it == p->vmas.begin() || std::prev(it)->end <= addr) return nullptr;
  return &*std::prev(it);
}

// Every address where a mapping of either side begins or ends: a run never
// crosses one, so each run has one mapping to name it by.
std::vector<uint64_t> mapping_bounds(const Process* a, const Process* b) {
  std::vector<uint64_t> out;
  for (const Process* p : {a, b})
    if (p)
      for (const Vma& v : p->vmas) out.insert(out.end(), {v.start, v.end});
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

class RunBuilder {
 public:
  explicit RunBuilder(PageDiff& d) : d_(d) {}

  void whole(PageChange kind, uint64_t start, uint64_t end, const Vma* vma) {
    uint64_t len = end - start;
    PageRun& r = extend(kind, start, end, vma);
    r.bytes_differ += len;
    r.rows += len / kRowBytes;
    PageTotals& t = kind == PageChange::Added ? d_.added : d_.removed;
    t.pages += len / kPageSize;
    t.bytes_differ += len;
  }

  void changed_page(uint64_t addr, const Vma* vma, const RowDiff& rows) {
    PageRun& r = extend(PageChange::Changed, addr, addr + kPageSize, vma);
    d_.rows_before.push_back(r.rows);
    r.bytes_differ += rows.bytes;
    r.rows += rows.rows;
    d_.changed.pages += 1;
    d_.changed.bytes_differ += rows.bytes;
  }

 private:
  PageRun& extend(PageChange kind, uint64_t start, uint64_t end, const Vma* vma) {
    if (!d_.runs.empty()) {
      PageRun& last = d_.runs.back();
      if (last.kind == kind && last.end == start && last.vma == vma) {
        last.end = end;
        return last;
      }
    }
    PageRun r;
    r.start = start;
    r.end = end;
    r.kind = kind;
    r.vma = vma;
    r.first_page = d_.rows_before.size();
    d_.runs.push_back(r);
    return d_.runs.back();
  }

  PageDiff& d_;
};

void check_aligned(const Process& p, uint64_t addr) {
  if (addr % kPageSize)
    fail(fmt::format("procs/{}", p.pid), "memory at 0x{:x} does not begin or end on a page", addr);
}

}  // namespace

const char* page_change_name(PageChange k) {
  switch (k) {
    case PageChange::Added:
      return "added";
    case PageChange::Removed:
      return "removed";
    case PageChange::Changed:
      return "changed";
  }
  return "?";
}

std::vector<PageRegion> changed_regions(const PageDiff& d) {
  std::vector<PageRegion> out;
  for (const PageRun& r : d.runs) {
    if (r.kind == PageChange::Removed) continue;
    if (!out.empty() && out.back().end == r.start && out.back().vma == r.vma)
      out.back().end = r.end;
    else
      out.push_back({r.start, r.end, r.vma});
  }
  return out;
}

RowDiff diff_rows(const unsigned char* a, const unsigned char* b) {
  RowDiff d;
  for (size_t i = 0; i < kRowsPerPage; ++i) {
    const unsigned char* x = a + i * kRowBytes;
    const unsigned char* y = b + i * kRowBytes;
    if (std::memcmp(x, y, kRowBytes) == 0) continue;
    d.bits[i / 64] |= uint64_t{1} << (i % 64);
    ++d.rows;
    for (size_t j = 0; j < kRowBytes; ++j) d.bytes += x[j] != y[j];
  }
  return d;
}

PageDiff diff_pages(const Process* a, const Process* b, const PageDiffOptions& options) {
  static const std::vector<Extent> kNoExtents;
  const std::vector<Extent>& ea = a ? a->memory.extents() : kNoExtents;
  const std::vector<Extent>& eb = b ? b->memory.extents() : kNoExtents;
  const std::vector<uint64_t> bounds = mapping_bounds(a, b);
  const size_t chunk = std::max<size_t>(kPageSize, options.chunk / kPageSize * kPageSize);
  std::unique_ptr<unsigned char[]> buf_a, buf_b;

  PageDiff d;
  RunBuilder runs(d);
  size_t ia = 0, ib = 0, bi = 0;
  uint64_t pos = 0;
  auto end_of = [](const Extent& e) { return e.start + e.length; };
  while (true) {
    while (ia < ea.size() && end_of(ea[ia]) <= pos) ++ia;
    while (ib < eb.size() && end_of(eb[ib]) <= pos) ++ib;
    uint64_t next_a = ia < ea.size() ? ea[ia].start : kNone;
    uint64_t next_b = ib < eb.size() ? eb[ib].start : kNone;
    if (next_a == kNone && next_b == kNone) break;
    bool in_a = next_a <= pos, in_b = next_b <= pos;
    if (!in_a && !in_b) {
      pos = std::min(next_a, next_b);
      continue;
    }
    // [pos, end): each side stores all of it or none of it, one mapping each.
    uint64_t end = std::min(in_a ? end_of(ea[ia]) : next_a, in_b ? end_of(eb[ib]) : next_b);
    while (bi < bounds.size() && bounds[bi] <= pos) ++bi;
    if (bi < bounds.size()) end = std::min(end, bounds[bi]);
    check_aligned(in_a ? *a : *b, pos);
    check_aligned(in_a ? *a : *b, end);

    if (!in_b) {
      runs.whole(PageChange::Removed, pos, end, holder(a, pos));
    } else if (!in_a) {
      runs.whole(PageChange::Added, pos, end, holder(b, pos));
    } else {
      const Vma* vma = holder(b, pos);
      if (!buf_a) {
        buf_a.reset(new unsigned char[chunk]);
        buf_b.reset(new unsigned char[chunk]);
      }
      for (uint64_t at = pos; at < end;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, end - at));
        a->memory.read(at, buf_a.get(), n);
        b->memory.read(at, buf_b.get(), n);
        if (std::memcmp(buf_a.get(), buf_b.get(), n) != 0) {
          for (size_t off = 0; off < n; off += kPageSize) {
            const unsigned char* pa = buf_a.get() + off;
            const unsigned char* pb = buf_b.get() + off;
            if (std::memcmp(pa, pb, kPageSize) == 0) continue;
            runs.changed_page(at + off, vma, diff_rows(pa, pb));
          }
        }
        at += n;
      }
    }
    pos = end;
  }
  return d;
}

}  // namespace ckptfs
