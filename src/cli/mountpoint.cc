#include "cli/mountpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

namespace ckptfs {

void check_mountpoint(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_TYPE, &stx) != 0)
    fail(path, "mount point does not exist");
  if (!S_ISDIR(stx.stx_mode)) fail(path, "mount point is not a directory");
  if (::access(path.c_str(), W_OK) != 0 && ::getuid() != 0)
    fail(path, "mount point is not writable by you");
  // The kernel says whether path is the root of a mount: no mountinfo to
  // parse, no escaping of spaces to get wrong.
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
      (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    fail(path, "something is already mounted there (unmount it first)");
}

}  // namespace ckptfs
