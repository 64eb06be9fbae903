#include "vfs/changed_content.h"

#include <algorithm>
#include <cstring>

namespace ckptfs {

const std::vector<PageRegion>& ChangedPagesContent::regions() const {
  const auto& r = regions_.get([&] { return changed_regions(cmp_->pages(pid_)); });
  ready_.store(true, std::memory_order_release);
  return r;
}

size_t ChangedPagesContent::first_ending_after(uint64_t off) const {
  const auto& r = regions();
  return static_cast<size_t>(
      std::upper_bound(r.begin(), r.end(), off,
                       [](uint64_t o, const PageRegion& x) { return o < x.end; }) -
      r.begin());
}

size_t ChangedPagesContent::read(char* buf, size_t len, uint64_t off) const {
  if (off >= size()) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(len, size() - off));
  const auto& r = regions();
  uint64_t end = off + n;
  std::memset(buf, 0, n);
  for (size_t i = first_ending_after(off); i < r.size() && r[i].start < end; ++i) {
    uint64_t from = std::max(off, r[i].start), to = std::min(end, r[i].end);
    b_->memory.read(from, buf + (from - off), to - from);
  }
  return n;
}

std::optional<uint64_t> ChangedPagesContent::seek_data(uint64_t off) const {
  const auto& r = regions();
  size_t i = first_ending_after(off);
  if (i >= r.size()) return std::nullopt;
  return std::max(off, r[i].start);
}

uint64_t ChangedPagesContent::seek_hole(uint64_t off) const {
  const auto& r = regions();
  size_t i = first_ending_after(off);
  if (i >= r.size() || r[i].start > off) return off;
  // Regions of two mappings that touch are one stretch of data.
  uint64_t end = r[i].end;
  while (++i < r.size() && r[i].start == end) end = r[i].end;
  return end;
}

uint64_t ChangedPagesContent::allocated() const {
  try {
    uint64_t total = 0;
    for (const PageRegion& x : regions()) total += x.end - x.start;
    return total;
  } catch (const InputError&) {
    return 0;
  }
}

}  // namespace ckptfs
