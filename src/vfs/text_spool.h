#pragma once
// Text written once, front to back, then read at any offset. Small texts stay
// in memory; past a limit the text moves to an unnamed temporary file
// (CacheFile), so one huge rendering, such as the JSON of a million-entry
// pagemap (~100 MB), costs page cache and disk rather than daemon memory.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "source/cache_file.h"

namespace ckptfs {

class TextSpool {
 public:
  static constexpr size_t kDefaultMemoryLimit = size_t{4} << 20;

  // origin names the text in errors; dir "" is $TMPDIR.
  explicit TextSpool(std::string origin, size_t memory_limit = kDefaultMemoryLimit,
                     std::string dir = "");
  void append(std::string_view s);
  // Ends writing: flushes what is buffered and frees the buffer.
  void finish();
  uint64_t size() const { return file_size_ + buf_.size(); }
  bool spilled() const { return file_ != nullptr; }
  // min(len, size - off) bytes at off. Only after finish() once spilled.
  size_t read(char* buf, size_t len, uint64_t off) const;

 private:
  void flush();

  std::string origin_;
  size_t memory_limit_;
  std::string dir_;
  std::string buf_;  // the whole text, or once spilled the tail not yet written
  std::unique_ptr<CacheFile> file_;
  uint64_t file_size_ = 0;
};

}  // namespace ckptfs
