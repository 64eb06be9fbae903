#include "source/cache_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"
#include "util/human_size.h"

namespace ckptfs {

namespace {

constexpr uint64_t kWriteBackEvery = uint64_t{32} << 20;

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}

// Half the space free on dir's filesystem.
uint64_t default_limit(const std::string& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return uint64_t{1} << 30;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize / 2;
}

}  // namespace

CacheFile::CacheFile(std::string origin, const std::string& dir, uint64_t limit, uint64_t reserve)
    : origin_(std::move(origin)),
      dir_(dir.empty() ? temp_dir() : dir),
      end_(reserve),
      limit_(limit ? limit : default_limit(dir_)) {
  int fd = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    std::string tmpl = dir_ + "/.ckptfs-cache-XXXXXX";
    fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) fail_errno(dir_, "cannot create the decompression cache file");
    ::unlink(tmpl.c_str());
    unnamed_ = false;
  }
  handle_ = std::make_shared<FileHandle>(dir_ + "/(ckptfs cache)", fd);
}

uint64_t CacheFile::allocate(uint64_t size) {
  uint64_t off = end_;
  uint64_t rounded = (size + 4095) & ~uint64_t{4095};
  if (rounded < size || rounded > limit_ || end_ > limit_ - rounded)
    fail(origin_,
         "decompressed, the archive holds more than the cache may use ({}; raise it with -o "
         "cache_max=SIZE or free space in {})",
         human_size(limit_), dir_);
  end_ += rounded;
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
    unflushed_ += static_cast<uint64_t>(n);
  }
  if (write_back_early_ && unflushed_ >= kWriteBackEvery) {
    // Asynchronous: the disk writes while the archive is still decompressing.
    ::sync_file_range(handle_->fd(), 0, 0, SYNC_FILE_RANGE_WRITE);
    unflushed_ = 0;
  }
}

void CacheFile::append(const void* data, size_t len) {
  if (len > limit_ || end_ > limit_ - len)
    fail(origin_, "more than the {} the cache may use in {}", human_size(limit_), dir_);
  write(data, len, end_);
  end_ += len;
}

void CacheFile::link_as(const std::string& name, const std::atomic<bool>& stopping) {
  // fdatasync cannot be interrupted: wait for the data in steps first, so an
  // unmount that sets stopping is not held up by GiBs still in flight.
  for (uint64_t off = 0; off < end_; off += kWriteBackEvery) {
    if (stopping) throw SystemError(dir_ + ": the cache file was not saved (unmounted first)", 0);
    ::sync_file_range(
        handle_->fd(), static_cast<off_t>(off), static_cast<off_t>(kWriteBackEvery),
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  }
  if (stopping) throw SystemError(dir_ + ": the cache file was not saved (unmounted first)", 0);
  if (::fdatasync(handle_->fd()) != 0) fail_errno(dir_, "cannot save the cache file");
  // linkat() cannot replace a file: link under a private name, then rename.
  std::string tmp = fmt::format("{}/.{}.{}", dir_, name, ::getpid());
  std::string proc = fmt::format("/proc/self/fd/{}", handle_->fd());
  ::unlink(tmp.c_str());
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0)
    fail_errno(tmp, "cannot save the cache file");
  if (::rename(tmp.c_str(), (dir_ + "/" + name).c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    fail_errno(dir_ + "/" + name, "cannot save the cache file");
  }
}

}  // namespace ckptfs
