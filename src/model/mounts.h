#pragma once
// The container's mounts, from both sides: what CRIU found in each mount
// namespace (mountpoints-<mntns>.img, criu-image-format.md §15) and what the
// OCI runtime spec asked for (spec.dump "mounts", container-archive-layout.md §4).

#include <string>
#include <vector>

#include "mnt.pb.h"
#include "model/checkpoint.h"

namespace ckptfs {

struct SpecMount {
  std::string destination, type, source;
  std::vector<std::string> options;
};

// True if the checkpoint has either list.
bool has_mount_info(const Checkpoint& c);

// Every mnt_entry of every mountpoints-<id>.img, parents before their
// children (as /proc/<pid>/mountinfo lists them), siblings by mount id.
// Throws InputError naming the image if one is corrupt.
std::vector<criu::mnt_entry> read_criu_mounts(const Checkpoint& c);

// spec.dump's "mounts" in spec order; empty when there is no spec or it is
// unreadable (metadata is advisory: it must not hide CRIU's list).
std::vector<SpecMount> read_spec_mounts(const Checkpoint& c);

}  // namespace ckptfs
