#pragma once
// CRIU's framing: [head magic] type magic, then u32 length + protobuf message,
// each optionally followed by a raw payload whose length the message gives.
// Pure over bytes held in memory; every length is checked before use.

#include <cstdint>
#include <string>
#include <string_view>

#include "source/blob.h"

namespace ckptfs {

// No single CRIU protobuf entry comes near this; anything larger is corruption.
inline constexpr uint32_t kMaxEntrySize = 64u << 20;
// Metadata images are read whole; a pagemap of a million entries is ~20 MiB.
inline constexpr uint64_t kMaxImageSize = 1ull << 30;

class ImageReader {
 public:
  // name is used in every error message ("pagemap-1.img: entry 3: …").
  // expected_magic 0 accepts any type magic.
  ImageReader(std::string name, std::string data, uint32_t expected_magic);
  static ImageReader from_blob(const std::string& name, const Blob& blob, uint32_t expected_magic);

  uint32_t type_magic() const { return type_magic_; }
  bool service() const { return service_; }
  const std::string& name() const { return name_; }
  // The next entry's message bytes; false at a clean end of file.
  bool next(std::string_view& message);
  // Raw payload following the current entry.
  std::string_view extra(uint64_t len);
  // Everything after the current position (e.g. an unchunked ghost file).
  std::string_view rest();
  size_t entry_index() const { return index_; }  // 0-based index of the last entry returned
  size_t offset() const { return pos_; }

  template <typename Msg>
  Msg parse(std::string_view bytes) const {
    Msg m;
    if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      bad_message(Msg::descriptor()->name());
    return m;
  }
  // Reads the next entry as Msg; false at end of file.
  template <typename Msg>
  bool next(Msg& m) {
    std::string_view b;
    if (!next(b)) return false;
    m = parse<Msg>(b);
    return true;
  }

  [[noreturn]] void bad_message(std::string_view type) const;

 private:
  std::string name_;
  std::string data_;
  size_t pos_ = 0;
  size_t index_ = 0;
  size_t count_ = 0;
  uint32_t type_magic_ = 0;
  bool service_ = false;
};

}  // namespace ckptfs
