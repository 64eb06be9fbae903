#include "vfs/text_spool.h"

#include <algorithm>
#include <cstring>

namespace ckptfs {

namespace {
constexpr size_t kWriteChunk = size_t{1} << 20;
}

TextSpool::TextSpool(std::string origin, size_t memory_limit, std::string dir)
    : origin_(std::move(origin)), memory_limit_(memory_limit), dir_(std::move(dir)) {}

void TextSpool::append(std::string_view s) {
  buf_.append(s);
  if (!file_ && buf_.size() > memory_limit_) file_ = std::make_unique<CacheFile>(origin_, dir_, 0);
  if (file_ && buf_.size() >= kWriteChunk) flush();
}

void TextSpool::flush() {
  file_->append(buf_.data(), buf_.size());
  file_size_ += buf_.size();
  buf_.clear();
}

void TextSpool::finish() {
  if (!file_) return;
  flush();
  buf_.shrink_to_fit();
}

size_t TextSpool::read(char* out, size_t len, uint64_t off) const {
  if (off >= size()) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(len, size() - off));
  if (file_)
    FileBlob(file_->handle(), 0, file_size_, origin_).pread(out, n, off);
  else
    std::memcpy(out, buf_.data() + off, n);
  return n;
}

}  // namespace ckptfs
