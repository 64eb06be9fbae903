#include "source/tar_source.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>

#include <optional>
#include <vector>

#include "source/cache_file.h"
#include "util/error.h"

namespace ckptfs {

namespace {

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

// The whole plain archive handed to libarchive as one client buffer: libarchive
// then returns data blocks as pointers into it, and pointer - base is the
// member's data offset in the file. Only headers are touched, never data pages.
struct Mapping {
  const char* base = nullptr;
  size_t size = 0;
  bool served = false;
  ~Mapping() {
    if (base) ::munmap(const_cast<char*>(base), size);
  }
};

la_ssize_t mapping_read(archive*, void* client, const void** buf) {
  auto* m = static_cast<Mapping*>(client);
  if (m->served) return 0;
  m->served = true;
  *buf = m->base;
  return static_cast<la_ssize_t>(m->size);
}

std::string archive_problem(const std::string& path, archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unreadable archive";
}

}  // namespace

std::unique_ptr<Source> open_tar(const std::string& path, std::shared_ptr<FileHandle> file,
                                 uint64_t size, Packing packing, const SourceLimits& limits) {
  auto src = std::make_unique<Source>();
  src->path = path;
  src->packing = packing;
  src->input_size = size;

  ArchivePtr a(archive_read_new());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_filter_all(a.get());

  Mapping map;
  std::optional<CacheFile> cache;
  if (packing == Packing::Tar) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file->fd(), 0);
    if (p == MAP_FAILED) fail_errno(path, "cannot map the archive");
    map.base = static_cast<const char*>(p);
    map.size = size;
    ::madvise(p, size, MADV_RANDOM);
    archive_read_set_read_callback(a.get(), mapping_read);
    archive_read_set_callback_data(a.get(), &map);
    if (archive_read_open1(a.get()) != ARCHIVE_OK) fail(path, "not a tar archive: {}", archive_problem(path, a.get()));
  } else {
    if (archive_read_open_fd(a.get(), file->fd(), 1 << 20) != ARCHIVE_OK)
      fail(path, "not a readable {} archive: {}", packing_name(packing), archive_problem(path, a.get()));
  }

  std::vector<char> scratch;
  archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      if (src->members.empty()) fail(path, "not a tar archive: {}", archive_problem(path, a.get()));
      fail(path, "corrupt or truncated archive after {} members: {}", src->members.size(),
           archive_problem(path, a.get()));
    }
    const char* raw = archive_entry_pathname(e);
    std::string name = normalise_member_name(raw ? raw : "");
    if (name.empty()) {
      archive_read_data_skip(a.get());
      continue;
    }
    if (src->members.size() >= limits.max_members)
      fail(path, "more than {} members: not a checkpoint archive", limits.max_members);

    Member m;
    m.mode = archive_entry_perm(e);
    m.mtime = archive_entry_mtime(e);
    switch (archive_entry_filetype(e)) {
      case AE_IFREG: m.type = MemberType::File; break;
      case AE_IFDIR: m.type = MemberType::Dir; break;
      case AE_IFLNK:
        m.type = MemberType::Symlink;
        if (const char* t = archive_entry_symlink(e)) m.link_target = t;
        break;
      default: m.type = MemberType::Other; break;
    }
    if (archive_entry_hardlink(e)) {
      // A hard link names an earlier member; serve the same bytes.
      std::string target = normalise_member_name(archive_entry_hardlink(e));
      if (const Member* t = src->find(target); t && t->type == MemberType::File) {
        m.type = MemberType::File;
        m.blob = t->blob;
      } else {
        m.type = MemberType::Other;
      }
      src->members.insert_or_assign(name, std::move(m));
      continue;
    }
    if (m.type != MemberType::File) {
      src->members.insert_or_assign(name, std::move(m));
      continue;
    }

    int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    uint64_t msize = declared > 0 ? static_cast<uint64_t>(declared) : 0;
    std::string origin = path + ":" + name;
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t off = 0;
    int rb = msize ? archive_read_data_block(a.get(), &buf, &len, &off) : ARCHIVE_EOF;
    if (rb < ARCHIVE_WARN)
      fail(path, "corrupt or truncated archive in member {}: {}", name, archive_problem(path, a.get()));
    const char* cb = static_cast<const char*>(buf);
    if (rb == ARCHIVE_OK && map.base && cb >= map.base && cb + len <= map.base + map.size && off == 0 &&
        len == msize) {
      m.blob = std::make_shared<FileBlob>(file, static_cast<uint64_t>(cb - map.base), msize, origin);
    } else {
      // Compressed, or a plain member libarchive could not hand over in one
      // piece (sparse): copy it into the cache, holes stay holes.
      if (!cache) cache.emplace(limits.cache_dir);
      uint64_t region = cache->allocate(msize);
      while (rb == ARCHIVE_OK || rb == ARCHIVE_WARN) {
        if (static_cast<uint64_t>(off) > msize || len > msize - static_cast<uint64_t>(off))
          fail(path, "member {} holds more data than its header says", name);
        cache->write(buf, len, region + static_cast<uint64_t>(off));
        rb = archive_read_data_block(a.get(), &buf, &len, &off);
      }
      if (rb != ARCHIVE_EOF)
        fail(path, "corrupt or truncated archive in member {}: {}", name, archive_problem(path, a.get()));
      m.blob = std::make_shared<FileBlob>(cache->handle(), region, msize, origin);
    }
    src->members.insert_or_assign(name, std::move(m));
  }
  return src;
}

}  // namespace ckptfs
