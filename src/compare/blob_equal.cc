#include "compare/blob_equal.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ckptfs {

bool blobs_equal(const Blob& a, const Blob& b) {
  if (&a == &b) return true;
  if (a.size() != b.size()) return false;
  constexpr uint64_t kChunk = 256 << 10;
  uint64_t size = a.size();
  std::vector<char> x(std::min(size, kChunk)), y(x.size());
  for (uint64_t off = 0; off < size;) {
    size_t n = static_cast<size_t>(std::min(kChunk, size - off));
    a.pread(x.data(), n, off);
    b.pread(y.data(), n, off);
    if (std::memcmp(x.data(), y.data(), n) != 0) return false;
    off += n;
  }
  return true;
}

}  // namespace ckptfs
