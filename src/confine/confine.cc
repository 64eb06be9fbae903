#include "confine/confine.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "confine/capabilities.h"
#include "confine/landlock.h"
#include "confine/seccomp_filter.h"
#include "confine/unmount_watcher.h"

namespace ckptfs {

std::vector<std::string> confine(const Confinement& c) {
  std::vector<std::string> done;
  // libfuse's auto_unmount misses an ordinary user's mount: ours covers it.
  // (For root's it races the daemon's exit, see unmount_watcher.h; ours is
  // not used there, it would show as a second ckptfs process.)
  if (!c.mountpoint.empty() && ::geteuid() != 0) {
    watch_for_dead_mount(c.mountpoint);
    done.push_back("mount: a watcher unmounts it if the daemon dies");
  }
  // Nothing we exec (nothing: seccomp kills execve) could gain privileges;
  // Landlock and seccomp require it of an unprivileged caller.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error(std::string("no_new_privs: ") + std::strerror(errno));
  done.push_back("no_new_privs");
  std::vector<std::string> readable = c.readable;
#ifdef CKPTFS_SANITIZED
  // The sanitizers read /proc/<pid>/maps and task/ (the leak check at exit,
  // from a tracer process of its own pid). Test builds only.
  readable.push_back("/proc");
#endif
  int abi = restrict_filesystem(readable, c.writable);
  if (abi > 0)
    done.push_back("landlock ABI " + std::to_string(abi) +
                   ": only the checkpoints, the cache and the temp directory");
  else
    done.push_back("landlock: not offered by this kernel, files are not confined");
  if (drop_capabilities(c.keep_read_search))
    done.push_back(c.keep_read_search
                       ? "capabilities: all dropped but CAP_DAC_READ_SEARCH (image directories)"
                       : "capabilities: all dropped, bounding set too");
  load_seccomp_filter();
  done.push_back("seccomp: allow-list loaded, anything else kills the daemon");
  return done;
}

}  // namespace ckptfs
