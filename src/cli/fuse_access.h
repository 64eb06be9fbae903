#pragma once
// Whether this user can mount at all, checked before anything is loaded: an
// ordinary user mounts through /dev/fuse and the setuid fusermount3, and
// each way that fails gets one line saying what is wrong and how to fix it
// (libfuse's own messages come two at a time and blame the mount point).

#include <string>
#include <vector>

namespace ckptfs {

// Throws InputError with that line. fuse_opts: the -o options for libfuse.
void check_fuse_access(const std::string& mountpoint, const std::vector<std::string>& fuse_opts);

}  // namespace ckptfs
