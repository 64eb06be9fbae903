#include "source/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <vector>

#include "source/archive_ptr.h"
#include "source/cache_file.h"
#include "source/decompress_thread.h"
#include "util/error.h"
#include "util/path.h"

namespace ckptfs {

namespace {

ArchivePtr new_tar_reader() {
  ArchivePtr a(archive_read_new());
  if (!a) throw std::bad_alloc();
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_filter_all(a.get());
  return a;
}

// In place: the whole window handed to libarchive as one client buffer.
// libarchive then returns data blocks as pointers into it, and pointer - base
// is the member's data offset. Only header pages are ever touched.
class Mapping {
 public:
  Mapping(const std::string& origin, const FileHandle& file, uint64_t offset, uint64_t len) {
    int fd = file.fd();
    // A window past the end of the file would be SIGBUS on first touch.
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail_errno(origin, "cannot stat");
    if (offset > static_cast<uint64_t>(st.st_size) ||
        len > static_cast<uint64_t>(st.st_size) - offset)
      fail(origin, "file is shorter than recorded (truncated while mounted?)");
    uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t start = offset / page * page;
    map_len_ = static_cast<size_t>(len + (offset - start));
    map_ = ::mmap(nullptr, map_len_, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(start));
    if (map_ == MAP_FAILED) fail_errno(origin, "cannot map the archive");
    ::madvise(map_, map_len_, MADV_RANDOM);
    base = static_cast<const char*>(map_) + (offset - start);
    size = static_cast<size_t>(len);
  }
  ~Mapping() { ::munmap(map_, map_len_); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  bool contains(const char* p, size_t len) const {
    return p >= base && len <= size && p - base <= static_cast<ptrdiff_t>(size - len);
  }

  const char* base = nullptr;
  size_t size = 0;
  bool served = false;

 private:
  void* map_ = nullptr;
  size_t map_len_ = 0;
};

la_ssize_t mapping_read(archive*, void* client, const void** buf) {
  auto* m = static_cast<Mapping*>(client);
  if (m->served) return 0;
  m->served = true;
  *buf = m->base;
  return static_cast<la_ssize_t>(m->size);
}

// "./", "/", ".": the archive's top directory rather than a member.
bool names_the_top(std::string_view raw) {
  auto parts = path_components(raw);
  return std::all_of(parts.begin(), parts.end(), [](std::string_view p) { return p == "."; });
}

// The one loop over headers; map is set when data can be served in place from
// file at file_offset + (pointer - map->base).
class Scan {
 public:
  Scan(archive* a, const std::string& origin, const TarReadOptions& o, const Mapping* map,
       std::shared_ptr<FileHandle> file, uint64_t file_offset)
      : a_(a),
        origin_(origin),
        o_(o),
        map_(map),
        file_(std::move(file)),
        file_offset_(file_offset),
        cache_(o.cache) {}

  TarListing run() {
    archive_entry* e = nullptr;
    for (uint64_t headers = 0;; ++headers) {
      int r = archive_read_next_header(a_, &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        if (headers == 0) fail(origin_, "not a tar archive: {}", archive_problem(a_));
        fail(origin_, "corrupt or truncated archive after {} members: {}", out_.members.size(),
             archive_problem(a_));
      }
      entry(e);
    }
    return std::move(out_);
  }

 private:
  void entry(archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    std::string name = normalise_member_name(raw ? raw : "");
    Member m;
    m.mode = archive_entry_perm(e);
    m.mtime = archive_entry_mtime(e);
    set_member_type(m, e);
    if (name.empty()) {
      if (raw && names_the_top(raw) && m.type == MemberType::Dir && !archive_entry_hardlink(e))
        out_.root = m;
      return;  // data, if any, is skipped by the next header read
    }
    if (out_.members.size() >= o_.max_members)
      fail(origin_, "more than {} members: too many to index", o_.max_members);
    if (const char* link = archive_entry_hardlink(e)) {
      // A hard link names an earlier member: the same bytes (or link target,
      // or device) under a second name.
      auto it = out_.members.find(normalise_member_name(link));
      if (it != out_.members.end() && it->second.type != MemberType::Dir) {
        const Member& t = it->second;
        m.type = t.type;
        m.blob = t.blob;
        m.link_target = t.link_target;
        m.filetype = t.filetype;
        m.rdev = t.rdev;
      } else {
        Member dangling;
        dangling.type = MemberType::Other;
        dangling.mode = m.mode;
        dangling.mtime = m.mtime;
        m = std::move(dangling);
      }
    } else if (m.type == MemberType::File) {
      m.blob = data(e, name);
    }
    out_.members.insert_or_assign(std::move(name), std::move(m));
  }

