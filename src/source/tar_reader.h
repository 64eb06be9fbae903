#pragma once
// One pass over a tar archive with libarchive, headers turned into Members.
// Shared by the checkpoint archive itself (tar_source.cc) and the tars a
// checkpoint stores inside it (nested_tar.cc: rootfs-diff.tar,
// devshm-checkpoint.tar, tmpfs-dev-*.tar.gz.img), so names are normalised,
// hard links resolved and data placed the same way for both.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "source/blob.h"
#include "source/source.h"

struct archive_entry;

namespace ckptfs {

struct TarListing {
  // By normalised name. A name archived twice keeps its last entry, as
  // extracting the archive would; names that would escape ("..") are dropped.
  std::map<std::string, Member> members;
  // The archive's own top directory ("./"): its mode and mtime belong to the
  // directory the members are shown in (a tmpfs dump of /dev/shm is 1777).
  std::optional<Member> root;
};

class CacheFile;

struct TarReadOptions {
  uint64_t max_members = 1'000'000;
  // Where member data that cannot be served in place goes. Without a cache
  // file, one is created on first need in cache_dir ("" = $TMPDIR or /tmp),
  // limited to cache_limit bytes (0 = half the free space there).
  std::shared_ptr<CacheFile> cache;
  std::string cache_dir;
  uint64_t cache_limit = 0;
  std::string kind = "tar";  // what the input claims to be, for messages ("tar+zstd")
  // Called as the streamed input is consumed: (bytes read, input size).
  std::function<void(uint64_t, uint64_t)> progress;
  // read_tar_streamed only: sees every chunk of the (compressed) input, in
  // order, as it is read; the pass may stop before the end of the input.
  std::function<void(const char*, size_t)> observe_input;
};

// [offset, offset + size) of file is an uncompressed tar. Members are ranges of
// the file: only headers are read, nothing is copied (sparse members, which
// are not one range, go to a cache file). An empty range is an empty archive,
// as for GNU tar.
TarListing read_tar_in_place(const std::string& origin, std::shared_ptr<FileHandle> file,
                             uint64_t offset, uint64_t size, const TarReadOptions& options);

// archive is a tar, compressed with any filter libarchive knows or not at all:
// every member's data is decompressed once into a private cache file.
TarListing read_tar_streamed(const std::string& origin, const Blob& archive,
                             const TarReadOptions& options);

// A header's type (file, dir, symlink with its target, device…) into m.
void set_member_type(Member& m, archive_entry* e);

// The compression a stream's first bytes announce (gzip, zstd, xz, bzip2);
// nullopt for anything else. Magic bytes decide, never a file name.
std::optional<Packing> compression_of(std::string_view head);

}  // namespace ckptfs
