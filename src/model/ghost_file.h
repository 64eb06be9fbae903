#pragma once
// A deleted file's content as CRIU saved it (ghost-file-<id>.img, format doc
// §11.3), located in the image without reading the data: ghost files can be
// as large as the file was.

#include <memory>
#include <string>

#include "ghost.pb.h"
#include "source/blob.h"

namespace ckptfs {

struct GhostFile {
  criu::ghost_file_entry header;
  std::shared_ptr<const Blob> content;  // regular files only (null otherwise)
};

// name is the image's path for messages.
GhostFile read_ghost_file(const std::string& name, std::shared_ptr<const Blob> image);

// Only the header (mode, device, inode…), without walking the content: what
// a maps line of the deleted file needs.
criu::ghost_file_entry read_ghost_header(const std::string& name, const Blob& image);

}  // namespace ckptfs
