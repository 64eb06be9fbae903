#include "vfs/hexdump_content.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace ckptfs {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr uint64_t kLineMask = kHexdumpBytesPerLine - 1;
constexpr size_t kAsciiColumn = 69;
// Lines rendered per AddressSpace::read: bounds the buffer of one huge read.
constexpr uint64_t kLinesPerBatch = 4096;
// st_size is an off_t: a corrupt image mapping one shared object over most of
// the 64-bit space must not make the size wrap.
constexpr uint64_t kMaxLines = std::numeric_limits<int64_t>::max() / kHexdumpLineWidth;

// Byte i's two hex digits: eight "xx " groups, one extra space, eight more.
constexpr size_t hex_column(size_t i) { return 18 + 3 * i + (i >= 8 ? 1 : 0); }

// Copies the part of src (n bytes at file offset pos) that lies inside the
// read [off, off + len) to its place in buf.
void copy_overlap(const char* src, uint64_t pos, uint64_t n, char* buf, size_t len, uint64_t off) {
  uint64_t lo = std::max(pos, off), hi = std::min(pos + n, off + len);
  if (lo < hi) std::memcpy(buf + (lo - off), src + (lo - pos), hi - lo);
}

// A VMA path comes from the checkpoint: a newline in it would break the
// one-line-per-row promise, so control bytes become '?'. A path longer than
// budget keeps its end (the file name) behind "...".
std::string printable_name(const std::string& path, size_t budget) {
  std::string s = path;
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (s.size() <= budget) return s;
  size_t from = s.size() - (budget - 3);
  // Do not start in the middle of a UTF-8 sequence.
  while (from < s.size() && (static_cast<unsigned char>(s[from]) & 0xc0) == 0x80) ++from;
  return "..." + s.substr(from);
}

}  // namespace

void render_hexdump_line(uint64_t addr, const unsigned char* bytes, char* out) {
  for (int i = 15; i >= 0; --i, addr >>= 4) out[i] = kHex[addr & 15];
  std::memset(out + 16, ' ', kAsciiColumn - 16);
  for (size_t i = 0; i < kHexdumpBytesPerLine; ++i) {
    unsigned char b = bytes[i];
    out[hex_column(i)] = kHex[b >> 4];
    out[hex_column(i) + 1] = kHex[b & 15];
    out[kAsciiColumn + i] = b >= 0x20 && b < 0x7f ? static_cast<char>(b) : '.';
  }
  out[kAsciiColumn - 1] = '|';
  out[kAsciiColumn + 16] = '|';
  out[kHexdumpLineWidth - 1] = '\n';
}

std::string render_hexdump_separator(const Vma* vma, uint64_t run_start, uint64_t run_end) {
  std::string head = vma ? fmt::format("-- {:08x}-{:08x} {} ", vma->start, vma->end, vma->perms())
                         : fmt::format("-- {:08x}-{:08x} ---- ", run_start, run_end);
  std::string name = !vma ? "[no VMA]" : vma->path.empty() ? "[anon]" : vma->path;
  constexpr std::string_view kTail = " --";
  // head is at most 42 bytes (two 16-digit addresses), so the budget is >= 41.
  size_t budget = kHexdumpLineWidth - 1 - head.size() - kTail.size();
  std::string line = head + printable_name(name, budget) + std::string(kTail);
  line.resize(kHexdumpLineWidth - 1, ' ');
  line += '\n';
  return line;
}

const HexdumpContent::Layout& HexdumpContent::layout() const {
  std::call_once(once_, [this] {
    std::vector<Run>& runs = layout_.runs;
    uint64_t& total = layout_.lines;
    std::vector<const Vma*> holders;  // the VMA holding each run's first stored byte
    for (const Extent& e : as_.extents()) {
      // Pages are 16-byte aligned; widening keeps odd extents of a corrupt image
      // readable (the rest of their first and last line reads as zeros).
      uint64_t start = e.start & ~kLineMask;
      uint64_t end = (e.start + e.length + kLineMask) & ~kLineMask;
      if (!runs.empty() && start <= runs.back().end) {
        runs.back().end = std::max(runs.back().end, end);
        continue;
      }
      auto it = std::upper_bound(vmas_.begin(), vmas_.end(), e.start,
                                 [](uint64_t a, const Vma& v) { return a < v.start; });
      holders.push_back(it != vmas_.begin() && std::prev(it)->end > e.start ? &*std::prev(it)
                                                                            : nullptr);
      runs.push_back({0, start, end, ""});
    }
    for (size_t i = 0; i < runs.size(); ++i) {
      Run& r = runs[i];
      uint64_t lines = 1 + (r.end - r.start) / kHexdumpBytesPerLine;
      if (lines > kMaxLines - total) {
        runs.resize(i);
        break;
      }
      r.first_line = total;
      r.separator = render_hexdump_separator(holders[i], r.start, r.end);
      total += lines;
    }
    laid_out_.store(true, std::memory_order_release);
  });
  return layout_;
}

size_t HexdumpContent::read(char* buf, size_t len, uint64_t off) const {
  if (off >= size() || len == 0) return 0;
  size_t n = std::min<uint64_t>(len, size() - off);
  uint64_t line = off / kHexdumpLineWidth;
  uint64_t last = (off + n - 1) / kHexdumpLineWidth;  // inclusive
  // The run holding the first line: the last one starting at or before it.
  const std::vector<Run>& runs = layout().runs;
  auto it = std::upper_bound(runs.begin(), runs.end(), line,
                             [](uint64_t l, const Run& r) { return l < r.first_line; });
  --it;
  while (line <= last) {
    const Run& r = *it;
    if (line == r.first_line) {
      copy_overlap(r.separator.data(), line * kHexdumpLineWidth, kHexdumpLineWidth, buf, n, off);
      ++line;
      continue;
    }
    uint64_t end_line = r.first_line + 1 + (r.end - r.start) / kHexdumpBytesPerLine;
    uint64_t to = std::min(end_line, last + 1);
    render_data(r, line, to - line, buf, n, off);
    line = to;
    if (line == end_line) ++it;
  }
  return n;
}

void HexdumpContent::render_data(const Run& r, uint64_t line, uint64_t count, char* buf, size_t len,
                                 uint64_t off) const {
  std::vector<unsigned char> bytes;
  char text[kHexdumpLineWidth];
  while (count > 0) {
    uint64_t batch = std::min(count, kLinesPerBatch);
    uint64_t addr = r.start + (line - r.first_line - 1) * kHexdumpBytesPerLine;
    bytes.resize(batch * kHexdumpBytesPerLine);
    as_.read(addr, bytes.data(), bytes.size());
    for (uint64_t i = 0; i < batch; ++i) {
      uint64_t pos = (line + i) * kHexdumpLineWidth;
      const unsigned char* b = bytes.data() + i * kHexdumpBytesPerLine;
      uint64_t a = addr + i * kHexdumpBytesPerLine;
      if (pos >= off && pos + kHexdumpLineWidth <= off + len) {
        render_hexdump_line(a, b, buf + (pos - off));  // the whole line is wanted
      } else {
        render_hexdump_line(a, b, text);
        copy_overlap(text, pos, kHexdumpLineWidth, buf, len, off);
      }
    }
    line += batch;
    count -= batch;
  }
}

}  // namespace ckptfs
