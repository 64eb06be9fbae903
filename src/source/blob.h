#pragma once
// A Blob is a read-only byte range: a file, a member of a tar archive at its data
// offset, a region of the decompression cache, or bytes held in memory. Every
// layer above reads checkpoint bytes through this one interface.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace ckptfs {

class Blob {
 public:
  virtual ~Blob() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly len bytes at off; [off, off+len) must lie inside size().
  // Throws on I/O errors or a short read (a file truncated behind our back).
  virtual void pread(void* buf, size_t len, uint64_t off) const = 0;
  // Where the bytes come from, for error messages.
  virtual const std::string& origin() const = 0;

  // The whole blob as a string. Refuses blobs larger than limit: metadata images
  // are small, and only they are ever read whole.
  std::string read_all(uint64_t limit) const;
};

// An open file descriptor shared by every blob cut from one file. Opened on first
// use so that a directory with thousands of images does not hold thousands of fds.
class FileHandle {
 public:
  explicit FileHandle(std::string path) : path_(std::move(path)) {}
  FileHandle(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // A file seen at (dev, ino) when the checkpoint was opened: if another file
  // has been renamed over the path by the time it is first opened, every use
  // fails with an InputError saying so, instead of serving the newcomer.
  FileHandle(std::string path, uint64_t dev, uint64_t ino)
      : path_(std::move(path)), check_identity_(true), dev_(dev), ino_(ino) {}
  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int fd() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool check_identity_ = false;
  uint64_t dev_ = 0, ino_ = 0;
  mutable std::once_flag once_;
  mutable int fd_ = -1;
  mutable int open_errno_ = 0;
  mutable std::string replaced_;  // the error, when another file took the path
};

class FileBlob : public Blob {
 public:
  FileBlob(std::shared_ptr<FileHandle> file, uint64_t offset, uint64_t size, std::string origin)
      : file_(std::move(file)), offset_(offset), size_(size), origin_(std::move(origin)) {}
  uint64_t size() const override { return size_; }
  void pread(void* buf, size_t len, uint64_t off) const override;
  const std::string& origin() const override { return origin_; }
  // Where the bytes sit, so a tar stored in this range can be indexed in place.
  const std::shared_ptr<FileHandle>& file() const { return file_; }
  uint64_t offset() const { return offset_; }

 private:
  std::shared_ptr<FileHandle> file_;
  uint64_t offset_;
  uint64_t size_;
  std::string origin_;
};

class MemoryBlob : public Blob {
 public:
  MemoryBlob(std::string data, std::string origin)
      : data_(std::move(data)), origin_(std::move(origin)) {}
  uint64_t size() const override { return data_.size(); }
  void pread(void* buf, size_t len, uint64_t off) const override;
  const std::string& origin() const override { return origin_; }

 private:
  std::string data_;
  std::string origin_;
};

}  // namespace ckptfs
