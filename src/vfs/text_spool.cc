#include "vfs/text_spool.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/error.h"

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
  if (!file_) {
    std::memcpy(out, buf_.data() + off, n);
    return n;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t r =
        ::pread(file_->handle()->fd(), out + done, n - done, static_cast<off_t>(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) fail_errno(origin_, "cannot read back its temporary file");
    done += static_cast<size_t>(r);
  }
  return n;
}

}  // namespace ckptfs
