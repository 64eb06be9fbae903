#pragma once
// A file whose bytes are a range of a Blob: a file of rootfs-diff.tar, served
// straight from the archive or the decompression cache, never copied.

#include <memory>

#include "source/blob.h"
#include "vfs/content.h"

namespace ckptfs {

class BlobContent : public Content {
 public:
  explicit BlobContent(std::shared_ptr<const Blob> blob);
  // [offset, offset + size) of blob; throws std::out_of_range outside it.
  BlobContent(std::shared_ptr<const Blob> blob, uint64_t offset, uint64_t size);
  uint64_t size() const override { return size_; }
  size_t read(char* buf, size_t len, uint64_t off) const override;

 private:
  std::shared_ptr<const Blob> blob_;
  uint64_t offset_;
  uint64_t size_;
};

}  // namespace ckptfs
