#include "source/archive_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>
#include <vector>

#include "cache_index.pb.h"
#include "source/cache_file.h"
#include "source/listing_codec.h"
#include "util/error.h"

namespace ckptfs {

namespace {

constexpr uint64_t kHeaderSize = 4096;
// Header and index are protobuf messages (proto/cache_index.proto).
constexpr std::string_view kMagic = "CKPTFSC2";
constexpr uint64_t kFormat = 3;  // 3: the identity may name a range and a tag
constexpr const char* kSuffix = ".ckptfs-cache";
// An index is metadata: even a million members stay far below this.
constexpr uint64_t kMaxIndex = uint64_t{1} << 30;
// A temporary link name (is_link_temp) lives for the microseconds between
// linkat() and rename(); one this old was left by a crash.
constexpr int64_t kStaleLinkSeconds = 3600;

// What identifies the archive: where it is, its size and mtime, and a sample
// of its bytes (so a file rewritten in place within one mtime tick, or a
// recycled inode, does not pass for the old one); for a range of a file (an
// OCI layer inside an oci-archive) also where the range is and its tag.
struct Identity {
  // dev, ino, size, mtime s, mtime ns, sample, format, offset, length, tag
  std::array<uint64_t, 10> v{};

  std::string key() const {
    std::string raw(reinterpret_cast<const char*>(v.data()), sizeof v);
    return fmt::format("{:016x}{}", fnv1a(raw), kSuffix);
  }
  void to(cache::archive_identity& a) const {
    a.set_dev(v[0]);
    a.set_ino(v[1]);
    a.set_size(v[2]);
    a.set_mtime_sec(v[3]);
    a.set_mtime_nsec(v[4]);
    a.set_sample(v[5]);
    a.set_format(v[6]);
    a.set_range_off(v[7]);
    a.set_range_len(v[8]);
    a.set_tag(v[9]);
  }
  bool is(const cache::archive_identity& a) const {
    return v == std::array<uint64_t, 10>{a.dev(),        a.ino(),    a.size(),   a.mtime_sec(),
                                         a.mtime_nsec(), a.sample(), a.format(), a.range_off(),
                                         a.range_len(),  a.tag()};
  }
};

Identity identify(const CachedRange& r) {
  std::string sample;
  auto take = [&](uint64_t off, uint64_t len) {
    std::string buf(len, '\0');
    ssize_t n = ::pread(r.file->fd(), buf.data(), len, static_cast<off_t>(r.offset + off));
    sample.append(buf, 0, n > 0 ? static_cast<size_t>(n) : 0);
  };
  uint64_t chunk = std::min<uint64_t>(r.size, 64 * 1024);
  take(0, chunk);
  take(r.size - chunk, chunk);
  Identity id;
  id.v = {static_cast<uint64_t>(r.st.st_dev),
          static_cast<uint64_t>(r.st.st_ino),
          static_cast<uint64_t>(r.st.st_size),
          static_cast<uint64_t>(r.st.st_mtim.tv_sec),
          static_cast<uint64_t>(r.st.st_mtim.tv_nsec),
          fnv1a(sample),
          kFormat,
          r.offset,
          r.size,
          fnv1a(r.tag)};
  // A tagged range stands for content checked against its digest: trusted
  // again only while the file's ctime stands too (touch can set an mtime
  // back after an edit, nothing but the clock sets a ctime).
  if (!r.tag.empty()) {
    uint64_t ctime[2] = {static_cast<uint64_t>(r.st.st_ctim.tv_sec),
                         static_cast<uint64_t>(r.st.st_ctim.tv_nsec)};
    id.v[9] = fnv1a({reinterpret_cast<const char*>(ctime), sizeof ctime}, id.v[9]);
  }
  return id;
}

// Little-endian fixed-width words of the header's framing.
void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t get_le(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return v;
}

// The first kHeaderSize bytes: magic, u32 length, the header message, u64
// FNV-1a of the message; zeros after.
std::string encode_header(const cache::header& h) {
  std::string msg = h.SerializeAsString();
  std::string out(kMagic);
  put_le(out, msg.size(), 4);
  out += msg;
  put_le(out, fnv1a(msg), 8);
  if (out.size() > kHeaderSize) throw std::logic_error("cache header larger than its block");
  return out;
}

std::optional<cache::header> decode_header(std::string_view block) {
  constexpr size_t kFixed = 8 + 4 + 8;
  if (block.size() < kFixed || block.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  uint64_t len = get_le(block.substr(8), 4);
  if (len > block.size() - kFixed) return std::nullopt;
  std::string_view msg = block.substr(12, len);
  cache::header h;
  if (get_le(block.substr(12 + len), 8) != fnv1a(msg) ||
      !h.ParseFromArray(msg.data(), static_cast<int>(msg.size())))
    return std::nullopt;
  return h;
}

// The cached listing, or nullopt for a miss (absent, stale, foreign or broken
// entry: a broken one is then replaced by the fresh pass).
std::optional<TarListing> lookup(const std::string& dir, const Identity& id,
                                 const std::string& origin) {
  std::string path = dir + "/" + id.key();
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  auto file = std::make_shared<FileHandle>(path, fd);
  struct stat st {};
  // Only our own files: in a shared directory, another user's cache file could
  // claim any content for an archive we are asked to show.
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 0022))
    return std::nullopt;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < kHeaderSize) return std::nullopt;
  try {
    FileBlob bytes(file, 0, size, path);
    std::string block(kHeaderSize, '\0');
    bytes.pread(block.data(), block.size(), 0);
    std::optional<cache::header> h = decode_header(block);
    if (!h || !id.is(h->archive()) || h->index_len() > kMaxIndex || h->index_off() > size ||
        h->index_len() > size - h->index_off())
      return std::nullopt;
    std::string index(h->index_len(), '\0');
    bytes.pread(index.data(), index.size(), h->index_off());
    if (fnv1a(index) != h->index_sum()) return std::nullopt;
    // Member data lies before the index.
    auto listing = decode_listing(index, file, h->index_off(), origin);
    if (listing) ::futimens(fd, nullptr);  // most recently used: evicted last
    return listing;
  } catch (const std::exception&) {
    return std::nullopt;  // shorter than it said (truncated under us) or unreadable
  }
}

