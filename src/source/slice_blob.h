#pragma once
// A byte range of another Blob: a member inside a member (a file in
// rootfs-diff.tar, the payload after an image entry) without copying it.

#include <memory>
#include <string>

#include "source/blob.h"
#include "util/error.h"

namespace ckptfs {

class SliceBlob : public Blob {
 public:
  // Throws InputError if [offset, offset+size) is not inside the parent.
  SliceBlob(std::shared_ptr<const Blob> parent, uint64_t offset, uint64_t size, std::string origin)
      : parent_(std::move(parent)), offset_(offset), size_(size), origin_(std::move(origin)) {
    if (offset_ > parent_->size() || size_ > parent_->size() - offset_)
      fail(origin_, "{} bytes at {} run past the end of {} ({} bytes)", size_, offset_,
           parent_->origin(), parent_->size());
  }
  uint64_t size() const override { return size_; }
  void pread(void* buf, size_t len, uint64_t off) const override {
    if (off > size_ || len > size_ - off) fail(origin_, "read past the end");
    parent_->pread(buf, len, offset_ + off);
  }
  const std::string& origin() const override { return origin_; }

 private:
  std::shared_ptr<const Blob> parent_;
  uint64_t offset_, size_;
  std::string origin_;
};

}  // namespace ckptfs
