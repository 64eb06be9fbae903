#pragma once
// The OCI checkpoint image fixture (webapp2-checkpoint-image.oci.tar, made by
// podman container checkpoint --create-image and podman save --format
// oci-archive; README-pair-and-image.md) and the variants the tests build
// from it: the layout directory, an uncompressed layer, a zstd layer with
// only the Kubernetes recipe's annotation.

#include <map>
#include <string>

namespace ckptfs::test {

inline constexpr const char* kOciFixture = "webapp2-checkpoint-image.oci.tar";
// From README-pair-and-image.md.
inline constexpr const char* kOciManifestDigest =
    "sha256:8935553ea3ff8f5d96155be8e80ac5300b0f60bdac9a00e27afbd9fe3c85e0ba";
inline constexpr const char* kOciConfigDigest =
    "sha256:23d9d402ac1a2409a9f319778baf4d5b0263c7dccf2d003435e277838b74904f";
inline constexpr const char* kOciLayerDigest =
    "sha256:2613a5dda2bfe464bcfe731479915164c8a6d8ea5aadfe46f1cfdc622bed6350";
inline constexpr const char* kOciRefName = "localhost/webapp2-checkpoint:b";

// A file of the fixture archive (e.g. "blobs/sha256/<hex>"), as bytes.
std::string oci_fixture_member(const std::string& name);
// The layer blob (gzip) and the tar inside it.
std::string oci_fixture_layer_gzip();
std::string oci_fixture_layer_tar();
// The manifest's annotations, as the fixture holds them.
std::map<std::string, std::string> oci_fixture_annotations();

enum class OciVariant {
  kLayoutDir,            // tar -xf of the fixture: what podman save --format oci-dir writes
  kUncompressedArchive,  // the same image with its layer stored as a plain tar
  kKubernetesZstdDir,    // zstd layer, only io.kubernetes.cri-o.annotations.checkpoint.name
  // Not built: tests/fixtures/webapp2-pair-a.buildah-zstd.oci.tar, the
  // Kubernetes recipe run with buildah on pair-a.tar.zst (tests/fixtures/README.md).
  kBuildahPairA,
};
inline constexpr const char* kBuildahFixture = "tests/fixtures/webapp2-pair-a.buildah-zstd.oci.tar";

// Builds a variant under dir (created); returns the path to mount.
std::string make_oci_variant(OciVariant v, const std::string& dir);

}  // namespace ckptfs::test
