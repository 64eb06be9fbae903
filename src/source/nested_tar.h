#pragma once
// A tar archive stored inside the checkpoint: rootfs-diff.tar,
// devshm-checkpoint.tar, tmpfs-dev-<dev>.tar.gz.img. Read once at mount,
// since the tree is built then and its members are only metadata.

#include "source/blob.h"
#include "source/tar_reader.h"

namespace ckptfs {

// Compression is sniffed, not taken from the name: containerd copies a
// gzip'ed layer blob into "rootfs-diff.tar". A plain tar whose bytes sit in a
// file (the checkpoint archive, the decompression cache, or a file of an image
// directory) is served in place; a compressed one is decompressed once into a
// cache file. Throws InputError naming tar.origin() for anything unreadable.
TarListing read_nested_tar(const Blob& tar, const TarReadOptions& options = {});

}  // namespace ckptfs
