#include "model/ghost_file.h"

#include <sys/stat.h>

#include <cstring>
#include <limits>
#include <vector>

#include "images/image_reader.h"
#include "images/magic.h"
#include "source/slice_blob.h"
#include "source/sparse_blob.h"
#include "util/error.h"

namespace ckptfs {

namespace {

// st_size is an off_t, and Linux holds no larger file: a header or chunk
// claiming more is corrupt, and would show as a negative size.
constexpr uint64_t kMaxFileSize = std::numeric_limits<int64_t>::max();

uint32_t u32_at(const Blob& b, uint64_t off, const std::string& name) {
  if (off > b.size() || b.size() - off < 4) fail(name, "truncated at offset {}", off);
  uint32_t v;
  b.pread(&v, 4, off);
  return v;
}

template <typename Msg>
Msg message_at(const Blob& b, uint64_t off, uint32_t len, const std::string& name) {
  if (len > kMaxEntrySize || off > b.size() || b.size() - off < len)
    fail(name, "entry of {} bytes at offset {} runs past the end of the file", len, off);
  std::string bytes(len, '\0');
  b.pread(bytes.data(), len, off);
  Msg m;
  if (!m.ParseFromString(bytes))
    fail(name, "entry at offset {} is not a valid {}", off, Msg::descriptor()->name());
  return m;
}

// The header, and where the content starts after it.
criu::ghost_file_entry header_at_start(const std::string& name, const Blob& b, uint64_t& pos) {
  pos = 0;
  uint32_t m = u32_at(b, pos, name);
  pos += 4;
  if (m == magic::kCommon) {
    m = u32_at(b, pos, name);
    pos += 4;
  }
  if (m != magic::kGhostFile)
    fail(name, "wrong magic 0x{:08x} (expected 0x{:08x})", m, magic::kGhostFile);
  uint32_t len = u32_at(b, pos, name);
  auto header = message_at<criu::ghost_file_entry>(b, pos + 4, len, name);
  pos += 4 + len;
  return header;
}

}  // namespace

criu::ghost_file_entry read_ghost_header(const std::string& name, const Blob& image) {
  uint64_t pos;
  return header_at_start(name, image, pos);
}

GhostFile read_ghost_file(const std::string& name, std::shared_ptr<const Blob> image) {
  const Blob& b = *image;
  uint64_t pos;
  GhostFile g;
  g.header = header_at_start(name, b, pos);
  if (!S_ISREG(g.header.mode())) return g;

  if (!g.header.chunks()) {
    g.content = std::make_shared<SliceBlob>(image, pos, b.size() - pos, name + " (content)");
    return g;
  }
  // The file's size is the header's; an image without one (it is optional)
  // ends where its last chunk does.
  if (g.header.has_size() && g.header.size() > kMaxFileSize)
    fail(name, "file size {} is larger than any file can be", g.header.size());
  const uint64_t limit = g.header.has_size() ? g.header.size() : kMaxFileSize;
  std::vector<SparseBlob::Piece> pieces;
  uint64_t size = g.header.has_size() ? g.header.size() : 0;
  while (pos < b.size()) {
    uint32_t clen = u32_at(b, pos, name);
    auto chunk = message_at<criu::ghost_chunk_entry>(b, pos + 4, clen, name);
    pos += 4 + clen;
    if (chunk.len() > b.size() - pos)
      fail(name, "chunk of {} bytes runs past the end of the file", chunk.len());
    if (chunk.off() > limit || chunk.len() > limit - chunk.off())
      fail(name, "chunk of {} bytes at offset {} lies past the end of the {}-byte file",
           chunk.len(), chunk.off(), limit);
    pieces.push_back({chunk.off(), chunk.len(), image, pos});
    size = std::max(size, chunk.off() + chunk.len());
    pos += chunk.len();
  }
  g.content = std::make_shared<SparseBlob>(size, std::move(pieces), name + " (content)");
  return g;
}

}  // namespace ckptfs
