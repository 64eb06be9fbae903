#pragma once
// A text rendered on first use, like TextContent, for renderings that fail on
// bad input (decoding a corrupt image). An InputError is remembered: stat and
// readdir of the file keep working, so one bad file cannot break listing its
// directory, and every read throws the error again (the FUSE layer answers
// EIO and logs the message). Other errors (I/O) are not remembered: the next
// access tries again.

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "vfs/content.h"

namespace ckptfs {

class FallibleTextContent : public Content {
 public:
  // The size a failed file reports. Not 0: the kernel serves reads of an empty
  // file itself, so cat would succeed with no output instead of failing.
  static constexpr uint64_t kFailedSize = 4096;

  explicit FallibleTextContent(std::function<std::string()> render) : render_(std::move(render)) {}
  uint64_t size() const override;
  size_t read(char* buf, size_t len, uint64_t off) const override;
  bool size_known() const override { return rendered_.load(std::memory_order_acquire); }

 private:
  void render() const;

  std::function<std::string()> render_;
  mutable std::once_flag once_;
  mutable std::string text_;
  mutable std::optional<std::string> error_;
  mutable std::atomic<bool> rendered_ = false;
};

}  // namespace ckptfs
