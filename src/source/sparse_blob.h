#pragma once
// Bytes assembled from pieces of other blobs at given offsets, zeros between
// them: a chunked ghost file (holes stay holes), or the packets queued on one
// socket laid end to end.

#include <memory>
#include <string>
#include <vector>

#include "source/blob.h"

namespace ckptfs {

class SparseBlob : public Blob {
 public:
  struct Piece {
    uint64_t offset;  // in this blob
    uint64_t length;
    std::shared_ptr<const Blob> source;
    uint64_t source_offset;
  };
  // Pieces must be sorted, non-overlapping and inside size; throws otherwise.
  SparseBlob(uint64_t size, std::vector<Piece> pieces, std::string origin);
  uint64_t size() const override { return size_; }
  void pread(void* buf, size_t len, uint64_t off) const override;
  const std::string& origin() const override { return origin_; }

 private:
  uint64_t size_;
  std::vector<Piece> pieces_;
  std::string origin_;
};

}  // namespace ckptfs
