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

// A TextContent rendered by render on first use, as a tree's file content.
inline std::shared_ptr<Content> lazy_text(std::function<std::string()> render) {
  return std::make_shared<TextContent>(std::move(render));
}

}  // namespace ckptfs
