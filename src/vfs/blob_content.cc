#include "vfs/blob_content.h"

#include <algorithm>
#include <stdexcept>

namespace ckptfs {

BlobContent::BlobContent(std::shared_ptr<const Blob> blob)
    : blob_(std::move(blob)), offset_(0), size_(blob_->size()) {}

BlobContent::BlobContent(std::shared_ptr<const Blob> blob, uint64_t offset, uint64_t size)
    : blob_(std::move(blob)), offset_(offset), size_(size) {
  if (offset > blob_->size() || size > blob_->size() - offset)
    throw std::out_of_range("BlobContent: range outside " + blob_->origin());
}

size_t BlobContent::read(char* buf, size_t len, uint64_t off) const {
  if (off >= size_) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(len, size_ - off));
  blob_->pread(buf, n, offset_ + off);
  return n;
}

}  // namespace ckptfs
