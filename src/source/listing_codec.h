#pragma once
// A TarListing as bytes, for the persisted cache: every member with its data
// as a range of the cache file, as a ckptfs.cache.listing message
// (proto/cache_index.proto). Decoding trusts nothing (the cache directory is
// the user's, but a truncated, stale or tampered file must not crash a
// mount or serve bytes from outside the file).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "source/blob.h"
#include "source/tar_reader.h"

namespace ckptfs {

// Every member's data must be a FileBlob of `file` (or empty).
std::string encode_listing(const TarListing& listing, const FileHandle& file);

// nullopt when the bytes are not a well-formed listing whose ranges all lie
// within [0, file_size) of file, with every name normalised and given once.
std::optional<TarListing> decode_listing(std::string_view bytes, std::shared_ptr<FileHandle> file,
                                         uint64_t file_size, const std::string& origin);

// FNV-1a, 64 bits: cheap checksums and cache keys (not a defence against
// deliberate collisions; identities are compared in full).
uint64_t fnv1a(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ull);

}  // namespace ckptfs
