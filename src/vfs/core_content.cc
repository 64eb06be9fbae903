#include "vfs/core_content.h"

#include <algorithm>
#include <cstring>

namespace ckptfs {

const ElfCoreLayout& CoreContent::layout() const {
  std::call_once(once_, [this] {
    layout_ = layout_elf_core(p_);
    // st_blocks is asked on every stat: count the stored pages once.
    allocated_ = layout_.head.size();
    for (const CoreSegment& s : layout_.segments)
      allocated_ += p_.memory.stored_bytes_in(s.vaddr, s.vaddr + s.size);
    laid_out_.store(true, std::memory_order_release);
  });
  return layout_;
}

uint64_t CoreContent::allocated() const {
  layout();
  return allocated_;
}

size_t CoreContent::segment_at(uint64_t off) const {
  const auto& segs = layout().segments;
  auto it = std::upper_bound(segs.begin(), segs.end(), off, [](uint64_t o, const CoreSegment& s) {
    return o < s.offset + s.size;
  });
  return static_cast<size_t>(it - segs.begin());
}

size_t CoreContent::read(char* buf, size_t len, uint64_t off) const {
  const ElfCoreLayout& l = layout();
  if (off >= l.size) return 0;
  size_t n = std::min<uint64_t>(len, l.size - off);
  uint64_t pos = off, end = off + n;
  if (pos < l.head.size()) {
    uint64_t take = std::min<uint64_t>(end, l.head.size()) - pos;
    std::memcpy(buf, l.head.data() + pos, take);
    pos += take;
  }
  for (size_t i = segment_at(pos); pos < end; ++i) {
    char* out = buf + (pos - off);
    if (i == l.segments.size() || l.segments[i].offset >= end) {
      std::memset(out, 0, end - pos);  // padding after the notes
      break;
    }
    const CoreSegment& s = l.segments[i];
    if (s.offset > pos) {
      std::memset(out, 0, s.offset - pos);
      out += s.offset - pos;
      pos = s.offset;
    }
    uint64_t take = std::min(end, s.offset + s.size) - pos;
    p_.memory.read(s.vaddr + (pos - s.offset), out, take);
    pos += take;
  }
  return n;
}

std::optional<uint64_t> CoreContent::seek_data(uint64_t off) const {
  const ElfCoreLayout& l = layout();
  if (off >= l.size) return std::nullopt;
  if (off < l.head.size()) return off;
  const auto& segs = l.segments;
  size_t i = segment_at(off);
  if (i == segs.size()) return std::nullopt;
  uint64_t addr = segs[i].vaddr + (off > segs[i].offset ? off - segs[i].offset : 0);
  // Stored pages outside every dumped VMA are not in the file: skip past them.
  for (;;) {
    std::optional<uint64_t> d = p_.memory.next_data(addr);
    if (!d) return std::nullopt;
    auto it =
        std::upper_bound(segs.begin() + static_cast<ptrdiff_t>(i), segs.end(), *d,
                         [](uint64_t a, const CoreSegment& s) { return a < s.vaddr + s.size; });
    if (it == segs.end()) return std::nullopt;
    if (it->vaddr <= *d) return it->offset + (*d - it->vaddr);
    i = static_cast<size_t>(it - segs.begin());
    addr = it->vaddr;
  }
}

uint64_t CoreContent::seek_hole(uint64_t off) const {
  const ElfCoreLayout& l = layout();
  if (off >= l.size) return l.size;
  uint64_t pos = std::max<uint64_t>(off, l.head.size());
  for (size_t i = segment_at(pos); i < l.segments.size(); ++i) {
    const CoreSegment& s = l.segments[i];
    if (pos < s.offset) return pos;
    uint64_t hole = p_.memory.next_hole(s.vaddr + (pos - s.offset));
    if (hole < s.vaddr + s.size) return s.offset + (hole - s.vaddr);
    // Data up to the segment's end continues into the next segment's first
    // bytes when that one starts with stored pages.
    pos = s.offset + s.size;
  }
  return std::min(pos, l.size);
}

}  // namespace ckptfs
