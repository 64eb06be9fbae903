#pragma once
// OCI image layouts written by the tests (image-layout.md of the OCI image
// spec): blobs by sha256, manifests and configs as JSON, an index naming
// them, packed as a directory or as an oci-archive (a tar of the layout, as
// podman save --format oci-archive writes it). Every file is held as bytes
// the test may overwrite before writing, which is how hostile layouts are
// made.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/tar_writer.h"

namespace ckptfs::test {

inline constexpr const char* kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";

class OciLayoutWriter {
 public:
  OciLayoutWriter();
  // Stores bytes as a blob; returns its descriptor {mediaType, digest, size}.
  nlohmann::json blob(const std::string& media_type, const std::string& bytes);
  // A config and a manifest over the layers' descriptors; returns the
  // manifest's descriptor (ref_name, when given, as its index annotation).
  nlohmann::json image(const std::vector<nlohmann::json>& layers,
                       const std::map<std::string, std::string>& annotations,
                       const std::string& ref_name = "");
  // index.json naming these descriptors.
  void index(const std::vector<nlohmann::json>& manifests);

  // Every file by its path in the layout ("oci-layout", "index.json",
  // "blobs/sha256/<hex>"), to break before writing.
  std::map<std::string, std::string>& files() { return files_; }

  void write_dir(const std::string& dir) const;  // dir is created
  // The layout as tar entries (directories first, as podman save writes them).
  std::vector<TarEntry> tar_entries() const;
  void write_archive(const std::string& path) const;

 private:
  std::map<std::string, std::string> files_;
};

// "sha256:<hex>" of bytes.
std::string oci_digest(const std::string& bytes);

}  // namespace ckptfs::test
