#pragma once
// What /proc/<pid>/fd/<n> and fdinfo/<n> say about an open file, derived from
// its files.img entry.

#include <optional>
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {

struct FileDescription {
  std::string link;    // readlink() text: a path, "pipe:[ino]", "socket:[ino]" …
  uint32_t flags = 0;  // open(2) status flags, O_CLOEXEC included as /proc shows it
  uint64_t pos = 0;
  std::optional<int32_t> mnt_id;
};

// The path of a REG file in files.img, with " (deleted)" when remap-fpath.img
// says it was unlinked; "" when the id is not a REG file.
std::string reg_file_path(const Checkpoint& c, uint32_t file_id);

FileDescription describe_fd(const Checkpoint& c, const FdEntry& fd);

// "REG", "PIPE", "UNIXSK" … (fd_types names from the format doc).
const char* fd_type_name(uint32_t type);

}  // namespace ckptfs
