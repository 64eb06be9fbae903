#include "vfs/content.h"

#include <algorithm>
#include <cstring>

namespace ckptfs {

const std::string& TextContent::text() const {
  if (!rendered_.load(std::memory_order_acquire))
    std::call_once(once_, [this] {
      text_ = render_();
      rendered_.store(true, std::memory_order_release);
    });
  return text_;
}

size_t TextContent::read(char* buf, size_t len, uint64_t off) const {
  const std::string& t = text();
  if (off >= t.size()) return 0;
  size_t n = std::min<uint64_t>(len, t.size() - off);
  std::memcpy(buf, t.data() + off, n);
  return n;
}

}  // namespace ckptfs
