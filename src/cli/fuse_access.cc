#include "cli/fuse_access.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace ckptfs {

namespace {

// Where libfuse looks for fusermount3: its install directory, then $PATH.
bool have_fusermount() {
  if (::access("/usr/bin/fusermount3", X_OK) == 0) return true;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && ::access((d + "/fusermount3").c_str(), X_OK) == 0) return true;
  return false;
}

// An uncommented user_allow_other line in /etc/fuse.conf.
bool user_allow_other() {
  std::ifstream in("/etc/fuse.conf");
  for (std::string line; std::getline(in, line);) {
    line.erase(0, line.find_first_not_of(" \t"));
    if (line.starts_with("user_allow_other")) return true;
  }
  return false;
}

std::string user_name(uid_t uid) {
  if (passwd* pw = ::getpwuid(uid)) return pw->pw_name;
  return "uid " + std::to_string(uid);
}

}  // namespace

void check_fuse_access(const std::string& mountpoint, const std::vector<std::string>& fuse_opts) {
  // Every mount goes through fusermount3 (auto_unmount needs it, root too).
  if (!have_fusermount())
    fail("fusermount3", "not found: install the fuse3 package (apt install fuse3)");
  if (::geteuid() == 0) return;
  int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENODEV)
      fail("/dev/fuse", "missing: load the fuse module (modprobe fuse) or install fuse3");
    fail("/dev/fuse",
         "cannot be opened by you ({}): an administrator can allow ordinary users "
         "with chmod 0666 /dev/fuse, as Debian's udev rules do",
         std::strerror(err));
  }
  ::close(fd);
  struct stat st {};
  if (::stat(mountpoint.c_str(), &st) == 0 && st.st_uid != ::getuid() &&
      ((st.st_mode & S_ISVTX) || ::access(mountpoint.c_str(), W_OK) != 0))
    fail(mountpoint,
         "mount point belongs to {}, not to you: mount on a directory of your own "
         "(mkdir ~/mnt)",
         user_name(st.st_uid));
  if (std::find(fuse_opts.begin(), fuse_opts.end(), "allow_other") != fuse_opts.end() &&
      !user_allow_other())
    fail("-o allow_other",
         "needs user_allow_other in /etc/fuse.conf (an administrator "
         "uncomments it there), or leave it out: the mount is then yours alone");
}

}  // namespace ckptfs
