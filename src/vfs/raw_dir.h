#pragma once
// raw/: the checkpoint's CRIU image directory as it is. raw/<file> holds each
// file's exact bytes (read in place from the archive); raw/<file>.json the
// decoding of each image ckptfs knows (images/image_catalog.h), rendered on
// first read. For what no tool of ours interprets, and to check what we do.

#include <cstdint>

#include "model/checkpoint.h"
#include "vfs/tree.h"

namespace ckptfs {

// Adds top/raw. The checkpoint must outlive the tree.
void add_raw_dir(Tree& t, uint64_t top, const Checkpoint& c);

}  // namespace ckptfs
