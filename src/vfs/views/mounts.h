#pragma once
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {
// /containers/<name>/mounts: CRIU's mount list in /proc/<pid>/mountinfo form
//   mnt_id parent_id major:minor root mountpoint options [tags] - fstype source super_options
// (an external mount, whose content is not in the dump, is tagged
// "external:<ext_key>"), then a blank line, a "#" header and the OCI spec's
// mounts, one per line: destination type source options.
std::string render_mounts(const Checkpoint& c);
}  // namespace ckptfs
