#pragma once
// No symlink in the mount leads out of it (the tree shows /proc-style links
// such as procs/<pid>/cwd or root, and the archived files' own links).

#include <string>

namespace ckptfs {

// Sets MOUNT_ATTR_NOSYMFOLLOW on the mount at mountpoint (mount_setattr(2)):
// following any link in it then fails with ELOOP, readlink still answers.
// Needs CAP_SYS_ADMIN; returns false (errno set) when refused.
bool set_nosymfollow(const std::string& mountpoint);

}  // namespace ckptfs
