#include "collection/being_written.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace ckptfs {

std::optional<bool> being_written(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<bool> out;
  if (::fcntl(fd, F_SETSIG, SIGURG) == 0) {
    if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
      ::fcntl(fd, F_SETLEASE, F_UNLCK);
      out = false;
    } else if (errno == EAGAIN || errno == EBUSY) {
      out = true;
    }
  }
  ::close(fd);
  return out;
}

}  // namespace ckptfs
