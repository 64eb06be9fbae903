#include "source/tar_source.h"

#include "source/tar_reader.h"

namespace ckptfs {

std::unique_ptr<Source> open_tar(const std::string& path, std::shared_ptr<FileHandle> file,
                                 uint64_t size, Packing packing, const SourceLimits& limits) {
  auto src = std::make_unique<Source>();
  src->path = path;
  src->packing = packing;
  src->input_size = size;
  TarReadOptions o{.max_members = limits.max_members,
                   .cache_dir = limits.cache_dir,
                   .kind = packing_name(packing)};
  TarListing listing = packing == Packing::Tar
                           ? read_tar_in_place(path, std::move(file), 0, size, o)
                           : read_tar_streamed(path, FileBlob(file, 0, size, path), o);
  src->members = std::move(listing.members);
  return src;
}

}  // namespace ckptfs
