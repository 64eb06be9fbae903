#include "source/oci_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "source/sha256.h"
#include "util/error.h"

namespace ckptfs {

namespace {

using nlohmann::json;

bool is_index_type(std::string_view t) {
  return t == "application/vnd.oci.image.index.v1+json" ||
         t == "application/vnd.docker.distribution.manifest.list.v2+json";
}
bool is_manifest_type(std::string_view t) {
  return t == "application/vnd.oci.image.manifest.v1+json" ||
         t == "application/vnd.docker.distribution.manifest.v2+json";
}
// …layer.v1.tar, tar+gzip, tar+zstd, Docker's rootfs.diff.tar.gzip; their
// content says which compression, not this. Encrypted layers cannot be read.
bool is_tar_layer(std::string_view t) {
  return t.empty() || (t.find(".tar") != std::string_view::npos &&
                       t.find("encrypted") == std::string_view::npos);
}

std::string string_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::map<std::string, std::string> annotations_of(const json& j) {
  std::map<std::string, std::string> out;
  auto it = j.find("annotations");
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

class Walker {
 public:
  explicit Walker(const OciStore& s) : s_(s) {}

  std::vector<FoundOciImage> run() {
    json layout = document("oci-layout", nullptr);
    if (string_at(layout, "imageLayoutVersion").empty())
      fail(s_.shown("oci-layout"), "not an OCI image layout marker: no imageLayoutVersion");
    std::vector<std::string> path;
    index("index.json", document("index.json", nullptr), 0, path);
    return std::move(images_);
  }

 private:
  // A JSON document of the layout; d, when given, is the descriptor that
  // named it: its size and digest must match. With `mismatch`, a wrong digest
  // is left there for the caller to report after a more telling problem.
  json document(const std::string& rel, const OciDescriptor* d, std::string* mismatch = nullptr) {
    auto blob = s_.file(rel);
    std::string where = s_.shown(rel);
    if (!blob) fail(where, "{}", d ? "missing blob" : "missing: not a complete OCI image layout");
    if (blob->size() > kMaxOciJson)
      fail(where, "{} bytes: more than the {} MiB an OCI JSON document may have", blob->size(),
           kMaxOciJson >> 20);
    if (d && blob->size() != d->size)
      fail(where, "{} bytes, but its descriptor says {}", blob->size(), d->size);
    std::string text = blob->read_all(kMaxOciJson);
    if (d) {
      std::string got = sha256_hex(text);
      if ("sha256:" + got != d->digest) {
        if (!mismatch) digest_mismatch(where, got);
        *mismatch = got;
      }
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(where, "not a JSON object");
    return j;
  }

  [[noreturn]] static void digest_mismatch(const std::string& where, const std::string& got) {
    fail(where, "content does not match its digest (its sha256 is {})", got);
  }

  OciDescriptor descriptor(const json& j, const std::string& in, const std::string& what) {
    std::string where = s_.shown(in);
    if (!j.is_object()) fail(where, "{}: not a descriptor (a JSON object)", what);
    OciDescriptor d;
    auto digest = j.find("digest");
    if (digest == j.end() || !digest->is_string()) fail(where, "{}: no digest", what);
    d.digest = digest->get<std::string>();
    if (!is_sha256_digest(d.digest))
      fail(where, "{}: digest {} is not \"sha256:\" and 64 lowercase hex digits", what,
           printable(d.digest));
    auto size = j.find("size");
    if (size == j.end() || !size->is_number_unsigned())
      fail(where, "{}: no size (a non-negative integer)", what);
    d.size = size->get<uint64_t>();
    d.media_type = string_at(j, "mediaType");
    return d;
  }

  // Whether index doc (named by digest) lists itself or an index it is in.
  static bool refers_to(const json& doc, const std::string& digest,
                        const std::vector<std::string>& path) {
    auto list = doc.find("manifests");
    if (list == doc.end() || !list->is_array()) return false;
    for (const auto& e : *list) {
      std::string d = e.is_object() ? string_at(e, "digest") : "";
      if (d == digest || std::find(path.begin(), path.end(), d) != path.end()) return true;
    }
    return false;
  }

  void index(const std::string& rel, const json& doc, int depth, std::vector<std::string>& path) {
    std::string where = s_.shown(rel);
    auto list = doc.find("manifests");
    if (list == doc.end() || !list->is_array())
      fail(where, "not an OCI image index: no \"manifests\" list");
    for (size_t i = 0; i < list->size(); ++i) {
      const json& entry = (*list)[i];
      std::string what = fmt::format("manifests[{}]", i);
      OciDescriptor d = descriptor(entry, rel, what);
      std::string ref = string_at(entry.value("annotations", json::object()),
                                  "org.opencontainers.image.ref.name");
      if (auto seen = manifests_.find(d.digest); seen != manifests_.end()) {
        // One image named twice (two tags): mounted once, under the first name.
        if (seen->second && images_[*seen->second].image.ref_name.empty())
          images_[*seen->second].image.ref_name = ref;
        continue;
      }
      std::string child = blob_path(d.digest);
      std::string mismatch;
      json sub = document(child, &d, &mismatch);
      std::string type = d.media_type.empty() ? string_at(sub, "mediaType") : d.media_type;
      bool is_index = is_index_type(type) || (type.empty() && sub.contains("manifests"));
      bool is_manifest = is_manifest_type(type) || (type.empty() && sub.contains("layers"));
      // An index cannot hold its own digest and match it, so a loop always
      // breaks a digest too: name the loop, it says more.
      if (is_index && refers_to(sub, d.digest, path))
        fail(s_.shown(child), "an image index that refers to itself (directly or through another)");
      if (!mismatch.empty()) digest_mismatch(s_.shown(child), mismatch);
      if (is_index) {
        manifests_[d.digest] = std::nullopt;
        if (depth + 1 > kMaxIndexDepth)
          fail(s_.shown(child), "image indexes nest more than {} deep", kMaxIndexDepth);
        path.push_back(d.digest);
        index(child, sub, depth + 1, path);
        path.pop_back();
      } else if (is_manifest) {
        manifests_[d.digest] = images_.size();
        manifest(d, sub, ref);
        // Left out (no tar layer): nothing to point at.
        if (*manifests_[d.digest] >= images_.size()) manifests_[d.digest] = std::nullopt;
      } else {
        manifests_[d.digest] = std::nullopt;  // an artifact, a signature: not an image
      }
    }
  }

  void manifest(const OciDescriptor& d, const json& doc, const std::string& ref) {
    std::string rel = blob_path(d.digest);
    std::string where = s_.shown(rel);
    if (images_.size() >= kMaxOciImages)
      fail(s_.origin(), "more than {} image manifests: too many to mount", kMaxOciImages);
    FoundOciImage found;
    OciImage& img = found.image;
    img.layout = s_.kind();
    img.manifest = d;
    img.ref_name = ref;
    img.annotations = annotations_of(doc);
    auto config = doc.find("config");
    if (config == doc.end()) fail(where, "not an image manifest: no config descriptor");
    img.config = descriptor(*config, rel, "config");
    json cfg = document(blob_path(img.config.digest), &img.config);
    img.created = string_at(cfg, "created");
    img.architecture = string_at(cfg, "architecture");
    img.os = string_at(cfg, "os");
    auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array())
      fail(where, "not an image manifest: no \"layers\" list");
    for (size_t i = 0; i < layers->size(); ++i) {
      OciDescriptor l = descriptor((*layers)[i], rel, fmt::format("layers[{}]", i));
      if (!is_tar_layer(l.media_type)) continue;
      std::string lrel = blob_path(l.digest);
      auto blob = s_.file(lrel);
      if (!blob) fail(s_.shown(lrel), "missing blob (layer {} of {})", i, d.digest);
      if (blob->size() != l.size)
        fail(s_.shown(lrel), "{} bytes, but its descriptor says {}", blob->size(), l.size);
      img.layers.push_back({l, "", ""});
      found.layer_blobs.push_back(std::move(blob));
    }
    if (!img.layers.empty()) images_.push_back(std::move(found));
  }

  const OciStore& s_;
  std::vector<FoundOciImage> images_;
  // Every descriptor digest handled, and the image it became (if any): an
  // index listed twice is walked once, so no fan-out can grow exponentially.
  std::map<std::string, std::optional<size_t>> manifests_;
};

}  // namespace

std::vector<FoundOciImage> read_oci_images(const OciStore& store) { return Walker(store).run(); }

bool has_checkpoint_annotations(const OciImage& image) {
  for (const auto& [key, value] : image.annotations)
    if (key.starts_with("io.podman.annotations.checkpoint.") ||
        key.starts_with("io.kubernetes.cri-o.annotations.checkpoint.") ||
        key.starts_with("org.criu.checkpoint."))
      return true;
  return false;
}

}  // namespace ckptfs
