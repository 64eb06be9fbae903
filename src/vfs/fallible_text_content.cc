#include "vfs/fallible_text_content.h"

#include "util/error.h"

namespace ckptfs {

void FallibleTextContent::render() const {
  // An exception other than InputError leaves once_ unset: rendered again later.
  std::call_once(once_, [this] {
    try {
      TextSpool t(origin_);  // a failed rendering leaves no partial text behind
      render_(t);
      t.finish();
      text_ = std::move(t);
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
  return text_.read(buf, len, off);
}

}  // namespace ckptfs
