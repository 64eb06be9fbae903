#include "vfs/fallible_text_content.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace ckptfs {

void FallibleTextContent::render() const {
  // An exception other than InputError leaves once_ unset: rendered again later.
  std::call_once(once_, [this] {
    try {
      text_ = render_();
    } catch (const InputError& e) {
      error_ = e.what();
    }
    rendered_.store(true, std::memory_order_release);
  });
}

uint64_t FallibleTextContent::size() const {
  render();
  return error_ ? kFailedSize : text_.size();
}

size_t FallibleTextContent::read(char* buf, size_t len, uint64_t off) const {
  render();
  if (error_) throw InputError(*error_);
  if (off >= text_.size()) return 0;
  size_t n = std::min<uint64_t>(len, text_.size() - off);
  std::memcpy(buf, text_.data() + off, n);
  return n;
}

}  // namespace ckptfs
