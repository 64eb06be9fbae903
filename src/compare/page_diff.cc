#include "compare/page_diff.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>

#include "util/error.h"

namespace ckptfs {

namespace {

constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
// Threads one comparison may use: reading page files in parallel pays until
// memory bandwidth is the limit.
constexpr uint64_t kMaxThreads = 4;

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

namespace {

// The runs of [lo, hi) only: what one thread compares.
PageDiff diff_range(const Process* a, const Process* b, uint64_t lo, uint64_t hi,
                    const PageDiffOptions& options) {
  static const std::vector<Extent> kNoExtents;
  const std::vector<Extent>& ea = a ? a->memory.extents() : kNoExtents;
  const std::vector<Extent>& eb = b ? b->memory.extents() : kNoExtents;
  const std::vector<uint64_t> bounds = mapping_bounds(a, b);
  const size_t chunk = std::max<size_t>(kPageSize, options.chunk / kPageSize * kPageSize);
  std::unique_ptr<unsigned char[]> buf_a, buf_b;

  PageDiff d;
  RunBuilder runs(d);
  auto end_of = [](const Extent& e) { return e.start + e.length; };
  auto first_ending_after = [&](const std::vector<Extent>& e) {
    return static_cast<size_t>(
        std::upper_bound(e.begin(), e.end(), lo,
                         [&](uint64_t x, const Extent& y) { return x < end_of(y); }) -
        e.begin());
  };
  size_t ia = first_ending_after(ea), ib = first_ending_after(eb);
  size_t bi =
      static_cast<size_t>(std::upper_bound(bounds.begin(), bounds.end(), lo) - bounds.begin());
  uint64_t pos = lo;
  while (pos < hi) {
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
    uint64_t end = std::min({in_a ? end_of(ea[ia]) : next_a, in_b ? end_of(eb[ib]) : next_b, hi});
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

// Appends the runs of the slice that follows d's, joining the two runs that
// meet at the cut when they are one.
void append(PageDiff& d, PageDiff&& next) {
  size_t skip = 0;
  if (!d.runs.empty() && !next.runs.empty()) {
    PageRun& last = d.runs.back();
    const PageRun& first = next.runs.front();
    if (last.end == first.start && last.kind == first.kind && last.vma == first.vma) {
      if (first.kind == PageChange::Changed)
        for (uint64_t p = 0; p < first.pages(); ++p)
          d.rows_before.push_back(last.rows + next.rows_before[first.first_page + p]);
      last.end = first.end;
      last.bytes_differ += first.bytes_differ;
      last.rows += first.rows;
      skip = 1;
    }
  }
  size_t base = d.rows_before.size();
  size_t dropped =
      skip && next.runs.front().kind == PageChange::Changed ? next.runs.front().pages() : 0;
  for (size_t i = skip; i < next.runs.size(); ++i) {
    PageRun r = next.runs[i];
    r.first_page = r.first_page - dropped + base;
    d.runs.push_back(r);
  }
  d.rows_before.insert(d.rows_before.end(),
                       next.rows_before.begin() + static_cast<ptrdiff_t>(dropped),
                       next.rows_before.end());
  for (auto [to, from] : {std::pair{&d.added, &next.added}, std::pair{&d.removed, &next.removed},
                          std::pair{&d.changed, &next.changed}}) {
    to->pages += from->pages;
    to->bytes_differ += from->bytes_differ;
  }
}

// Page-aligned addresses that cut the pages stored on both sides into
// `parts` slices of about equal bytes: each is compared on its own thread.
std::vector<uint64_t> cuts(const Process& a, const Process& b, unsigned parts) {
  const std::vector<Extent>& e =
      a.memory.stored_bytes() >= b.memory.stored_bytes() ? a.memory.extents() : b.memory.extents();
  uint64_t total = 0;
  for (const Extent& x : e) total += x.length;
  std::vector<uint64_t> out;
  uint64_t seen = 0;
  size_t k = 1;
  for (const Extent& x : e) {
    while (k < parts && seen + x.length > total / parts * k) {
      uint64_t at = (x.start + (total / parts * k - seen)) & ~(kPageSize - 1);
      if (out.empty() || at > out.back()) out.push_back(at);
      ++k;
    }
    seen += x.length;
  }
  return out;
}

}  // namespace

PageDiff diff_pages(const Process* a, const Process* b, const PageDiffOptions& options) {
  unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
  uint64_t both = a && b ? std::min(a->memory.stored_bytes(), b->memory.stored_bytes()) : 0;
  threads = static_cast<unsigned>(std::min<uint64_t>(
      {threads, kMaxThreads, both / std::max<uint64_t>(1, options.bytes_per_thread)}));
  if (threads <= 1) return diff_range(a, b, 0, kNone, options);

  std::vector<uint64_t> at = cuts(*a, *b, threads);
  at.insert(at.begin(), 0);
  at.push_back(kNone);
  size_t n = at.size() - 1;
  std::vector<PageDiff> parts(n);
  std::vector<std::exception_ptr> errors(n);
  auto work = [&](size_t i) {
    try {
      parts[i] = diff_range(a, b, at[i], at[i + 1], options);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (size_t i = 1; i < n; ++i) helpers.emplace_back(work, i);
  work(0);
  for (auto& t : helpers) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  PageDiff d = std::move(parts[0]);
  for (size_t i = 1; i < n; ++i) append(d, std::move(parts[i]));
  return d;
}

}  // namespace ckptfs
