#include "source/listing_codec.h"

#include <climits>

#include "cache_index.pb.h"

namespace ckptfs {

uint64_t fnv1a(std::string_view bytes, uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {

void put_member(cache::member& out, const std::string& name, const Member& m,
                const FileHandle& file) {
  out.set_name(name);
  out.set_type(static_cast<uint32_t>(m.type));
  out.set_mode(m.mode);
  out.set_mtime(m.mtime);
  if (!m.link_target.empty()) out.set_link_target(m.link_target);
  if (m.filetype) out.set_filetype(m.filetype);
  if (m.rdev) out.set_rdev(m.rdev);
  const auto* fb = dynamic_cast<const FileBlob*>(m.blob.get());
  if (fb && fb->file().get() != &file) throw std::logic_error("member data outside the cache");
  if (fb) {
    out.set_data_off(fb->offset());
    out.set_data_len(fb->size());
  } else if (m.blob && m.blob->size() != 0) {
    throw std::logic_error("member data outside the cache");
  }
}

// False for anything encode_listing would not have written.
bool get_member(const cache::member& in, Member& m, const std::shared_ptr<FileHandle>& file,
                uint64_t file_size, const std::string& origin) {
  if (in.type() > static_cast<uint32_t>(MemberType::Other) || in.mode() > 07777) return false;
  m.type = static_cast<MemberType>(in.type());
  m.mode = in.mode();
  m.mtime = in.mtime();
  m.link_target = in.link_target();
  m.filetype = in.filetype();
  m.rdev = in.rdev();
  bool has_data = in.has_data_off() || in.has_data_len();
  if (m.type != MemberType::File) return !has_data;
  std::string where = origin + ":" + in.name();
  if (!has_data) {
    m.blob = std::make_shared<MemoryBlob>("", where);
    return true;
  }
  uint64_t off = in.data_off(), len = in.data_len();
  if (!in.has_data_off() || !in.has_data_len() || off > file_size || len > file_size - off)
    return false;
  m.blob = std::make_shared<FileBlob>(file, off, len, where);
  return true;
}

}  // namespace

std::string encode_listing(const TarListing& listing, const FileHandle& file) {
  cache::listing index;
  if (listing.root) put_member(*index.mutable_root(), "", *listing.root, file);
  for (const auto& [name, m] : listing.members) put_member(*index.add_members(), name, m, file);
  return index.SerializeAsString();
}

std::optional<TarListing> decode_listing(std::string_view bytes, std::shared_ptr<FileHandle> file,
                                         uint64_t file_size, const std::string& origin) {
  cache::listing index;
  if (bytes.size() > INT_MAX || !index.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return std::nullopt;
  TarListing out;
  if (index.has_root()) {
    Member root;
    if (!index.root().name().empty() || !get_member(index.root(), root, file, file_size, origin))
      return std::nullopt;
    out.root = std::move(root);
  }
  for (const cache::member& in : index.members()) {
    const std::string& name = in.name();
    Member m;
    // Names as the tar reader leaves them: normalised, each once.
    if (name.empty() || normalise_member_name(name) != name ||
        !get_member(in, m, file, file_size, origin) ||
        !out.members.emplace(name, std::move(m)).second)
      return std::nullopt;
  }
  return out;
}

}  // namespace ckptfs
