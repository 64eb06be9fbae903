#include "collection/dir_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace ckptfs {

DirWatcher::DirWatcher() {
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_ < 0) throw SystemError(std::string("inotify: ") + std::strerror(errno), errno);
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ < 0) {
    int err = errno;
    ::close(inotify_);
    throw SystemError(std::string("eventfd: ") + std::strerror(err), err);
  }
}

DirWatcher::~DirWatcher() {
  ::close(inotify_);
  ::close(wake_);
}

int DirWatcher::add(const std::string& dir) {
  // Files appear complete: written and closed, or renamed in. IN_CREATE and
  // IN_MODIFY say one is being written (and must not be shown yet).
  uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY |
                  IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW;
  int wd = ::inotify_add_watch(inotify_, dir.c_str(), mask);
  if (wd < 0) throw SystemError(dir + ": cannot watch: " + std::strerror(errno), errno);
  return wd;
}

std::vector<DirWatcher::Event> DirWatcher::wait(int timeout_ms) {
  std::vector<Event> out;
  pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_, POLLIN, 0}};
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000L};
  if (::ppoll(fds, 2, &ts, nullptr) <= 0) return out;
  if (fds[1].revents & POLLIN) {
    uint64_t n;
    [[maybe_unused]] ssize_t r = ::read(wake_, &n, sizeof n);
  }
  alignas(inotify_event) char buf[64 << 10];
  for (;;) {
    ssize_t n = ::read(inotify_, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: drained
    for (char* p = buf; p < buf + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      Event ev;
      ev.wd = e->wd;
      ev.mask = e->mask;
      if (e->len) ev.name = e->name;  // NUL-padded
      out.push_back(std::move(ev));
      p += sizeof(inotify_event) + e->len;
    }
  }
  return out;
}

void DirWatcher::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t r = ::write(wake_, &one, sizeof one);
}

}  // namespace ckptfs
