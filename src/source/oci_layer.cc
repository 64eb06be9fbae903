#include "source/oci_layer.h"

#include <sys/stat.h>

#include <algorithm>

#include "source/archive_cache.h"
#include "source/sha256.h"
#include "util/error.h"

namespace ckptfs {

namespace {

[[noreturn]] void mismatch(const Blob& blob, const std::string& got) {
  fail(blob.origin(), "content does not match its digest (its sha256 is {})", got);
}

std::string whole_hash(const Blob& blob, const SourceLimits& limits) {
  Sha256 h;
  sha256_update_from(h, blob, 0, limits.progress);
  return h.hex();
}

CachedRange range_of(const FileBlob& blob, const std::string& digest, const LayerIdentity& id) {
  CachedRange r;
  r.file = blob.file();
  if (id.archive)
    r.st = *id.archive;
  else if (::fstat(r.file->fd(), &r.st) != 0)
    fail_errno(blob.origin(), "cannot stat");
  r.offset = blob.offset();
  r.size = blob.size();
  r.tag = digest;
  return r;
}

TarReadOptions options_for(const Blob& blob, const SourceLimits& limits, const char* kind) {
  TarReadOptions o;
  o.max_members = limits.max_members;
  o.cache_dir = limits.cache.dir;
  o.cache_limit = limits.cache.max_bytes;
  o.kind = kind;
  o.progress = limits.progress;
  return o;
}

TarListing compressed(const Blob& blob, OciLayer& layer, Packing packing,
                      const SourceLimits& limits, const LayerIdentity& id, SaveCache* save) {
  const std::string want = layer.blob.digest.substr(7);
  TarReadOptions o = options_for(blob, limits, packing_name(packing));
  Sha256 h;
  uint64_t seen = 0;
  o.observe_input = [&](const char* p, size_t n) {
    h.update(p, n);
    seen += n;
  };
  bool checked = false;
  // The tar may end before the compressed stream does (padding, a trailer):
  // what the pass did not read is hashed here, so every byte is covered.
  auto check = [&] {
    checked = true;
    sha256_update_from(h, blob, seen);
    std::string got = h.hex();
    if (got != want) mismatch(blob, got);
  };
  const auto* file = dynamic_cast<const FileBlob*>(&blob);
  try {
    TarListing listing;
    if (file) {
      listing = read_compressed_range_cached(blob.origin(), range_of(*file, layer.blob.digest, id),
                                             std::move(o), limits.cache, check, save);
    } else {
      listing = read_tar_streamed(blob.origin(), blob, o);
      check();
    }
    // No pass, no check: a cache hit, saved only after its pass had matched.
    layer.verification = checked ? "sha256 checked while decompressing"
                                 : "sha256 checked when first decompressed (served from the cache)";
    return listing;
  } catch (const InputError&) {
    // A tampered layer usually breaks its compression first: say what is
    // wrong with it rather than what the decompressor tripped over.
    if (!checked) {
      std::string got = whole_hash(blob, limits);
      if (got != want) mismatch(blob, got);
    }
    throw;
  }
}

TarListing uncompressed(const Blob& blob, OciLayer& layer, const SourceLimits& limits,
                        const LayerIdentity& id, SaveCache* save) {
  const auto* file = dynamic_cast<const FileBlob*>(&blob);
  if (file) {
    CachedRange range = range_of(*file, layer.blob.digest, id);
    if (cache_remembers(range, limits.cache)) {
      layer.verification = "sha256 checked at an earlier mount (remembered by the cache)";
    } else {
      std::string got = whole_hash(blob, limits);
      if (got != layer.blob.digest.substr(7)) mismatch(blob, got);
      layer.verification = "sha256 checked at mount";
      cache_remember(range, limits.cache, save);
    }
    return read_tar_in_place(blob.origin(), file->file(), file->offset(), blob.size(),
                             options_for(blob, limits, "tar"));
  }
  // Only an empty member is held in memory.
  std::string got = whole_hash(blob, limits);
  if (got != layer.blob.digest.substr(7)) mismatch(blob, got);
  layer.verification = "sha256 checked at mount";
  return read_tar_streamed(blob.origin(), blob, options_for(blob, limits, "tar"));
}

}  // namespace

TarListing read_oci_layer(const Blob& blob, OciLayer& layer, const SourceLimits& limits,
                          const LayerIdentity& id, SaveCache* save) {
  char head[8];
  size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof head, blob.size()));
  blob.pread(head, n, 0);
  if (auto packing = compression_of({head, n})) {
    std::string name = packing_name(*packing);  // "tar+zstd"
    layer.compression = name.substr(name.find('+') + 1);
    return compressed(blob, layer, *packing, limits, id, save);
  }
  layer.compression = "none";
  return uncompressed(blob, layer, limits, id, save);
}

}  // namespace ckptfs
