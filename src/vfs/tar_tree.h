#pragma once
// A TarListing shown as a read-only directory tree: rootfs-diff/, devshm/,
// files/tmpfs/<dev>/.

#include "source/tar_reader.h"
#include "vfs/tree.h"

namespace ckptfs {

// Adds every member under dir (a directory just created for the archive) with
// the mode and mtime the archive recorded. Directories that only member paths
// imply are created 0755, as extracting would. Symlinks keep their target text
// and are never followed, so a member below a symlink or a file is left out,
// as is a member whose name has a component longer than NAME_MAX.
void graft_tar(Tree& t, uint64_t dir, const TarListing& listing);

}  // namespace ckptfs
