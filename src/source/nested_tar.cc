#include "source/nested_tar.h"

#include <algorithm>

namespace ckptfs {

TarListing read_nested_tar(const Blob& tar, const TarReadOptions& options) {
  char head[8];
  size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof head, tar.size()));
  tar.pread(head, n, 0);
  if (auto packing = compression_of({head, n})) {
    TarReadOptions o = options;
    o.kind = packing_name(*packing);
    return read_tar_streamed(tar.origin(), tar, o);
  }
  if (const auto* file = dynamic_cast<const FileBlob*>(&tar))
    return read_tar_in_place(tar.origin(), file->file(), file->offset(), tar.size(), options);
  // Bytes held in memory: nothing to map, so copy what the archive holds.
  return read_tar_streamed(tar.origin(), tar, options);
}

}  // namespace ckptfs