// Writes the index and header after the data, syncs, and names the file.
void store(CacheFile& cache, const std::string& index, const Identity& id,
           const std::atomic<bool>& stopping) {
  cache::header h;
  id.to(*h.mutable_archive());
  h.set_index_off(cache.allocate(index.size()));
  h.set_index_len(index.size());
  h.set_index_sum(fnv1a(index));
  cache.write(index.data(), index.size(), h.index_off());
  std::string block = encode_header(h);
  cache.write(block.data(), block.size(), 0);
  cache.link_as(id.key(), stopping);
}

// Oldest-used entries go first until the directory fits in max_bytes; the
// entry just written stays even if it alone is larger. Temporary link names
// a crash left behind (full-size copies nobody will use) go in any case.
void evict(const std::string& dir, uint64_t max_bytes, const std::string& keep) {
  struct Entry {
    std::string name;
    int64_t mtime;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  const int64_t stale = static_cast<int64_t>(::time(nullptr)) - kStaleLinkSeconds;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    bool temp = is_link_temp(name) && name.find(kSuffix) != std::string::npos;
    if ((!temp && !name.ends_with(kSuffix)) || name == keep) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
      continue;
    if (temp) {
      if (st.st_mtim.tv_sec < stale) ::unlinkat(::dirfd(d), name.c_str(), 0);
      continue;
    }
    uint64_t bytes = static_cast<uint64_t>(st.st_blocks) * 512;
    entries.push_back({name, st.st_mtim.tv_sec, bytes});
    total += bytes;
  }
  struct stat kept {};
  if (::fstatat(::dirfd(d), keep.c_str(), &kept, AT_SYMLINK_NOFOLLOW) == 0)
    total += static_cast<uint64_t>(kept.st_blocks) * 512;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.mtime < b.mtime; });
  for (const auto& e : entries) {
    if (total <= max_bytes) break;
    if (::unlinkat(::dirfd(d), e.name.c_str(), 0) == 0) total -= e.bytes;
  }
  ::closedir(d);
}

