#pragma once
// Where the CRIU images and the engine's metadata sit inside a Source:
// bare images at the top, Podman / CRI-O / containerd "checkpoint/", or one
// "<container>/checkpoint/" per container of a pod archive.

#include <map>
#include <string>
#include <vector>

#include "source/source.h"

namespace ckptfs {

struct Layout {
  std::string image_dir;   // prefix of the CRIU images: "", "checkpoint/", "ctr/checkpoint/"
  std::string meta_dir;    // prefix of config.dump, spec.dump, rootfs-diff.tar …
  bool container = false;  // the engine's metadata (config.dump or spec.dump) is there
  bool pre_dump = false;   // only a Podman pre-checkpoint (pre-checkpoint/) is present
  int oci_image = -1;      // index into Source::oci_images, for a checkpoint from an OCI image
};

// Throws InputError if the source holds no CRIU image directory at all.
std::vector<Layout> detect_layouts(const Source& src);

// Whether members (by normalised name) hold a CRIU image directory in any of
// the layouts detect_layouts knows: an OCI image layer is kept only if so.
bool holds_checkpoint(const std::map<std::string, Member>& members);

}  // namespace ckptfs
