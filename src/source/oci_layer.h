#pragma once
// One OCI layer blob as a tar listing, its digest checked (image-spec
// descriptor.md: a blob whose content does not match its digest must not be
// used).
//
// A compressed layer goes through the persisted decompression cache; its
// compressed bytes are hashed as the decompressor reads them (the one pass),
// and a layer that does not match fails the mount and leaves no cache entry.
// A later mount served from the cache does not hash again: the entry exists
// only because a pass matched, and it is keyed to the file's identity, the
// layer's place in it and its digest.
//
// An uncompressed layer is served in place (a byte range of the blob file or
// of the oci-archive), so nothing else would read it whole: it is hashed
// once, at its first mount, and the cache remembers that it matched (keyed
// like a decompressed entry, plus the file's ctime); with -o nocache every
// mount hashes it. Reading 1 GiB costs ~0.6 s of one core.

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <string>

#include "source/blob.h"
#include "source/oci_image.h"
#include "source/source.h"
#include "source/tar_reader.h"

namespace ckptfs {

// What the cache keys a layer to besides its digest and its place in the
// file that holds it: that file's stat, unless the layer sits in a file
// ckptfs made (an oci-archive that was itself compressed, decompressed into
// the cache, whose times change as the cache uses it): then the archive's.
struct LayerIdentity {
  const struct stat* archive = nullptr;  // nullptr: the blob's own file
};

// layer describes blob; its compression and verification are filled in.
// A cache entry still to save (CacheSettings::defer_save) is left in *save.
TarListing read_oci_layer(const Blob& blob, OciLayer& layer, const SourceLimits& limits,
                          const LayerIdentity& identity, SaveCache* save);

}  // namespace ckptfs
