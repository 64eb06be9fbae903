#pragma once
// The files of an OCI image layout (oci-layout, index.json, blobs/sha256/…),
// wherever they are: a directory, or the members of an oci-archive (a tar of
// such a directory). Nothing outside the layout is ever opened: a directory's
// files are opened component by component below its fd with O_NOFOLLOW, an
// archive's are looked up as members by their exact name.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "source/blob.h"
#include "source/source.h"

namespace ckptfs {

class OciStore {
 public:
  virtual ~OciStore() = default;
  // rel ("index.json", "blobs/sha256/<hex>") as a blob; nullptr when absent.
  // Throws InputError when it exists but is not a regular file of the layout
  // (a symlink, a directory, a device).
  virtual std::shared_ptr<const Blob> file(const std::string& rel) const = 0;
  // The layout as the user named it, and one of its files, for messages.
  virtual const std::string& origin() const = 0;
  virtual std::string shown(const std::string& rel) const = 0;
  virtual const char* kind() const = 0;  // "OCI image layout directory", "OCI archive"
};

// path is a directory; throws InputError if it cannot be opened.
std::unique_ptr<OciStore> oci_directory_store(const std::string& path);
// members: an archive's listing by normalised name.
std::unique_ptr<OciStore> oci_archive_store(const std::string& path,
                                            const std::map<std::string, Member>& members);

// Whether path (a directory) or an archive's members hold an OCI image layout:
// an oci-layout file at the top. Its content is checked by read_oci_images.
bool is_oci_layout_dir(const std::string& path);
bool is_oci_layout_listing(const std::map<std::string, Member>& members);

// "sha256:" and exactly 64 lowercase hex digits: the only digests accepted.
// Anything else could name a path outside blobs/ or an algorithm not checked.
bool is_sha256_digest(std::string_view digest);
// blobs/sha256/<hex> for a digest is_sha256_digest accepts.
std::string blob_path(std::string_view digest);
// s for a one-line message: quoted, control bytes escaped, long ones cut.
std::string printable(std::string_view s);

}  // namespace ckptfs
