#pragma once
// The file trees a checkpoint stores as tar archives, shown as directories:
//   containers/<name>/rootfs-diff/  rootfs-diff.tar: the files the container changed
//   containers/<name>/devshm/       devshm-checkpoint.tar: Podman's /dev/shm
//   files/tmpfs/<dev>/              checkpoint/tmpfs-dev-<dev>.tar.gz.img: CRIU's
//                                   dump of each tmpfs (criu-image-format.md §15)

#include <cstdint>

#include "model/checkpoint.h"
#include "vfs/tree.h"

namespace ckptfs {

// Each directory exists only when its archive does. The archives are indexed
// here, at mount; file data is read from them only when a file is read.
// Throws InputError naming the archive if one is unreadable.
void add_archived_trees(Tree& t, uint64_t top, uint64_t container_dir, const Checkpoint& c);

}  // namespace ckptfs
