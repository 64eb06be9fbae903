#include "vfs/hexdump_diff_content.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "util/error.h"
#include "vfs/hexdump_content.h"
#include "vfs/vma_content.h"

namespace ckptfs {

namespace {

// st_size is an off_t.
constexpr uint64_t kMaxLines = std::numeric_limits<int64_t>::max() / kDiffLineWidth;
// Rows of an added or removed run read from memory at a time.
constexpr uint64_t kRowsPerBatch = 4096;

uint64_t lines_of(const PageRun& r) { return 1 + r.rows * (r.kind == PageChange::Changed ? 2 : 1); }

void copy_overlap(const char* src, uint64_t pos, uint64_t n, char* buf, size_t len, uint64_t off) {
  uint64_t lo = std::max(pos, off), hi = std::min(pos + n, off + len);
  if (lo < hi) std::memcpy(buf + (lo - off), src + (lo - pos), hi - lo);
}

// One data line: the sign, then hexdump's line for 16 bytes at addr.
void put_row(char sign, uint64_t addr, const unsigned char* bytes, uint64_t line, char* buf,
             size_t len, uint64_t off) {
  char text[kDiffLineWidth];
  text[0] = sign;
  render_hexdump_line(addr, bytes, text + 1);
  copy_overlap(text, line * kDiffLineWidth, kDiffLineWidth, buf, len, off);
}

}  // namespace

std::string run_mapping_name(const PageRun& r) {
  if (!r.vma) return "-";
  std::string s = vma_file_name(*r.vma);
  // One run, one line: a newline in a mapped file's name must not break it.
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

std::string render_diff_run_line(const PageRun& r) {
  std::string line = fmt::format("@@ {:x}-{:x} {} ", r.start, r.end, page_change_name(r.kind));
  std::string name = run_mapping_name(r);
  constexpr std::string_view kTail = " @@";
  size_t budget = kDiffLineWidth - 1 - line.size() - kTail.size();
  if (name.size() > budget) name = "..." + name.substr(name.size() - (budget - 3));
  line += name;
  line += kTail;
  line.resize(kDiffLineWidth - 1, ' ');
  line += '\n';
  return line;
}

const HexdumpDiffContent::Layout& HexdumpDiffContent::layout() const {
  const Layout& l = layout_.get([&] {
    const PageDiff& d = cmp_->pages(pid_);
    Layout out;
    for (const PageRun& r : d.runs) {
      uint64_t n = lines_of(r);
      if (n > kMaxLines - out.lines) break;
      out.first_line.push_back(out.lines);
      out.lines += n;
    }
    return out;
  });
  ready_.store(true, std::memory_order_release);
  return l;
}

uint64_t HexdumpDiffContent::size() const {
  try {
    return layout().lines * kDiffLineWidth;
  } catch (const InputError&) {
    return kFailedSize;  // read() throws the error
  }
}

size_t HexdumpDiffContent::read(char* buf, size_t len, uint64_t off) const {
  const Layout& l = layout();
  const PageDiff& d = cmp_->pages(pid_);
  uint64_t size = l.lines * kDiffLineWidth;
  if (off >= size || len == 0) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(len, size - off));
  uint64_t line = off / kDiffLineWidth;
  uint64_t last = (off + n - 1) / kDiffLineWidth;  // inclusive
  size_t r = static_cast<size_t>(std::upper_bound(l.first_line.begin(), l.first_line.end(), line) -
                                 l.first_line.begin() - 1);
  while (line <= last) {
    uint64_t first = l.first_line[r];
    uint64_t end_line = first + lines_of(d.runs[r]);
    if (line == first) {
      std::string head = render_diff_run_line(d.runs[r]);
      copy_overlap(head.data(), line * kDiffLineWidth, kDiffLineWidth, buf, n, off);
      ++line;
    }
    uint64_t to = std::min(end_line, last + 1);
    if (line < to) {
      if (d.runs[r].kind == PageChange::Changed)
        render_changed(d, r, line, to - line, buf, n, off);
      else
        render_rows(d, r, line, to - line, buf, n, off);
    }
    line = to;
    if (line == end_line) ++r;
  }
  return n;
}

void HexdumpDiffContent::render_rows(const PageDiff& d, size_t r, uint64_t line, uint64_t count,
                                     char* buf, size_t len, uint64_t off) const {
  const PageRun& run = d.runs[r];
  bool added = run.kind == PageChange::Added;
  const Process& p = added ? *b_ : *a_;
  uint64_t row = line - layout().first_line[r] - 1;
  std::vector<unsigned char> bytes;
  while (count > 0) {
    uint64_t batch = std::min(count, kRowsPerBatch);
    uint64_t addr = run.start + row * kRowBytes;
    bytes.resize(batch * kRowBytes);
    p.memory.read(addr, bytes.data(), bytes.size());
    for (uint64_t i = 0; i < batch; ++i)
      put_row(added ? '+' : '-', addr + i * kRowBytes, bytes.data() + i * kRowBytes, line + i, buf,
              len, off);
    line += batch;
    row += batch;
    count -= batch;
  }
}

void HexdumpDiffContent::render_changed(const PageDiff& d, size_t r, uint64_t line, uint64_t count,
                                        char* buf, size_t len, uint64_t off) const {
  const PageRun& run = d.runs[r];
  uint64_t k = line - layout().first_line[r] - 1;  // data line within the run
  uint64_t row = k / 2;
  // The page holding the run's row-th differing row.
  auto pages_begin = d.rows_before.begin() + static_cast<ptrdiff_t>(run.first_page);
  auto pages_end = pages_begin + static_cast<ptrdiff_t>(run.pages());
  size_t page =
      static_cast<size_t>(std::upper_bound(pages_begin, pages_end, row) - pages_begin - 1);
  std::vector<unsigned char> pa(kPageSize), pb(kPageSize);
  uint64_t end = line + count;
  while (line < end && page < run.pages()) {
    uint64_t addr = run.start + page * kPageSize;
    a_->memory.read(addr, pa.data(), kPageSize);
    b_->memory.read(addr, pb.data(), kPageSize);
    RowDiff rows = diff_rows(pa.data(), pb.data());
    uint64_t nth = 0;  // differing rows of this page before i
    uint64_t before = pages_begin[static_cast<ptrdiff_t>(page)];
    for (size_t i = 0; i < kRowsPerPage && line < end; ++i) {
      if (!rows.row(i)) continue;
      uint64_t this_row = before + nth++;
      for (int side = 0; side < 2 && line < end; ++side) {
        if (2 * this_row + side != k) continue;
        const unsigned char* bytes = (side ? pb.data() : pa.data()) + i * kRowBytes;
        put_row(side ? '+' : '-', addr + i * kRowBytes, bytes, line, buf, len, off);
        ++line;
        ++k;
      }
    }
    ++page;
  }
  // The comparison found more differing rows here than the pages now show.
  if (line < end)
    fail(fmt::format("procs/{}/hexdump.diff", pid_), "the pages at 0x{:x} changed while mounted",
         run.start);
}

}  // namespace ckptfs
