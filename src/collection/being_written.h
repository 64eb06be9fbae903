#pragma once
// Whether some process has a file open for writing right now: a file found
// without its inotify events (at mount, or after the kernel dropped events)
// may be an archive still being written, which must not be shown.

#include <optional>
#include <string>

namespace ckptfs {

// true or false; nullopt when the system will not say (not the file's owner
// without CAP_LEASE, leases disabled, not a regular file).
//
// How: a read lease (fcntl F_SETLEASE, F_RDLCK) is refused with EAGAIN while
// the file is open for writing anywhere; it is released at once. A writer
// opening the file meanwhile would break it with a signal: F_SETSIG makes
// that SIGURG, which a process ignores by default, instead of SIGIO, which
// would end it.
std::optional<bool> being_written(const std::string& path);

}  // namespace ckptfs
