#include "source/oci_peek.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "source/layout.h"
#include "source/oci_index.h"
#include "source/oci_store.h"
#include "source/tar_reader.h"
#include "source/tar_source.h"
#include "util/error.h"

namespace ckptfs {

namespace {

Packing layer_packing(const Blob& blob) {
  char head[8];
  size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof head, blob.size()));
  blob.pread(head, n, 0);
  return compression_of({head, n}).value_or(Packing::Tar);
}

}  // namespace

std::vector<OciPeek> peek_oci(const std::string& path, Packing packing,
                              const PeekOptions& options) {
  std::unique_ptr<Source> outer;  // an archive's members, served in place
  std::unique_ptr<OciStore> store;
  if (packing == Packing::OciLayout || packing == Packing::Directory) {
    store = oci_directory_store(path);
  } else {
    // Decompressing a compressed oci-archive whole is what a mount does, not
    // a listing: nobody ships them that way (podman save and skopeo write
    // plain tars), so the table says so instead.
    if (packing != Packing::Tar)
      fail(path, "an OCI archive that is itself compressed ({}): mount it on its own",
           packing_name(packing));
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno(path, "cannot open");
    auto file = std::make_shared<FileHandle>(path, fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail_errno(path, "cannot stat");
    SourceLimits limits;
    limits.max_members = options.max_members;
    outer = open_tar(path, std::move(file), st, Packing::Tar, limits);
    store = oci_archive_store(path, outer->members);
  }
  std::vector<FoundOciImage> found = read_oci_images(*store);
  bool annotated = std::any_of(found.begin(), found.end(), [](const FoundOciImage& f) {
    return has_checkpoint_annotations(f.image);
  });
  std::vector<OciPeek> out;
  for (FoundOciImage& f : found) {
    if (annotated && !has_checkpoint_annotations(f.image)) continue;
    // The layer holding inventory.img, the last one first: a checkpoint
    // image has one layer, and a later layer would replace an earlier one's.
    for (size_t i = f.layer_blobs.size(); i-- > 0;) {
      const Blob& blob = *f.layer_blobs[i];
      Peek p = peek_blob(store->shown(blob_path(f.image.layers[i].blob.digest)), blob,
                         layer_packing(blob), options);
      if (!holds_checkpoint(p.source->members) && p.error.empty()) continue;
      out.push_back({std::move(f.image), std::move(p)});
      break;
    }
  }
  if (found.empty())
    fail(path, "not a checkpoint: an {} that names no image manifest", store->kind());
  if (out.empty())
    fail(path,
         "not a checkpoint: an {} whose {} image(s) hold no CRIU checkpoint (no inventory.img in "
         "their layers)",
         store->kind(), found.size());
  return out;
}

}  // namespace ckptfs
