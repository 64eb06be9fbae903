#pragma once
// A real mount for a test: runs `ckptfs -f CHECKPOINT… MOUNTPOINT` in the
// background, waits until the mount answers, and always unmounts.

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/paths.h"

namespace ckptfs::test {

class Mount {
 public:
  // Throws (failing the test) if the mount does not come up within 30 s.
  explicit Mount(const std::vector<std::string>& checkpoints,
                 const std::vector<std::string>& extra_args = {});
  explicit Mount(const std::string& checkpoint) : Mount(std::vector<std::string>{checkpoint}) {}
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  const std::string& path() const { return dir_.path(); }
  std::string operator/(const std::string& rel) const { return dir_.path() + "/" + rel; }
  // Unmounts now; true if fusermount3 succeeded and the daemon exited 0.
  bool unmount();
  // The daemon's stderr, once unmounted.
  const std::string& log() const { return log_; }
  // What the daemon has written to stderr so far (-d: every request).
  std::string log_so_far() const;
  // The daemon (ckptfs -f does not fork): its /proc entry shows what it holds.
  pid_t pid() const { return pid_; }

 private:
  TempDir dir_;
  TempDir logdir_;
  pid_t pid_ = -1;
  bool mounted_ = false;
  std::string log_;
};

// True if path is the root of a mount right now.
bool is_mounted(const std::string& path);

// Waits (up to 60 s) until the daemon has saved a persisted cache entry in
// dir: it saves after mounting, and gives the save up when unmounted first.
bool wait_for_cache_entry(const std::string& dir);

}  // namespace ckptfs::test
