#include "source/peek.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "source/archive_ptr.h"
#include "source/dir_source.h"
#include "source/tar_reader.h"
#include "util/error.h"

namespace ckptfs {

namespace {

// A member listed but not read: its size is known, its bytes are not here.
class UnreadBlob : public Blob {
 public:
  UnreadBlob(uint64_t size, std::string origin) : size_(size), origin_(std::move(origin)) {}
  uint64_t size() const override { return size_; }
  void pread(void*, size_t, uint64_t) const override {
    fail(origin_, "not read while listing the archive");
  }
  const std::string& origin() const override { return origin_; }

 private:
  uint64_t size_;
  std::string origin_;
};

// The blob as libarchive's client: reads in chunks, skips (plain tars only:
// libarchive's decompressors read what they skip) by moving the offset.
class BlobReader {
 public:
  explicit BlobReader(const Blob& blob) : blob_(blob), buf_(64 << 10) {}

  static la_ssize_t read(archive* a, void* self, const void** out) {
    auto* r = static_cast<BlobReader*>(self);
    uint64_t n = std::min<uint64_t>(r->buf_.size(), r->blob_.size() - r->pos_);
    try {
      r->blob_.pread(r->buf_.data(), n, r->pos_);
    } catch (const std::exception& e) {
      archive_set_error(a, EIO, "%s", e.what());
      return -1;
    }
    r->pos_ += n;
    r->bytes_ += n;
    *out = r->buf_.data();
    return static_cast<la_ssize_t>(n);
  }
  static la_int64_t skip(archive*, void* self, la_int64_t request) {
    auto* r = static_cast<BlobReader*>(self);
    if (request <= 0) return 0;
    uint64_t n = std::min(static_cast<uint64_t>(request), r->blob_.size() - r->pos_);
    r->pos_ += n;
    return static_cast<la_int64_t>(n);
  }
  uint64_t bytes() const { return bytes_; }

 private:
  const Blob& blob_;
  uint64_t pos_ = 0;
  uint64_t bytes_ = 0;
  std::vector<char> buf_;
};

// The member's data, or an unread blob when it is too large to keep.
std::shared_ptr<Blob> read_data(archive* a, archive_entry* e, const std::string& origin,
                                uint64_t limit) {
  int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
  uint64_t size = declared > 0 ? static_cast<uint64_t>(declared) : 0;
  if (size > limit) return std::make_shared<UnreadBlob>(size, origin);
  std::string data(size, '\0');
  uint64_t got = 0;
  while (got < size) {
    la_ssize_t n = archive_read_data(a, data.data() + got, size - got);
    if (n < 0) fail(origin, "corrupt or truncated archive: {}", archive_problem(a));
    if (n == 0) break;
    got += static_cast<uint64_t>(n);
  }
  if (got != size) fail(origin, "corrupt or truncated archive: the member ends early");
  return std::make_shared<MemoryBlob>(std::move(data), origin);
}

void peek_tar(const std::string& path, const Blob& blob, Packing packing, const PeekOptions& o,
              Peek& out) {
  BlobReader reader(blob);
  ArchivePtr a(archive_read_new());
  if (!a) throw std::bad_alloc();
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_filter_all(a.get());
  archive_read_set_read_callback(a.get(), BlobReader::read);
  archive_read_set_skip_callback(a.get(), BlobReader::skip);
  archive_read_set_callback_data(a.get(), &reader);
  auto finish = [&] {
    out.file_bytes = reader.bytes();
    la_int64_t stream = archive_filter_bytes(a.get(), 0);
    out.stream_bytes = stream > 0 ? static_cast<uint64_t>(stream) : 0;
  };
  if (archive_read_open1(a.get()) != ARCHIVE_OK)
    fail(path, "not a readable {} archive: {}", packing_name(packing), archive_problem(a.get()));
  Source& src = *out.source;
  archive_entry* e = nullptr;
  uint64_t kept = 0;
  for (uint64_t headers = 0;; ++headers) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) {
      out.complete = true;
      break;
    }
    if (r < ARCHIVE_WARN) {
      if (headers == 0) fail(path, "not a tar archive: {}", archive_problem(a.get()));
      out.error = fmt::format("{}: corrupt or truncated archive after {} members: {}", path,
                              src.members.size(), archive_problem(a.get()));
      break;
    }
    const char* raw = archive_entry_pathname(e);
    std::string name = normalise_member_name(raw ? raw : "");
    if (name.empty()) continue;  // the top directory, or a name that would escape
    if (src.members.size() >= o.max_members) {
      out.error = fmt::format("{}: more than {} members: too many to index", path, o.max_members);
      break;
    }
    Member m;
    m.mode = archive_entry_perm(e);
    m.mtime = archive_entry_mtime(e);
    set_member_type(m, e);
    std::string origin = path + ":" + name;
    if (const char* link = archive_entry_hardlink(e)) {
      const Member* t = src.find(normalise_member_name(link));
      if (t && t->type != MemberType::Dir) {
        m.type = t->type;
        m.blob = t->blob;
      } else {
        m.type = MemberType::Other;
      }
    } else if (m.type == MemberType::File) {
      if (o.keep && o.keep(name)) {
        try {
          uint64_t room = o.max_kept_bytes - std::min(kept, o.max_kept_bytes);
          m.blob = read_data(a.get(), e, origin, std::min(o.max_member_bytes, room));
          if (dynamic_cast<const MemoryBlob*>(m.blob.get())) kept += m.blob->size();
        } catch (const InputError& err) {
          out.error = err.what();
          break;
        }
      } else {
        int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
        m.blob = std::make_shared<UnreadBlob>(declared > 0 ? static_cast<uint64_t>(declared) : 0,
                                              origin);
      }
    }
    src.members.insert_or_assign(std::move(name), std::move(m));
    if (o.enough && o.enough(src)) break;
  }
  finish();
}

}  // namespace

Peek peek_blob(const std::string& origin, const Blob& blob, Packing packing,
               const PeekOptions& options) {
  Peek out;
  out.source = std::make_unique<Source>();
  out.source->path = origin;
  out.source->packing = packing;
  out.source->input_size = blob.size();
  peek_tar(origin, blob, packing, options, out);
  return out;
}

Peek peek_source(const std::string& path, const PeekOptions& options) {
  Peek out;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) fail(path, "no such file or directory");
    fail_errno(path, "cannot access");
  }
  if (S_ISDIR(st.st_mode)) {
    // A directory's listing is its walk; its files are opened only when read.
    SourceLimits limits;
    limits.max_members = options.max_members;
    out.source = open_directory(path, limits);
    out.complete = true;
    return out;
  }
  if (!S_ISREG(st.st_mode)) fail(path, "not a checkpoint: neither a directory nor a regular file");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno(path, "cannot open");
  // Closed when the peek is done: a listing keeps nothing open.
  auto file = std::make_shared<FileHandle>(path, fd);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  Packing packing = sniff_packing(path, fd, size);
  return peek_blob(path, FileBlob(file, 0, size, path), packing, options);
}

}  // namespace ckptfs
