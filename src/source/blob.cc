#include "source/blob.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace ckptfs {

std::string Blob::read_all(uint64_t limit) const {
  if (size() > limit)
    fail(origin(), "{} bytes is more than the {} bytes allowed here", size(), limit);
  std::string s(size(), '\0');
  if (!s.empty()) pread(s.data(), s.size(), 0);
  return s;
}

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

int FileHandle::fd() const {
  std::call_once(once_, [this] {
    if (fd_ >= 0) return;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0) {
      open_errno_ = errno;
      return;
    }
    struct stat st {};
    if (!check_identity_ || ::fstat(fd_, &st) != 0) return;
    if (static_cast<uint64_t>(st.st_dev) != dev_ || static_cast<uint64_t>(st.st_ino) != ino_) {
      replaced_ = fmt::format(
          "{}: replaced since the checkpoint was opened (now inode {} on device {:#x}, was "
          "inode {} on device {:#x}): not served",
          path_, st.st_ino, st.st_dev, ino_, dev_);
      ::close(fd_);
      fd_ = -1;
    }
  });
  if (fd_ < 0) {
    if (!replaced_.empty()) throw InputError(replaced_);
    errno = open_errno_;
    fail_errno(path_, "cannot open");
  }
  return fd_;
}

void FileBlob::pread(void* buf, size_t len, uint64_t off) const {
  if (off > size_ || len > size_ - off)
    fail(origin_, "read of {} bytes at {} is past the end ({})", len, off, size_);
  int fd = file_->fd();
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    ssize_t n = ::pread(fd, p, len, static_cast<off_t>(offset_ + off));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(origin_, "read failed");
    }
    if (n == 0) fail(origin_, "file is shorter than recorded (truncated while mounted?)");
    p += n;
    off += static_cast<uint64_t>(n);
    len -= static_cast<size_t>(n);
  }
}

void MemoryBlob::pread(void* buf, size_t len, uint64_t off) const {
  if (off > data_.size() || len > data_.size() - off) fail(origin_, "read past the end");
  std::memcpy(buf, data_.data() + off, len);
}

}  // namespace ckptfs
