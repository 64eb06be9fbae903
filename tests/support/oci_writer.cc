#include "support/oci_writer.h"

#include <filesystem>

#include "support/paths.h"

namespace ckptfs::test {

using nlohmann::json;

std::string oci_digest(const std::string& bytes) { return "sha256:" + sha256_hex(bytes); }

OciLayoutWriter::OciLayoutWriter() { files_["oci-layout"] = R"({"imageLayoutVersion": "1.0.0"})"; }

json OciLayoutWriter::blob(const std::string& media_type, const std::string& bytes) {
  std::string digest = oci_digest(bytes);
  files_["blobs/sha256/" + digest.substr(7)] = bytes;
  return {{"mediaType", media_type}, {"digest", digest}, {"size", bytes.size()}};
}

json OciLayoutWriter::image(const std::vector<json>& layers,
                            const std::map<std::string, std::string>& annotations,
                            const std::string& ref_name) {
  json diff_ids = json::array();
  for (size_t i = 0; i < layers.size(); ++i) diff_ids.push_back(layers[i]["digest"]);
  json config = {{"created", "2026-12-04T15:32:45.332786492Z"},
                 {"architecture", "amd64"},
                 {"os", "linux"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", kOciManifest},
                   {"config", blob("application/vnd.oci.image.config.v1+json", config.dump())},
                   {"layers", layers}};
  if (!annotations.empty()) manifest["annotations"] = annotations;
  json d = blob(kOciManifest, manifest.dump());
  if (!ref_name.empty()) d["annotations"] = {{"org.opencontainers.image.ref.name", ref_name}};
  return d;
}

void OciLayoutWriter::index(const std::vector<json>& manifests) {
  files_["index.json"] = json{{"schemaVersion", 2}, {"manifests", manifests}}.dump();
}

void OciLayoutWriter::write_dir(const std::string& dir) const {
  std::filesystem::create_directories(dir + "/blobs/sha256");
  for (const auto& [rel, bytes] : files_) write_file(dir + "/" + rel, bytes);
}

std::vector<TarEntry> OciLayoutWriter::tar_entries() const {
  std::vector<TarEntry> out = {{.name = "blobs/", .type = AE_IFDIR, .perm = 0755},
                               {.name = "blobs/sha256/", .type = AE_IFDIR, .perm = 0755}};
  for (const auto& [rel, bytes] : files_) out.push_back({.name = rel, .data = bytes});
  return out;
}

void OciLayoutWriter::write_archive(const std::string& path) const {
  write_file(path, make_tar(tar_entries()));
}

}  // namespace ckptfs::test
