#pragma once
#include <memory>
#include <string>

#include "source/source.h"

namespace ckptfs {
// One pass over a tar archive. Plain tar: members are served in place at their
// data offsets (nothing copied). Compressed: every member is decompressed once
// into a private cache file and served from there.
std::unique_ptr<Source> open_tar(const std::string& path, std::shared_ptr<FileHandle> file,
                                 uint64_t size, Packing packing, const SourceLimits& limits);
}  // namespace ckptfs
