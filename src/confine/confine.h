#pragma once
// The daemon's confinement, applied once the mount is up and the daemon has
// detached, before it serves a request: a parser bug in the checkpoint code
// must not be worth the analyst's machine. In order: a watcher for an ordinary
// user's mount, no_new_privs, Landlock (only the checkpoints,
// the cache and the temp directory), every capability and the bounding set
// dropped, and last a seccomp allow-list (anything else kills the process).

#include <string>
#include <vector>

namespace ckptfs {

struct Confinement {
  std::vector<std::string> readable;  // checkpoints: archives, image or collection directories
  std::vector<std::string> writable;  // the cache directory, the temp directory
  std::string mountpoint;             // the new mount: an ordinary user's gets a watcher
  // Image directories are read lazily, and engines write them with modes
  // such as drw------- (Podman's checkpoint/): root reads them only with
  // CAP_DAC_READ_SEARCH, which then stays (Landlock still bounds what it
  // may read to the checkpoints).
  bool keep_read_search = false;
};

// Throws std::runtime_error (one line) when a step the kernel offers fails.
// Returns what was done, a line per step, for -d.
std::vector<std::string> confine(const Confinement& c);

}  // namespace ckptfs
