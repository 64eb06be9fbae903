#include "confine/unmount_watcher.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace ckptfs {

void watch_for_dead_mount(const std::string& mountpoint) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("cannot create a pipe");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot fork the unmount watcher");
  if (pid > 0) {
    ::close(p[0]);  // p[1] stays open, never written, until the daemon ends
    return;
  }
  // The watcher: it must hold nothing of the daemon's, above all not
  // /dev/fuse (the connection would outlive the daemon), and ignore the
  // terminal's signals, which are the daemon's to act on.
  ::close(p[1]);
  int keep = ::dup2(p[0], 3) == 3 ? 3 : p[0];
  ::syscall(SYS_close_range, keep + 1, ~0U, 0);
  // Nor the terminal: a pipe the user's command reads would never end.
  if (int null = ::open("/dev/null", O_RDWR); null >= 0) {
    for (int fd : {0, 1, 2}) ::dup2(null, fd);
    if (null > 2 && null != keep) ::close(null);
  }
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(s, SIG_IGN);
  ::setsid();
  if (::chdir("/") != 0) ::_exit(1);
  char c;
  while (::read(keep, &c, 1) < 0 && errno == EINTR) {
  }
  // The daemon is ending. Unmount only a mount that is dead: not one the
  // user unmounted (and maybe mounted again) meanwhile. The pipe closes
  // before /dev/fuse may have: until the kernel ends the connection an open
  // still succeeds or fails otherwise, so look again for a while (this is
  // the race that makes fusermount3's own watcher miss a dead mount).
  for (int i = 0; i < 50; ++i) {
    int fd = ::open(mountpoint.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOTCONN) {
      ::execlp("fusermount3", "fusermount3", "-u", "-q", "-z", "--", mountpoint.c_str(), nullptr);
      ::_exit(1);
    }
    if (fd < 0 && errno != ECONNABORTED) ::_exit(0);
    if (fd >= 0) {
      // A plain directory again (unmounted by the user): nothing to do.
      struct statx stx {};
      bool root = ::statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx) == 0 &&
                  (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
      ::close(fd);
      if (!root) ::_exit(0);
    }
    ::usleep(100'000);
  }
  ::_exit(0);
}

}  // namespace ckptfs
