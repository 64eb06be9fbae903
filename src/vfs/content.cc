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

size_t LiveTextContent::read(char* buf, size_t len, uint64_t off) const {
  std::shared_ptr<const std::string> t = current();
  if (off >= t->size()) return 0;
  size_t n = std::min<uint64_t>(len, t->size() - off);
  std::memcpy(buf, t->data() + off, n);
  return n;
}

bool LiveTextContent::observe(std::function<void()> on_change) const {
  std::lock_guard lock(mu_);
  observers_.push_back(std::move(on_change));
  return true;
}

void LiveTextContent::set(std::string text) {
  std::vector<std::function<void()>> observers;
  {
    std::lock_guard lock(mu_);
    if (*text_ == text) return;
    text_ = std::make_shared<const std::string>(std::move(text));
    observers = observers_;
  }
  for (const auto& o : observers) o();
}

std::shared_ptr<const std::string> LiveTextContent::current() const {
  std::lock_guard lock(mu_);
  return text_;
}

}  // namespace ckptfs