  std::shared_ptr<Blob> data(archive_entry* e, const std::string& name) {
    int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    uint64_t size = declared > 0 ? static_cast<uint64_t>(declared) : 0;
    std::string origin = origin_ + ":" + name;
    if (size == 0) return std::make_shared<MemoryBlob>("", origin);
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t off = 0;
    int r = archive_read_data_block(a_, &buf, &len, &off);
    if (r < ARCHIVE_WARN) truncated(name);
    const char* cb = static_cast<const char*>(buf);
    if (r == ARCHIVE_OK && map_ && off == 0 && len == size && map_->contains(cb, len))
      return std::make_shared<FileBlob>(
          file_, file_offset_ + static_cast<uint64_t>(cb - map_->base), size, origin);
    // Compressed, or a plain member libarchive could not hand over in one
    // piece (sparse): copy it into the cache, holes stay holes.
    if (!cache_) cache_ = std::make_shared<CacheFile>(origin_, o_.cache_dir, o_.cache_limit);
    uint64_t region = cache_->allocate(size);
    while (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
      if (off < 0 || static_cast<uint64_t>(off) > size || len > size - static_cast<uint64_t>(off))
        fail(origin_, "member {} holds more data than its header says", name);
      cache_->write(buf, len, region + static_cast<uint64_t>(off));
      r = archive_read_data_block(a_, &buf, &len, &off);
    }
    if (r != ARCHIVE_EOF) truncated(name);
    return std::make_shared<FileBlob>(cache_->handle(), region, size, origin);
  }

  [[noreturn]] void truncated(const std::string& name) {
    fail(origin_, "corrupt or truncated archive in member {}: {}", name, archive_problem(a_));
  }

  archive* a_;
  const std::string& origin_;
  const TarReadOptions& o_;
  const Mapping* map_;
  std::shared_ptr<FileHandle> file_;
  uint64_t file_offset_;
  std::shared_ptr<CacheFile> cache_;  // created on the first member that needs it
  TarListing out_;
};

}  // namespace

void set_member_type(Member& m, archive_entry* e) {
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      m.type = MemberType::File;
      break;
    case AE_IFDIR:
      m.type = MemberType::Dir;
      break;
    case AE_IFLNK:
      m.type = MemberType::Symlink;
      if (const char* t = archive_entry_symlink(e)) m.link_target = t;
      break;
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
    case AE_IFSOCK:
      m.type = MemberType::Other;
      m.filetype = archive_entry_filetype(e);
      m.rdev = archive_entry_rdev(e);
      break;
    default:
      m.type = MemberType::Other;
      break;
  }
}

TarListing read_tar_in_place(const std::string& origin, std::shared_ptr<FileHandle> file,
                             uint64_t offset, uint64_t size, const TarReadOptions& options) {
  if (size == 0) return {};
  Mapping map(origin, *file, offset, size);
  ArchivePtr a = new_tar_reader();
  archive_read_set_read_callback(a.get(), mapping_read);
  archive_read_set_callback_data(a.get(), &map);
  if (archive_read_open1(a.get()) != ARCHIVE_OK)
    fail(origin, "not a tar archive: {}", archive_problem(a.get()));
  return Scan(a.get(), origin, options, &map, std::move(file), offset).run();
}

TarListing read_tar_streamed(const std::string& origin, const Blob& archive,
                             const TarReadOptions& options) {
  if (archive.size() == 0) return {};
  DecompressThread stream(archive, options.progress, options.observe_input);
  ArchivePtr a = new_tar_reader();
  archive_read_set_read_callback(a.get(), DecompressThread::read);
  archive_read_set_callback_data(a.get(), &stream);
  if (archive_read_open1(a.get()) != ARCHIVE_OK)
    fail(origin, "not a readable {} archive: {}", options.kind, archive_problem(a.get()));
  return Scan(a.get(), origin, options, nullptr, nullptr, 0).run();
}

std::optional<Packing> compression_of(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) return Packing::TarGzip;
  if (starts("\x28\xb5\x2f\xfd")) return Packing::TarZstd;
  // zstd skippable frames (0x184D2A5?) may precede the first real frame.
  if (head.size() >= 4 && (static_cast<unsigned char>(head[0]) & 0xf0) == 0x50 &&
      head.substr(1, 3) == "\x2a\x4d\x18")
    return Packing::TarZstd;
  if (starts(std::string_view("\xfd"
                              "7zXZ\0",
                              6)))
    return Packing::TarXz;
  if (starts("BZh")) return Packing::TarBzip2;
  return std::nullopt;
}

}  // namespace ckptfs
