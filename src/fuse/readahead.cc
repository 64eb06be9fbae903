#include "fuse/readahead.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ckptfs {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') octal = false;
        v = v * 8 + (c - '0');
      }
      if (octal) {
        o += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    o += s[i];
  }
  return o;
}

// "MAJ:MIN" of the last mount at path (the one just made), "" if none.
std::string device_of(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, found;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    if (!(f >> id >> parent >> dev >> root >> point)) continue;
    if (unescape_mountinfo(point) == path) found = dev;
  }
  return found;
}

}  // namespace

std::string widen_readahead(const std::string& mountpoint, unsigned kib) {
  // Only the parent is resolved: a stat of the mount point itself would wait
  // for the daemon, which is not serving yet.
  std::filesystem::path mp = std::filesystem::absolute(mountpoint).lexically_normal();
  if (!mp.has_filename()) mp = mp.parent_path();
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::canonical(mp.parent_path(), ec);
  std::string path = ec ? mp.string() : (parent / mp.filename()).string();
  std::string dev = device_of(path);
  if (dev.empty()) return fmt::format("{} is not in /proc/self/mountinfo", path);
  std::string knob = fmt::format("/sys/class/bdi/{}/read_ahead_kb", dev);
  int fd = ::open(knob.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("{}: {}", knob, std::strerror(errno));
  std::string v = std::to_string(kib);
  bool ok = ::write(fd, v.data(), v.size()) == static_cast<ssize_t>(v.size());
  int err = errno;
  ::close(fd);
  return ok ? std::string() : fmt::format("{}: {}", knob, std::strerror(err));
}

}  // namespace ckptfs
