#include "source/cache_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "util/error.h"

namespace ckptfs {

namespace {
std::string default_dir() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}
}  // namespace

CacheFile::CacheFile(const std::string& dir) : dir_(dir.empty() ? default_dir() : dir) {
  // O_TMPFILE: never visible in the directory, so never left behind.
  int fd = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string tmpl = dir_ + "/ckptfs-cache-XXXXXX";
    fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) fail_errno(dir_, "cannot create the decompression cache file");
    ::unlink(tmpl.c_str());
  }
  handle_ = std::make_shared<FileHandle>(dir_ + "/(ckptfs cache)", fd);
}

uint64_t CacheFile::allocate(uint64_t size) {
  uint64_t off = end_;
  end_ += (size + 4095) & ~uint64_t{4095};
  // The file is as long as its regions, so holes in a sparse member read as zeros.
  if (::ftruncate(handle_->fd(), static_cast<off_t>(end_)) != 0)
    fail_errno(dir_, "cannot grow the decompression cache");
  return off;
}

void CacheFile::write(const void* data, size_t len, uint64_t off) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::pwrite(handle_->fd(), p, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(dir_, "cannot write the decompression cache");
    }
    p += n;
    off += static_cast<uint64_t>(n);
    len -= static_cast<size_t>(n);
  }
}

}  // namespace ckptfs
