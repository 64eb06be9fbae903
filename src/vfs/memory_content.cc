#include "vfs/memory_content.h"

#include <algorithm>

namespace ckptfs {

size_t MemoryContent::read(char* buf, size_t len, uint64_t off) const {
  if (off >= size()) return 0;
  size_t n = std::min<uint64_t>(len, size() - off);
  as_.read(off, buf, n);
  return n;
}

std::optional<uint64_t> MemoryContent::seek_data(uint64_t off) const {
  if (off >= size()) return std::nullopt;
  auto d = as_.next_data(off);
  if (!d || *d >= size()) return std::nullopt;
  return d;
}

uint64_t MemoryContent::seek_hole(uint64_t off) const {
  return std::min(as_.next_hole(off), size());
}

}  // namespace ckptfs
