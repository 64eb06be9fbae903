#pragma once
// The persisted decompression cache. A compressed archive is decompressed once
// into a cache file that also holds the member index; a later mount of the
// same, unchanged archive (same device, inode, size, mtime and sampled bytes)
// reads the index back instead of decompressing again.
//
// Sharing is safe without locks: a cache file is complete before it gets its
// name (O_TMPFILE, then link + rename), and removing one while another mount
// uses it only drops the name. Entries are evicted oldest-used first to keep
// the directory under its limit.

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "source/blob.h"
#include "source/source.h"
#include "source/tar_reader.h"

namespace ckptfs {

// $XDG_CACHE_HOME/ckptfs or $HOME/.cache/ckptfs; "" without either.
std::string default_cache_dir();

// The listing of a compressed tar (file, size bytes, st its stat), from the
// cache when it holds this archive, else by one streaming pass into a new
// cache file. Throws InputError for a broken archive or an exceeded limit.
// With settings.defer_save, a new entry is not saved but left in *save.
TarListing read_compressed_cached(const std::string& path, std::shared_ptr<FileHandle> file,
                                  const struct stat& st, TarReadOptions options,
                                  const CacheSettings& settings,
                                  std::function<void(const std::atomic<bool>&)>* save = nullptr);

}  // namespace ckptfs
