#pragma once
// Where the daemon's messages go once it serves: problems found in one file
// ("EIO, logged once"), a collection's archive that failed to open. The CLI
// picks the sink (the terminal in the foreground, syslog or -o log=FILE once
// detached) and hands it down; nothing below the CLI knows which it is.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ckptfs {

// One line per call, without its newline. Safe to call from any thread.
using LogSink = std::function<void(std::string_view line)>;

LogSink stderr_log();
// syslog(3), facility daemon, ident "ckptfs" with the pid.
LogSink syslog_log();
// Appends to a file opened now (before the daemon confines itself), each
// line stamped with the time. Throws SystemError when it cannot be opened.
LogSink file_log(const std::string& path);

}  // namespace ckptfs
