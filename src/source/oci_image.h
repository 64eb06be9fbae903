#pragma once
// What an OCI image says about the checkpoint it carries, kept for the views
// (containers/<name>/info): podman container checkpoint --create-image,
// checkpointctl build, or the Kubernetes buildah recipe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ckptfs {

struct OciDescriptor {
  std::string media_type;  // "" when the descriptor names none
  std::string digest;      // "sha256:<64 hex>", checked
  uint64_t size = 0;
};

struct OciLayer {
  OciDescriptor blob;
  std::string compression;   // "gzip", "zstd", … or "none", from its content
  std::string verification;  // how its digest was checked, for info
};

struct OciImage {
  std::string layout;         // "OCI image layout directory" or "OCI archive"
  std::string member_prefix;  // its layers' members are Source::members under this
  std::string ref_name;       // org.opencontainers.image.ref.name in the index, if any
  OciDescriptor manifest;
  OciDescriptor config;
  std::vector<OciLayer> layers;
  std::map<std::string, std::string> annotations;  // the manifest's
  // From the image configuration.
  std::string created, architecture, os;
};

}  // namespace ckptfs
