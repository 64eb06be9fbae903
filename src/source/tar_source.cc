#include "source/tar_source.h"

#include "source/archive_cache.h"
#include "source/tar_reader.h"

namespace ckptfs {

std::unique_ptr<Source> open_tar(const std::string& path, std::shared_ptr<FileHandle> file,
                                 const struct stat& st, Packing packing,
                                 const SourceLimits& limits) {
  auto src = std::make_unique<Source>();
  src->path = path;
  src->packing = packing;
  src->input_size = static_cast<uint64_t>(st.st_size);
  TarReadOptions o;
  o.max_members = limits.max_members;
  o.cache_dir = limits.cache.dir;  // a plain tar's sparse members
  o.cache_limit = limits.cache.max_bytes;
  o.kind = packing_name(packing);
  o.progress = limits.progress;
  TarListing listing = packing == Packing::Tar
                           ? read_tar_in_place(path, std::move(file), 0, src->input_size, o)
                           : read_compressed_cached(path, std::move(file), st, std::move(o),
                                                    limits.cache, &src->save_cache);
  src->members = std::move(listing.members);
  return src;
}

}  // namespace ckptfs
