#pragma once
// What a checkpoint's OCI image adds to its summary: the engines' checkpoint
// annotations under plain labels (container-archive-layout.md §9), and
// go-criu's CRIU version number read as what it may mean.

#include <map>
#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace ckptfs {

// The image a checkpoint came in, or nullptr.
const OciImage* oci_image_of(const Source& src, const Layout& layout);
const OciImage* oci_image_of(const Checkpoint& c);

// Every annotation: the checkpoint keys of Podman
// (io.podman.annotations.checkpoint.*), CRI-O
// (io.kubernetes.cri-o.annotations.checkpoint.*) and checkpointctl
// (org.criu.checkpoint.*) first, under plain labels, then the others by key.
std::vector<LabelledAnnotation> label_image_annotations(
    const std::map<std::string, std::string>& annotations);

// The container's name as the image's annotations give it; "" if they do not.
std::string image_container_name(const OciImage& image);

// go-criu (Podman, CRI-O) records CRIU's version as major*10000 + minor*100 +
// sublevel, adding 1 to the minor number when CRIU reports a git id: "40300"
// is "4.3, or 4.2 built from git". "" for anything that is not such a number.
std::string criu_version_from_number(const std::string& v);
// "40300 (4.3, or 4.2 built from git: …)", or v as it is.
std::string describe_criu_version_number(const std::string& v);

}  // namespace ckptfs
