#include "confine/nosymfollow.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace ckptfs {

namespace {

// From linux/mount.h (Linux 5.12), which Debian 12's glibc headers clash with.
struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
constexpr uint64_t kMountAttrNosymfollow = 0x00200000;
#ifndef SYS_mount_setattr
constexpr long SYS_mount_setattr = 442;
#endif

}  // namespace

bool set_nosymfollow(const std::string& mountpoint) {
  MountAttr attr{};
  attr.attr_set = kMountAttrNosymfollow;
  // No AT_RECURSIVE: only our mount. The path names the mount's root, which
  // answers with our root inode: nothing of the checkpoint is looked up.
  return ::syscall(SYS_mount_setattr, AT_FDCWD, mountpoint.c_str(), 0, &attr, sizeof attr) == 0;
}

}  // namespace ckptfs
