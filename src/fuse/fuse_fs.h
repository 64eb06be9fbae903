#pragma once
// The libfuse3 low-level adapter over an InodeSpace, and the daemon's life:
// mount, detach, confine, serve, unmount.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "util/log.h"
#include "vfs/inode_space.h"

namespace ckptfs {

struct MountOptions {
  std::string mountpoint;
  std::string fsname;                  // shown in /proc/mounts
  std::vector<std::string> fuse_opts;  // FUSE's and the kernel's, passed through "-o"
  bool foreground = false;
  bool debug = false;          // libfuse prints every request (implies foreground)
  bool single_thread = false;  // -s
  // Where problems found while serving go, once the daemon has detached (in
  // the foreground they go to stderr).
  LogSink log;
  // In the daemon, after mounting and detaching, before the first request is
  // served and before any thread is started: confinement. Throws to abort.
  std::function<void()> before_serving;
  // Before that: makes the new mount refuse to follow links (nosymfollow);
  // false when it cannot, and the tree then contains them itself.
  std::function<bool()> refuse_following_links;
  // Whether the daemon unmounts when signalled; a confined one may not, and
  // leaves it to fusermount3's auto_unmount watcher, which unmounts once the
  // daemon has exited.
  bool unmount_on_exit = true;
  // Run on a thread of the daemon once it serves (after detaching: a thread
  // started before would not survive the fork), joined before exit; each
  // gets a flag that turns true when the daemon is stopping.
  std::vector<std::function<void(const std::atomic<bool>& stopping)>> background;
};

// The options as libfuse will take them: unknown or malformed ones throw
// InputError with one line, before anything is loaded or mounted.
void check_fuse_options(const MountOptions& opts);

// Mounts, detaches unless in the foreground (the parent exits only once the
// mount answers, with status 0, or 1 after the child printed why not),
// serves until unmounted or signalled. Returns the exit status.
int mount_and_serve(InodeSpace& space, const MountOptions& opts);

}  // namespace ckptfs
