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
                                  const CacheSettings& settings, SaveCache* save = nullptr);

// Bytes [offset, offset + size) of a file (st its stat), and a tag that is part
// of their identity besides where they are: an OCI layer blob inside an
// oci-archive, tagged with its digest.
struct CachedRange {
  std::shared_ptr<FileHandle> file;
  struct stat st {};
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string tag;
};

// read_compressed_cached for a range. check runs after a decompressing pass
// and before its entry is saved: it throws to refuse what was read (an OCI
// layer whose digest does not match), so a refused pass is never cached. A
// hit runs no check: the entry was only saved once one had passed.
TarListing read_compressed_range_cached(const std::string& origin, const CachedRange& range,
                                        TarReadOptions options, const CacheSettings& settings,
                                        const std::function<void()>& check,
                                        SaveCache* save = nullptr);

// Whether the cache remembers a check that passed on this very range (an
// uncompressed OCI layer's digest, verified once by reading it whole), and
// remembering one: an entry with an empty listing, evicted like any other.
// Nothing is remembered unless settings.persist.
bool cache_remembers(const CachedRange& range, const CacheSettings& settings);
void cache_remember(const CachedRange& range, const CacheSettings& settings,
                    SaveCache* save = nullptr);

}  // namespace ckptfs
