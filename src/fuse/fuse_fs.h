#pragma once
// The libfuse3 low-level adapter over a Tree. Holds no state of its own beyond
// the session: the tree is immutable, so inode numbers never change meaning.

#include <functional>
#include <string>
#include <vector>

#include "vfs/tree.h"

namespace ckptfs {

struct MountOptions {
  std::string mountpoint;
  std::string fsname;                  // shown in /proc/mounts
  std::vector<std::string> fuse_opts;  // passed through "-o"
  bool foreground = false;
  bool debug = false;
  // Run on a thread of the daemon once the mount is up (after detaching: a
  // thread started before would not survive the fork), joined before exit.
  std::vector<std::function<void()>> background;
};

// Mounts, detaches unless foreground (the parent exits only once the mount
// answers), serves until unmounted or signalled. Returns the exit status.
// Errors before detaching are printed as one line on stderr.
int mount_and_serve(const Tree& tree, const MountOptions& opts);

}  // namespace ckptfs
