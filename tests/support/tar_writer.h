#pragma once
// Tar archives written with libarchive's writer, which keeps names exactly as
// given: this is how a hostile archive spells "../evil", "/abs", a link out of
// the tree or a name archived twice.

#include <archive_entry.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ckptfs::test {

struct TarEntry {
  std::string name;
  unsigned type = AE_IFREG;
  unsigned perm = 0644;
  int64_t mtime = 1'700'000'000;
  std::string data = "";      // regular files
  std::string symlink = "";   // AE_IFLNK
  std::string hardlink = "";  // a hard link to this name
  dev_t rdev = 0;             // devices
};

enum class TarFilter { kNone, kGzip };

// A GNU tar of entries in order, not padded to 10 KiB: a cut half-way lands
// inside the data, compressed or not.
std::string make_tar(const std::vector<TarEntry>& entries, TarFilter filter = TarFilter::kNone);

// Where each member of a plain ustar/GNU tar starts, by its name as stored:
// the header's offset and the data's offset and size (for cutting an archive
// inside a chosen member).
struct TarMember {
  uint64_t header, data, size;
};
std::map<std::string, TarMember> tar_members(const std::string& bytes);

}  // namespace ckptfs::test