// The directory to persist into, created owner-only if missing; "" when there
// is none to use and the user did not insist.
std::string usable_dir(const CacheSettings& s) {
  std::string dir = s.dir.empty() ? default_cache_dir() : s.dir;
  if (dir.empty()) return "";
  // ~/.cache may not exist yet either.
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0 && !s.dir_given)
    ::mkdir(dir.substr(0, slash).c_str(), 0700);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    if (s.dir_given) fail_errno(dir, "cannot create the cache directory");
    return "";
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || ::access(dir.c_str(), W_OK) != 0) {
    if (s.dir_given) fail(dir, "cache directory is not a writable directory");
    return "";
  }
  return dir;
}

}  // namespace

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/')
    return std::string(x) + "/ckptfs";
  if (const char* h = std::getenv("HOME"); h && *h == '/') return std::string(h) + "/.cache/ckptfs";
  return "";
}

TarListing read_compressed_cached(const std::string& path, std::shared_ptr<FileHandle> file,
                                  const struct stat& st, TarReadOptions options,
                                  const CacheSettings& settings, SaveCache* save) {
  CachedRange whole{std::move(file), st, 0, static_cast<uint64_t>(st.st_size), ""};
  return read_compressed_range_cached(path, whole, std::move(options), settings, {}, save);
}

TarListing read_compressed_range_cached(const std::string& origin, const CachedRange& range,
                                        TarReadOptions options, const CacheSettings& settings,
                                        const std::function<void()>& check, SaveCache* save) {
  std::string dir = settings.persist || settings.dir_given ? usable_dir(settings) : "";
  std::optional<Identity> id;
  if (settings.persist && !dir.empty()) {
    id = identify(range);
    if (auto hit = lookup(dir, *id, origin)) return std::move(*hit);
  }
  if (dir.empty()) dir = settings.dir;  // not persisting: "" is $TMPDIR
  auto cache = std::make_shared<CacheFile>(origin, dir, settings.max_bytes, id ? kHeaderSize : 0);
  if (id) cache->write_back_early();
  options.cache = cache;
  TarListing listing =
      read_tar_streamed(origin, FileBlob(range.file, range.offset, range.size, origin), options);
  if (check) check();
  if (id && cache->unnamed()) {
    // The index now, while the listing is ours; the disk work may wait.
    auto saving = [cache, index = encode_listing(listing, *cache->handle()), id = *id,
                   dir](const std::atomic<bool>& stopping) {
      try {
        store(*cache, index, id, stopping);
        evict(dir, cache->limit(), id.key());
      } catch (const SystemError&) {
        // A full or read-only cache directory costs the next mount time, not this one.
      } catch (const InputError&) {
        // The index did not fit under the limit: this mount still has its data.
      }
    };
    if (settings.defer_save && save)
      *save = std::move(saving);
    else
      saving(std::atomic<bool>(false));
  }
  return listing;
}

bool cache_remembers(const CachedRange& range, const CacheSettings& settings) {
  if (!settings.persist) return false;
  std::string dir = usable_dir(settings);
  return !dir.empty() && lookup(dir, identify(range), range.file->path()).has_value();
}

void cache_remember(const CachedRange& range, const CacheSettings& settings, SaveCache* save) {
  if (!settings.persist) return;
  std::string dir = usable_dir(settings);
  if (dir.empty()) return;
  auto saving = [origin = range.file->path(), id = identify(range), settings,
                 dir](const std::atomic<bool>& stopping) {
    try {
      CacheFile cache(origin, dir, settings.max_bytes, kHeaderSize);
      if (!cache.unnamed()) return;  // no O_TMPFILE: nothing to name atomically
      store(cache, encode_listing({}, *cache.handle()), id, stopping);
      evict(dir, cache.limit(), id.key());
    } catch (const SystemError&) {
      // Not remembered: the next mount verifies again.
    } catch (const InputError&) {
    }
  };
  if (settings.defer_save && save)
    *save = std::move(saving);
  else
    saving(std::atomic<bool>(false));
}

}  // namespace ckptfs
