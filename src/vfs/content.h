#pragma once
// What a regular file in the tree reads as. Independent of FUSE: a Content
// answers size, read, SEEK_DATA / SEEK_HOLE and allocated bytes.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ckptfs {

class Content {
 public:
  virtual ~Content() = default;
  virtual uint64_t size() const = 0;
  // Returns the number of bytes read: min(len, size - off), every one filled.
  virtual size_t read(char* buf, size_t len, uint64_t off) const = 0;
  // lseek(SEEK_DATA / SEEK_HOLE): nullopt means ENXIO (no data at or after off).
  virtual std::optional<uint64_t> seek_data(uint64_t off) const {
    return off < size() ? std::optional(off) : std::nullopt;
  }
  virtual uint64_t seek_hole(uint64_t off) const { return size(); }
  // What st_blocks reports, in bytes.
  virtual uint64_t allocated() const { return size(); }
  // False while size() would first have to render the content. Listing a
  // directory then leaves the attributes out (readdirplus), so `ls -R` or
  // `find` over a big checkpoint does not render every text in it.
  virtual bool size_known() const { return true; }
  // Content that changes while mounted (a watched collection's table) calls
  // on_change after every change and returns true; fixed content returns
  // false. The FUSE layer then tells the kernel to drop what it cached.
  virtual bool observe(std::function<void()> on_change) const { return false; }
};

// A small text rendered on first use and kept: maps, info, status…
class TextContent : public Content {
 public:
  explicit TextContent(std::function<std::string()> render) : render_(std::move(render)) {}
  explicit TextContent(std::string text) : text_(std::move(text)), rendered_(true) {}
  uint64_t size() const override { return text().size(); }
  size_t read(char* buf, size_t len, uint64_t off) const override;
  bool size_known() const override { return rendered_.load(std::memory_order_acquire); }
  const std::string& text() const;

 private:
  std::function<std::string()> render_;
  mutable std::once_flag once_;
  mutable std::string text_;
  mutable std::atomic<bool> rendered_ = false;
};

// A text replaced as a whole while mounted. A read sees one version or the
// next, never a mix within one call.
class LiveTextContent : public Content {
 public:
  explicit LiveTextContent(std::string text = {})
      : text_(std::make_shared<const std::string>(std::move(text))) {}
  uint64_t size() const override { return current()->size(); }
  size_t read(char* buf, size_t len, uint64_t off) const override;
  bool observe(std::function<void()> on_change) const override;
  // Replaces the text and tells the observers, unless it is unchanged.
  void set(std::string text);
  std::shared_ptr<const std::string> current() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> text_;
  mutable std::vector<std::function<void()>> observers_;
};

}  // namespace ckptfs
