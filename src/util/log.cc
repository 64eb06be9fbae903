#include "util/log.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "util/error.h"

namespace ckptfs {

namespace {

// One write(2) per line: lines from several threads never interleave.
void write_line(int fd, std::string_view prefix, std::string_view line) {
  std::string s = fmt::format("{}{}\n", prefix, line);
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to say it
    p += n;
    left -= static_cast<size_t>(n);
  }
}

class FileLog {
 public:
  explicit FileLog(int fd) : fd_(fd) {}
  ~FileLog() { ::close(fd_); }
  FileLog(const FileLog&) = delete;
  FileLog& operator=(const FileLog&) = delete;
  void operator()(std::string_view line) const {
    auto now = std::chrono::system_clock::now();
    write_line(fd_,
               fmt::format("{:%Y-%m-%dT%H:%M:%S} ckptfs[{}]: ",
                           std::chrono::floor<std::chrono::seconds>(now), ::getpid()),
               line);
  }

 private:
  int fd_;
};

}  // namespace

LogSink stderr_log() {
  return [](std::string_view line) { write_line(2, "ckptfs: ", line); };
}

LogSink syslog_log() {
  static std::once_flag once;
  std::call_once(once, [] { ::openlog("ckptfs", LOG_PID | LOG_NDELAY, LOG_DAEMON); });
  return [](std::string_view line) {
    ::syslog(LOG_ERR, "%.*s", static_cast<int>(line.size()), line.data());
  };
}

LogSink file_log(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) fail_errno(path, "cannot open the log file");
  auto log = std::make_shared<FileLog>(fd);
  return [log](std::string_view line) { (*log)(line); };
}

}  // namespace ckptfs
