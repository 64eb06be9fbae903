#pragma once
// inotify over the directories of a collection, and an eventfd that wakes
// whoever waits on it. System calls: inotify_init1, inotify_add_watch and
// eventfd2 when made (before the daemon confines itself); then only
// ppoll, read and write on these two descriptors.

#include <cstdint>
#include <string>
#include <vector>

namespace ckptfs {

class DirWatcher {
 public:
  struct Event {
    int wd = -1;
    uint32_t mask = 0;  // IN_*
    std::string name;   // "" for events on the directory itself
  };

  // Throws SystemError when inotify or eventfd is unavailable.
  DirWatcher();
  ~DirWatcher();
  DirWatcher(const DirWatcher&) = delete;
  DirWatcher& operator=(const DirWatcher&) = delete;

  // Watches dir's entries being written, renamed in and out, and removed;
  // returns the watch descriptor. Throws SystemError.
  int add(const std::string& dir);
  // Waits up to timeout_ms for events or a wake(), and returns the events
  // (none after a timeout or a mere wake).
  std::vector<Event> wait(int timeout_ms);
  // Makes a wait() return now. Safe from any thread.
  void wake();

 private:
  int inotify_ = -1;
  int wake_ = -1;
};

}  // namespace ckptfs
