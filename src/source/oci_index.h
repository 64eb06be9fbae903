#pragma once
// An OCI image layout's index, walked to the image manifests it names
// (image-layout.md, image-index.md, manifest.md of the OCI image spec).
// Everything is hostile input: digests must be sha256 and well formed, every
// blob must exist, match its descriptor's size and, for the JSON ones
// (indexes, manifests, configurations), its digest; JSON documents are at most
// 4 MiB; indexes may nest (a multi-platform image) but not loop, and not
// deeper than kMaxIndexDepth.

#include <memory>
#include <string>
#include <vector>

#include "source/oci_image.h"
#include "source/oci_store.h"

namespace ckptfs {

inline constexpr uint64_t kMaxOciJson = uint64_t{4} << 20;
inline constexpr int kMaxIndexDepth = 8;
inline constexpr size_t kMaxOciImages = 256;

// Every image manifest the layout names, each once (by digest, in index
// order), with its configuration read and its layers' descriptors checked
// and their blobs present. Layers whose media type is not a tar (signatures,
// artifacts) are left out; images left with no layer are too. Throws
// InputError naming the file and the problem.
struct FoundOciImage {
  OciImage image;
  std::vector<std::shared_ptr<const Blob>> layer_blobs;  // one per image.layers
};
std::vector<FoundOciImage> read_oci_images(const OciStore& store);

// Whether an image carries a checkpoint engine's annotations
// (io.podman.annotations.checkpoint.*, io.kubernetes.cri-o.annotations.
// checkpoint.*, org.criu.checkpoint.*).
bool has_checkpoint_annotations(const OciImage& image);

}  // namespace ckptfs
