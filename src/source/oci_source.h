#pragma once
// Checkpoints shipped as OCI images (podman container checkpoint
// --create-image, checkpointctl build, the Kubernetes buildah recipe), read
// from an image layout directory (skopeo copy … oci:DIR) or an oci-archive
// (podman save --format oci-archive, skopeo copy … oci-archive:FILE).
//
// Every image manifest of the layout whose layers hold a CRIU checkpoint
// becomes part of the Source: its layers, applied in order (whiteouts
// honoured), are its members. When some image carries a checkpoint engine's
// annotations, images without them (a base image saved alongside) are not
// even read.

#include <memory>
#include <string>

#include "source/source.h"

namespace ckptfs {

std::unique_ptr<Source> open_oci_directory(const std::string& path, const SourceLimits& limits);

// src is an indexed tar holding an image layout (is_oci_layout_listing): its
// members become the images' content, src.packing OciArchive.
void open_oci_archive(Source& src, const SourceLimits& limits);

}  // namespace ckptfs
