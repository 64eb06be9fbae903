#pragma once
// The file a compressed archive is decompressed into. Created unlinked
// (O_TMPFILE), so a failed or interrupted mount leaves nothing behind; the
// persisted cache (archive_cache.h) links a finished one into its directory.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "source/blob.h"

namespace ckptfs {

class CacheFile {
 public:
  // origin: the archive cached, for messages. dir: where ("" = $TMPDIR or
  // /tmp). limit: most bytes the file may grow to (0 = half the free space in
  // dir); an archive that expands to more fails instead of filling the disk.
  // reserve: bytes kept free at the start (the persisted cache's header).
  CacheFile(std::string origin, const std::string& dir, uint64_t limit, uint64_t reserve = 0);
  // Reserves a page-aligned region for a member of the given size.
  uint64_t allocate(uint64_t size);
  void write(const void* data, size_t len, uint64_t off);
  // Writes at the end, unaligned (a stream of text), under the same limit.
  void append(const void* data, size_t len);
  std::shared_ptr<FileHandle> handle() const { return handle_; }
  const std::string& dir() const { return dir_; }
  uint64_t end() const { return end_; }
  uint64_t limit() const { return limit_; }
  // True when the file is unnamed (O_TMPFILE) and can be linked by link_as().
  bool unnamed() const { return unnamed_; }
  // For a file that will be linked: starts writing data back to disk every
  // few MiB as it is written, so that link_as() does not wait for all of it.
  void write_back_early() { write_back_early_ = true; }
  // Gives the finished file a name in dir (atomically replacing any file
  // there), once its data is on disk: after a crash, an entry under that
  // name never holds pages that were not written. Waits for the disk a few
  // MiB at a time, and gives up (SystemError, no name) once stopping is true.
  void link_as(const std::string& name, const std::atomic<bool>& stopping);

 private:
  std::string origin_;
  std::string dir_;
  std::shared_ptr<FileHandle> handle_;
  uint64_t end_ = 0;
  uint64_t limit_;
  bool unnamed_ = true;
  bool write_back_early_ = false;
  uint64_t unflushed_ = 0;  // bytes written since writeback last started
};

}  // namespace ckptfs
