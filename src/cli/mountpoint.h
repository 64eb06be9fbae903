#pragma once

#include <string>

namespace ckptfs {

// Throws InputError (one line naming the path) when path cannot be mounted
// on: missing, not a directory, not writable by an unprivileged caller, or
// already a mount point.
void check_mountpoint(const std::string& path);

}  // namespace ckptfs
