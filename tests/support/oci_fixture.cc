#include "support/oci_fixture.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "support/oci_writer.h"
#include "support/paths.h"
#include "support/tar_writer.h"

namespace ckptfs::test {

namespace {

std::string sh_out(const std::string& cmd) {
  CommandResult r = run(cmd);
  if (r.status != 0) throw std::runtime_error("`" + cmd + "` failed: " + r.err);
  return r.out;
}

}  // namespace

std::string oci_fixture_member(const std::string& name) {
  std::string all = read_file(fixture(kOciFixture));
  auto members = tar_members(all);
  auto it = members.find(name);
  if (it == members.end()) throw std::runtime_error(std::string(kOciFixture) + " has no " + name);
  return all.substr(it->second.data, it->second.size);
}

std::string oci_fixture_layer_gzip() {
  return oci_fixture_member("blobs/sha256/" + std::string(kOciLayerDigest).substr(7));
}

std::string oci_fixture_layer_tar() {
  // GNU gzip, not ckptfs's libarchive, unpacks it.
  return sh_out("tar -xOf " + shell_quote(fixture(kOciFixture)) + " blobs/sha256/" +
                std::string(kOciLayerDigest).substr(7) + " | gzip -dc");
}

std::map<std::string, std::string> oci_fixture_annotations() {
  auto manifest = nlohmann::json::parse(
      oci_fixture_member("blobs/sha256/" + std::string(kOciManifestDigest).substr(7)));
  return manifest["annotations"].get<std::map<std::string, std::string>>();
}

std::string make_oci_variant(OciVariant v, const std::string& dir) {
  std::filesystem::create_directories(dir);
  switch (v) {
    case OciVariant::kLayoutDir: {
      std::string out = dir + "/layout";
      std::filesystem::create_directory(out);
      sh_out("tar -xf " + shell_quote(fixture(kOciFixture)) + " -C " + shell_quote(out));
      return out;
    }
    case OciVariant::kUncompressedArchive: {
      OciLayoutWriter w;
      auto layer = w.blob(kOciLayerTar, oci_fixture_layer_tar());
      w.index({w.image({layer}, oci_fixture_annotations(), kOciRefName)});
      std::string out = dir + "/uncompressed.oci.tar";
      w.write_archive(out);
      return out;
    }
    case OciVariant::kKubernetesZstdDir: {
      std::string tar = dir + "/layer.tar";
      write_file(tar, oci_fixture_layer_tar());
      std::string zst = sh_out("zstd -q -c " + shell_quote(tar));
      if (!zst.starts_with("\x28\xb5\x2f\xfd")) throw std::runtime_error("zstd wrote no zstd");
      OciLayoutWriter w;
      auto layer = w.blob(kOciLayerZstd, zst);
      w.index({w.image({layer}, {{"io.kubernetes.cri-o.annotations.checkpoint.name", "webapp2"}},
                       "localhost/webapp2:checkpoint")});
      std::string out = dir + "/kube-layout";
      w.write_dir(out);
      return out;
    }
    case OciVariant::kBuildahPairA:
      return source_dir() + "/" + kBuildahFixture;
  }
  throw std::logic_error("unknown OCI variant");
}

}  // namespace ckptfs::test
