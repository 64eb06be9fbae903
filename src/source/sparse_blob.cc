#include "source/sparse_blob.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace ckptfs {

SparseBlob::SparseBlob(uint64_t size, std::vector<Piece> pieces, std::string origin)
    : size_(size), pieces_(std::move(pieces)), origin_(std::move(origin)) {
  uint64_t prev_end = 0;
  for (const Piece& p : pieces_) {
    if (p.offset < prev_end || p.offset > size_ || p.length > size_ - p.offset)
      fail(origin_, "chunk of {} bytes at {} overlaps another or lies outside the {}-byte file",
           p.length, p.offset, size_);
    if (p.source_offset > p.source->size() || p.length > p.source->size() - p.source_offset)
      fail(origin_, "chunk of {} bytes runs past the end of {}", p.length, p.source->origin());
    prev_end = p.offset + p.length;
  }
}

void SparseBlob::pread(void* buf, size_t len, uint64_t off) const {
  if (off > size_ || len > size_ - off) fail(origin_, "read past the end");
  char* out = static_cast<char*>(buf);
  std::memset(out, 0, len);
  uint64_t end = off + len;
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), off,
                             [](uint64_t o, const Piece& p) { return o < p.offset + p.length; });
  for (; it != pieces_.end() && it->offset < end; ++it) {
    uint64_t s = std::max(off, it->offset), e = std::min(end, it->offset + it->length);
    it->source->pread(out + (s - off), e - s, it->source_offset + (s - it->offset));
  }
}

}  // namespace ckptfs
