#include "images/image_reader.h"

#include <cstring>

#include "images/magic.h"
#include "util/error.h"

namespace ckptfs {

namespace {
uint32_t le32(const std::string& d, size_t off) {
  uint32_t v;
  std::memcpy(&v, d.data() + off, 4);
  return v;  // little-endian hosts only, like the dumps we accept
}
}  // namespace

ImageReader ImageReader::from_blob(const std::string& name, const Blob& blob,
                                   uint32_t expected_magic) {
  if (blob.size() > kMaxImageSize)
    fail(name, "image of {} bytes is implausibly large", blob.size());
  return ImageReader(name, blob.read_all(kMaxImageSize), expected_magic);
}

ImageReader::ImageReader(std::string name, std::string data, uint32_t expected_magic)
    : name_(std::move(name)), data_(std::move(data)) {
  if (data_.size() < 4) fail(name_, "truncated: no image magic ({} bytes)", data_.size());
  uint32_t m = le32(data_, 0);
  pos_ = 4;
  if (m == magic::kCommon || m == magic::kService) {
    if (data_.size() < 8) fail(name_, "truncated: no type magic after the head magic");
    service_ = m == magic::kService;
    m = le32(data_, 4);
    pos_ = 8;
  }
  type_magic_ = m;
  if (expected_magic && m != expected_magic) {
    uint32_t swapped = __builtin_bswap32(m);
    if (swapped == expected_magic || swapped == magic::kCommon || swapped == magic::kService)
      fail(name_, "big-endian image: only little-endian dumps are supported");
    fail(name_, "wrong magic 0x{:08x} (expected 0x{:08x})", m, expected_magic);
  }
}

bool ImageReader::next(std::string_view& message) {
  if (pos_ == data_.size()) return false;
  if (data_.size() - pos_ < 4)
    fail(name_, "entry {}: truncated length word at offset {}", count_, pos_);
  uint32_t len = le32(data_, pos_);
  if (len > kMaxEntrySize)
    fail(name_, "entry {}: length {} is implausible (corrupt image)", count_, len);
  if (data_.size() - pos_ - 4 < len)
    fail(name_, "entry {}: length {} runs past the end of the file ({} bytes left)", count_, len,
         data_.size() - pos_ - 4);
  message = std::string_view(data_).substr(pos_ + 4, len);
  pos_ += 4 + len;
  index_ = count_++;
  return true;
}

std::string_view ImageReader::extra(uint64_t len) {
  if (len > data_.size() - pos_)
    fail(name_, "entry {}: payload of {} bytes runs past the end of the file", index_, len);
  auto v = std::string_view(data_).substr(pos_, len);
  pos_ += len;
  return v;
}

std::string_view ImageReader::rest() {
  auto v = std::string_view(data_).substr(pos_);
  pos_ = data_.size();
  return v;
}

void ImageReader::bad_message(std::string_view type) const {
  fail(name_, "entry {}: not a valid {} message (corrupt image)", index_, type);
}

}  // namespace ckptfs
