#pragma once
// `zstd -dc | tar -x` inside one process. A thread decompresses the archive
// (libarchive's filters over a raw stream) into a few MiB of buffers, while
// the caller's libarchive reads the tar from them and copies members into the
// cache: decompression and the cache's writes run on two cores, not one.

#include <archive.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "source/blob.h"

namespace ckptfs {

class DecompressThread {
 public:
  // archive must outlive this object. progress (compressed bytes read, archive
  // size) and observe (each chunk of compressed bytes, in order, as the
  // decompressor reads it: an OCI layer's digest is checked in the same pass)
  // are called on the decompressing thread.
  DecompressThread(const Blob& archive, std::function<void(uint64_t, uint64_t)> progress,
                   std::function<void(const char*, size_t)> observe = {});
  ~DecompressThread();  // stops the thread, wherever the reader is
  DecompressThread(const DecompressThread&) = delete;
  DecompressThread& operator=(const DecompressThread&) = delete;

  // libarchive's read callback over the decompressed bytes (client = this).
  // A decompression error reaches the reader as an archive error.
  static la_ssize_t read(archive* a, void* client, const void** out);

 private:
  void run();
  void finish(std::string error);

  const Blob& archive_;
  std::function<void(uint64_t, uint64_t)> progress_;
  std::function<void(const char*, size_t)> observe_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::vector<char>> full_;   // decompressed, not yet read
  std::vector<std::vector<char>> free_;  // buffers to reuse
  std::vector<char> current_;            // what the reader holds now
  bool done_ = false;                    // no more buffers will come
  bool stop_ = false;                    // the reader is gone
  std::string error_;
  std::thread thread_;
};

}  // namespace ckptfs
