#include "source/listing_codec.h"

#include <cstring>

namespace ckptfs {

uint64_t fnv1a(std::string_view bytes, uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  }
  void str(std::string_view s) {
    u64(s.size());
    out.append(s);
  }
  std::string out;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u8(uint8_t& v) {
    if (in_.empty()) return false;
    v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool u64(uint64_t& v) {
    if (in_.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    in_.remove_prefix(8);
    return true;
  }
  bool str(std::string& s) {
    uint64_t n = 0;
    if (!u64(n) || n > in_.size()) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void put_member(Writer& w, const Member& m, const FileHandle& file) {
  w.u8(static_cast<uint8_t>(m.type));
  w.u64(m.mode);
  w.u64(static_cast<uint64_t>(m.mtime));
  w.str(m.link_target);
  w.u64(m.filetype);
  w.u64(m.rdev);
  const auto* fb = dynamic_cast<const FileBlob*>(m.blob.get());
  if (fb && fb->file().get() != &file) throw std::logic_error("member data outside the cache");
  w.u8(fb ? 1 : 0);
  w.u64(fb ? fb->offset() : 0);
  w.u64(m.blob ? m.blob->size() : 0);
}

bool get_member(Reader& r, Member& m, const std::shared_ptr<FileHandle>& file, uint64_t file_size,
                const std::string& origin, const std::string& name) {
  uint8_t type = 0, in_file = 0;
  uint64_t mode = 0, mtime = 0, filetype = 0, rdev = 0, off = 0, size = 0;
  if (!r.u8(type) || type > static_cast<uint8_t>(MemberType::Other) || !r.u64(mode) ||
      !r.u64(mtime) || !r.str(m.link_target) || !r.u64(filetype) || !r.u64(rdev) ||
      !r.u8(in_file) || !r.u64(off) || !r.u64(size))
    return false;
  if (off > file_size || size > file_size - off) return false;
  m.type = static_cast<MemberType>(type);
  m.mode = static_cast<uint32_t>(mode & 07777);
  m.mtime = static_cast<int64_t>(mtime);
  m.filetype = static_cast<uint32_t>(filetype);
  m.rdev = rdev;
  if (m.type == MemberType::File) {
    std::string where = origin + ":" + name;
    if (in_file)
      m.blob = std::make_shared<FileBlob>(file, off, size, where);
    else if (size == 0)
      m.blob = std::make_shared<MemoryBlob>("", where);
    else
      return false;
  }
  return true;
}

}  // namespace

std::string encode_listing(const TarListing& listing, const FileHandle& file) {
  Writer w;
  w.u8(listing.root ? 1 : 0);
  if (listing.root) put_member(w, *listing.root, file);
  w.u64(listing.members.size());
  for (const auto& [name, m] : listing.members) {
    w.str(name);
    put_member(w, m, file);
  }
  return std::move(w.out);
}

std::optional<TarListing> decode_listing(std::string_view bytes, std::shared_ptr<FileHandle> file,
                                         uint64_t file_size, const std::string& origin) {
  Reader r(bytes);
  TarListing out;
  uint8_t has_root = 0;
  if (!r.u8(has_root)) return std::nullopt;
  if (has_root) {
    Member root;
    if (!get_member(r, root, file, file_size, origin, "")) return std::nullopt;
    out.root = std::move(root);
  }
  uint64_t count = 0;
  if (!r.u64(count)) return std::nullopt;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    Member m;
    if (!r.str(name) || name.empty() || normalise_member_name(name) != name ||
        !get_member(r, m, file, file_size, origin, name))
      return std::nullopt;
    out.members.insert_or_assign(std::move(name), std::move(m));
  }
  if (!r.done()) return std::nullopt;
  return out;
}

}  // namespace ckptfs
