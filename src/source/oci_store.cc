#include "source/oci_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.h"

namespace ckptfs {

namespace {

class DirectoryStore : public OciStore {
 public:
  DirectoryStore(std::string path, int dirfd) : path_(std::move(path)), dirfd_(dirfd) {}
  ~DirectoryStore() override { ::close(dirfd_); }

  // One component at a time, never following a symlink, never "..": rel is
  // built from checked digests, but the layout's own directories (blobs/,
  // sha256/) could be symlinks out of it. O_NONBLOCK so a FIFO planted as a
  // blob does not hang the mount; it is refused below as not a regular file.
  std::shared_ptr<const Blob> file(const std::string& rel) const override {
    std::string name = shown(rel);
    int fd = ::dup(dirfd_);
    if (fd < 0) fail_errno(name, "cannot open");
    size_t i = 0;
    while (true) {
      size_t j = rel.find('/', i);
      bool last = j == std::string::npos;
      std::string part = rel.substr(i, last ? std::string::npos : j - i);
      if (part.empty() || part == "." || part == "..") {
        ::close(fd);
        fail(name, "not a path inside the image layout");
      }
      int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (last ? 0 : O_DIRECTORY);
      int next = ::openat(fd, part.c_str(), flags);
      int err = errno;
      ::close(fd);
      if (next < 0) {
        if (err == ENOENT) return nullptr;
        if (err == ELOOP || err == ENOTDIR)
          fail(name,
               "is a symlink or lies behind one (refused: only files inside the image layout "
               "are read)");
        errno = err;
        fail_errno(name, "cannot open");
      }
      fd = next;
      if (last) break;
      i = j + 1;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      fail(name, "is not a regular file");
    }
    ::fcntl(fd, F_SETFL, 0);
    auto handle = std::make_shared<FileHandle>(name, fd);
    return std::make_shared<FileBlob>(handle, 0, static_cast<uint64_t>(st.st_size), name);
  }
  const std::string& origin() const override { return path_; }
  std::string shown(const std::string& rel) const override { return path_ + "/" + rel; }
  const char* kind() const override { return "OCI image layout directory"; }

 private:
  std::string path_;
  int dirfd_;
};

class ArchiveStore : public OciStore {
 public:
  ArchiveStore(std::string path, const std::map<std::string, Member>& members)
      : path_(std::move(path)), members_(members) {}

  std::shared_ptr<const Blob> file(const std::string& rel) const override {
    auto it = members_.find(rel);
    if (it == members_.end()) return nullptr;
    if (it->second.type != MemberType::File || !it->second.blob)
      fail(shown(rel), "is not a regular file (refused: blobs are read only as members)");
    return it->second.blob;
  }
  const std::string& origin() const override { return path_; }
  std::string shown(const std::string& rel) const override { return path_ + ":" + rel; }
  const char* kind() const override { return "OCI archive"; }

 private:
  std::string path_;
  const std::map<std::string, Member>& members_;
};

}  // namespace

std::unique_ptr<OciStore> oci_directory_store(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno(path, "cannot open the image layout");
  return std::make_unique<DirectoryStore>(path, fd);
}

std::unique_ptr<OciStore> oci_archive_store(const std::string& path,
                                            const std::map<std::string, Member>& members) {
  return std::make_unique<ArchiveStore>(path, members);
}

bool is_oci_layout_dir(const std::string& path) {
  struct stat st {};
  return ::fstatat(AT_FDCWD, (path + "/oci-layout").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         !S_ISDIR(st.st_mode);
}

bool is_oci_layout_listing(const std::map<std::string, Member>& members) {
  auto it = members.find("oci-layout");
  return it != members.end() && it->second.type != MemberType::Dir;
}

bool is_sha256_digest(std::string_view d) {
  static constexpr std::string_view kAlgo = "sha256:";
  if (d.size() != kAlgo.size() + 64 || !d.starts_with(kAlgo)) return false;
  for (char c : d.substr(kAlgo.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string blob_path(std::string_view digest) {
  return "blobs/sha256/" + std::string(digest.substr(7));
}

std::string printable(std::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (unsigned char c : s) {
    if (++n > 80) {
      out += "…";
      break;
    }
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

}  // namespace ckptfs
