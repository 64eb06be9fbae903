#pragma once
// An OCI checkpoint image looked at as far as a collection's table needs, the
// way peek.h looks at an archive: its index, manifests and configurations are
// read (digests checked, as at a mount), then the first members of each
// image's layers are peeked, decompressed only as far as the options want,
// into memory that is dropped at once. The layer's digest is not checked
// here: that costs a pass over the whole layer and is the mount's job.

#include <string>
#include <vector>

#include "source/oci_image.h"
#include "source/peek.h"

namespace ckptfs {

struct OciPeek {
  OciImage image;
  Peek layer;  // of the image's layer holding the checkpoint
};

// path: an image layout directory, or an archive whose listing (peeked)
// holds one. Images carrying a checkpoint engine's annotations win over
// those without, as at a mount; images with no layer holding a checkpoint
// are left out. Throws InputError naming the file when the layout is broken
// or holds no checkpoint.
std::vector<OciPeek> peek_oci(const std::string& path, Packing packing, const PeekOptions& options);

}  // namespace ckptfs
