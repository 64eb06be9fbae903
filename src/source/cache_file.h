#pragma once
// The private, already-unlinked file a compressed archive is decompressed into.
// It vanishes when the daemon exits: nothing is left behind on unmount.

#include <cstdint>
#include <memory>
#include <string>

#include "source/blob.h"

namespace ckptfs {

class CacheFile {
 public:
  explicit CacheFile(const std::string& dir);
  // Reserves a page-aligned region for a member of the given size.
  uint64_t allocate(uint64_t size);
  void write(const void* data, size_t len, uint64_t off);
  std::shared_ptr<FileHandle> handle() const { return handle_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::shared_ptr<FileHandle> handle_;
  uint64_t end_ = 0;
};

}  // namespace ckptfs
