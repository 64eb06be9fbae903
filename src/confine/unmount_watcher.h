#pragma once
// No dead mounts for ordinary users either. libfuse's auto_unmount relies on
// fusermount3 noticing the daemon's death, but the fusermount3 of libfuse
// 3.14 (Debian 12) then opens the mount as root, which a mount without
// allow_other refuses, and leaves it (fixed upstream in 3.15); and it looks
// once, as soon as the daemon's socket closes, which can be before the
// kernel has ended the FUSE connection. So the daemon forks a watcher of its
// own before it confines itself.

#include <string>

namespace ckptfs {

// Forks a small process, outside the confinement, that waits for this one to
// end (a pipe's write end closes), then, if the mount at mountpoint is dead
// (opening it fails with ENOTCONN), runs fusermount3 -u -z on it.
// Call after the mount is up, before any thread is started.
void watch_for_dead_mount(const std::string& mountpoint);

}  // namespace ckptfs
