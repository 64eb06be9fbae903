#pragma once
// The parts of the tree around the processes: the engine's metadata files,
// /files (deleted files, pipe and socket data) and /net/sockets.

#include "model/checkpoint.h"
#include "vfs/tree.h"

namespace ckptfs {

void add_container_metadata(Tree& t, uint64_t container_dir, const Checkpoint& c);
void add_files_and_net(Tree& t, uint64_t top, const Checkpoint& c);

}  // namespace ckptfs
