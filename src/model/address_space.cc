#include "model/address_space.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace ckptfs {

uint32_t AddressSpace::add_blob(std::shared_ptr<Blob> b) {
  for (size_t i = 0; i < blobs_.size(); ++i)
    if (blobs_[i] == b) return static_cast<uint32_t>(i);
  blobs_.push_back(std::move(b));
  return static_cast<uint32_t>(blobs_.size() - 1);
}

void AddressSpace::add(uint64_t start, uint64_t length, uint32_t blob, uint64_t offset) {
  if (length == 0) return;
  extents_.push_back({start, length, offset, blob});
}

std::string AddressSpace::finish() {
  // A pagemap lists its pages in address order: sort only what is not.
  auto by_start = [](const Extent& a, const Extent& b) { return a.start < b.start; };
  if (!std::is_sorted(extents_.begin(), extents_.end(), by_start))
    std::sort(extents_.begin(), extents_.end(), by_start);
  // Merge in place: out is the last kept extent.
  size_t out = 0;
  stored_ = 0;
  for (size_t i = 0; i < extents_.size(); ++i) {
    const Extent e = extents_[i];
    stored_ += e.length;
    if (i > 0) {
      Extent& last = extents_[out];
      uint64_t last_end = last.start + last.length;
      if (e.start < last_end)
        return fmt::format("pages at 0x{:x}-0x{:x} overlap pages at 0x{:x}-0x{:x}", e.start,
                           e.start + e.length, last.start, last_end);
      if (e.start == last_end && e.blob == last.blob && e.offset == last.offset + last.length) {
        last.length += e.length;
        continue;
      }
      ++out;
    }
    extents_[out] = e;
  }
  extents_.resize(extents_.empty() ? 0 : out + 1);
  extents_.shrink_to_fit();
  return "";
}

size_t AddressSpace::first_ending_after(uint64_t addr) const {
  auto it = std::upper_bound(extents_.begin(), extents_.end(), addr,
                             [](uint64_t a, const Extent& e) { return a < e.start + e.length; });
  return static_cast<size_t>(it - extents_.begin());
}

void AddressSpace::read(uint64_t addr, void* buf, size_t len) const {
  char* out = static_cast<char*>(buf);
  uint64_t end = addr + len;
  size_t i = first_ending_after(addr);
  uint64_t pos = addr;
  while (pos < end) {
    if (i >= extents_.size() || extents_[i].start >= end) {
      std::memset(out + (pos - addr), 0, end - pos);
      break;
    }
    const Extent& e = extents_[i];
    if (e.start > pos) {
      std::memset(out + (pos - addr), 0, e.start - pos);
      pos = e.start;
    }
    uint64_t take = std::min(end, e.start + e.length) - pos;
    blobs_[e.blob]->pread(out + (pos - addr), take, e.offset + (pos - e.start));
    pos += take;
    ++i;
  }
}

std::optional<uint64_t> AddressSpace::next_data(uint64_t addr) const {
  size_t i = first_ending_after(addr);
  if (i >= extents_.size()) return std::nullopt;
  return std::max(addr, extents_[i].start);
}

uint64_t AddressSpace::next_hole(uint64_t addr) const {
  size_t i = first_ending_after(addr);
  if (i >= extents_.size() || extents_[i].start > addr) return addr;
  // Adjacent extents from different pagemap entries or blobs are one data run.
  uint64_t end = extents_[i].start + extents_[i].length;
  while (++i < extents_.size() && extents_[i].start == end) end += extents_[i].length;
  return end;
}

uint64_t AddressSpace::stored_bytes_in(uint64_t start, uint64_t end) const {
  uint64_t total = 0;
  for (size_t i = first_ending_after(start); i < extents_.size() && extents_[i].start < end; ++i) {
    const Extent& e = extents_[i];
    total += std::min(end, e.start + e.length) - std::max(start, e.start);
  }
  return total;
}

}  // namespace ckptfs
