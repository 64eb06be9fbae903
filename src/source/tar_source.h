#pragma once
#include <sys/stat.h>

#include <memory>
#include <string>

#include "source/source.h"

namespace ckptfs {
// One pass over a tar archive. Plain tar: members are served in place at their
// data offsets (nothing copied). Compressed: every member is decompressed once
// into a cache file (persisted when limits.cache says so) and served from there.
std::unique_ptr<Source> open_tar(const std::string& path, std::shared_ptr<FileHandle> file,
                                 const struct stat& st, Packing packing,
                                 const SourceLimits& limits);
}  // namespace ckptfs
