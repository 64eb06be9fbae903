#pragma once
// A Source is the checkpoint as a flat set of named members, whatever it was
// packed in: a directory, a plain tar read in place, or a compressed tar
// decompressed once. Names are normalised ("./checkpoint/x" -> "checkpoint/x").

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "source/blob.h"
#include "source/oci_image.h"

namespace ckptfs {

enum class MemberType { File, Dir, Symlink, Other };

struct Member {
  MemberType type = MemberType::File;
  std::shared_ptr<Blob> blob;  // files only
  uint32_t mode = 0;           // permission bits
  int64_t mtime = 0;           // seconds since the epoch
  std::string link_target;     // symlinks only
  // Other only: S_IFCHR, S_IFBLK, S_IFIFO or S_IFSOCK (0 when unknown) and the
  // device number, so a tar of /dev can be shown as it was.
  uint32_t filetype = 0;
  uint64_t rdev = 0;
};

enum class Packing {
  Directory,
  Tar,
  TarGzip,
  TarZstd,
  TarXz,
  TarBzip2,
  OciLayout,   // an OCI image layout directory
  OciArchive,  // a tar of one (podman save --format oci-archive)
};
const char* packing_name(Packing p);

// Saves a cache entry in the background (see Source::save_cache).
using SaveCache = std::function<void(const std::atomic<bool>& stopping)>;

struct Source {
  std::string path;  // as given by the user (for messages)
  Packing packing = Packing::Directory;
  uint64_t input_size = 0;  // bytes of the archive file (0 for directories)
  std::map<std::string, Member> members;
  // With CacheSettings::defer_save, the cache entry still to save (empty when
  // there is none). Safe to run while members are read; errors are the
  // caller's to ignore (the next mount then decompresses again). It gives up,
  // leaving no entry, soon after `stopping` turns true: an unmount does not
  // wait for a GiB to reach the disk.
  SaveCache save_cache;
  // Packing::OciLayout / OciArchive: the images whose layers hold a
  // checkpoint; members are their layers' content, each image's under its
  // member_prefix ("" when there is one image).
  std::vector<OciImage> oci_images;

  const Member* find(const std::string& name) const;
};

// Where a compressed archive is decompressed to, and whether that is kept for
// the next mount of the same archive (source/archive_cache.h).
struct CacheSettings {
  bool persist = false;    // the CLI persists by default; -o nocache turns it off
  std::string dir;         // "" = $XDG_CACHE_HOME/ckptfs when persisting, else $TMPDIR
  uint64_t max_bytes = 0;  // 0 = half the free space of dir's filesystem
  // Set when the user named the directory: then an unusable one is an error
  // instead of a silent fallback to an unpersisted temp file.
  bool dir_given = false;
  // Leave saving a new cache entry (writing its index, syncing it to disk,
  // naming it) to the caller, through Source::save_cache, instead of doing it
  // before open_source returns: a daemon mounts first and saves in the
  // background, so the mount does not wait for a GiB to reach the disk.
  bool defer_save = false;
};

// Limits that keep a hostile archive from exhausting memory or disk.
struct SourceLimits {
  uint64_t max_members = 1'000'000;
  CacheSettings cache;
  // Called while a compressed archive is read: (bytes read, archive size).
  std::function<void(uint64_t, uint64_t)> progress;
};

// Opens a checkpoint by content: a directory, or a file whose magic bytes say
// tar / gzip / zstd / xz / bzip2; either may be an OCI image layout (an
// oci-layout file at its top) whose images carry checkpoints. Throws
// InputError naming the path otherwise.
std::unique_ptr<Source> open_source(const std::string& path, const SourceLimits& limits = {});

// What the open file fd (of size bytes) is packed as, by its first bytes.
// Throws InputError naming path for anything but a tar, compressed or not.
Packing sniff_packing(const std::string& path, int fd, uint64_t size);

// Strips "./" and "/" prefixes and "." components; returns "" for names that
// would escape the archive ("..") or are empty.
std::string normalise_member_name(std::string_view name);

// A regular file directly in a directory of a source.
struct FileInDir {
  std::string_view name;    // in the directory
  const std::string* path;  // the member's name
  const Member* member;
};
// The regular files directly in dir ("" for the top, else a prefix ending in
// '/', like Layout::image_dir), in name order; not those in subdirectories.
std::vector<FileInDir> files_in(const Source& src, const std::string& dir);

}  // namespace ckptfs
