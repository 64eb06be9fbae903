#pragma once
// A text rendered on first use, like TextContent, for renderings that fail on
// bad input (decoding a corrupt image) and may be huge: the text is written
// into a TextSpool, which moves it out of memory past a few MiB. An InputError
// is remembered: stat and readdir of the file keep working, so one bad file
// cannot break listing its directory, and every read throws the error again
// (the FUSE layer answers EIO and logs the message). Other errors (I/O) are
// not remembered: the next access tries again.

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "vfs/content.h"
#include "vfs/text_spool.h"

namespace ckptfs {

class FallibleTextContent : public Content {
 public:
  // The size a failed file reports. Not 0: the kernel serves reads of an empty
  // file itself, so cat would succeed with no output instead of failing.
  static constexpr uint64_t kFailedSize = 4096;

  // origin names the text in errors about its temporary file.
  FallibleTextContent(std::string origin, std::function<void(TextSpool&)> render)
      : origin_(std::move(origin)), render_(std::move(render)), text_(origin_) {}
  uint64_t size() const override;
  size_t read(char* buf, size_t len, uint64_t off) const override;
  bool size_known() const override { return rendered_.load(std::memory_order_acquire); }

 private:
  void render() const;

  std::string origin_;
  std::function<void(TextSpool&)> render_;
  mutable std::once_flag once_;
  mutable TextSpool text_;
  mutable std::optional<std::string> error_;
  mutable std::atomic<bool> rendered_ = false;
};

}  // namespace ckptfs
