// OCI checkpoint images inside a collection (`ckptfs DIR MNT`): Podman's
// --create-image oci-archive (gzip layer), the Kubernetes buildah recipe's
// (zstd layer), the former unpacked as an image layout directory, and a
// layout whose layer blob is missing. Each gets its row from its layer's
// config.dump (read here with tar and zstd/gzip), mounting decompresses no
// layer and opens nothing, and each tree is the one the image mounts as
// alone, with memory matching the ground truth.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "support/groundtruth.h"
#include "support/memory_check.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPodmanImage = "webapp2-checkpoint-image.oci.tar";
constexpr const char* kBuildahImage = "webapp2-pair-a.buildah-zstd.oci.tar";

// The only layer of a single-manifest layout directory, as a path.
std::string layer_of(const std::string& layout) {
  json index = json::parse(read_file(layout + "/index.json"));
  std::string m = index["manifests"][0]["digest"];
  json manifest = json::parse(read_file(layout + "/blobs/sha256/" + m.substr(7)));
  std::string l = manifest["layers"][0]["digest"];
  return layout + "/blobs/sha256/" + l.substr(7);
}

// config.dump of an image layout directory's layer.
json config_dump(const std::string& layout) {
  // GNU tar recognises gzip and zstd by their magic.
  auto r = run("tar -xOf " + shell_quote(layer_of(layout)) + " config.dump");
  EXPECT_EQ(r.status, 0) << r.err;
  return json::parse(r.out);
}

size_t files_in(const std::string& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

class CollectionOci : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(have_fixtures()) << "the fixtures are missing: " << fixtures_dir();
    fs::copy_file(fixture(kPodmanImage), dir_ / kPodmanImage);
    fs::copy_file(repo_fixture(kBuildahImage), dir_ / kBuildahImage);
    fs::create_directory(dir_ / "layout");
    ASSERT_EQ(
        run("tar -xf " + shell_quote(fixture(kPodmanImage)) + " -C " + shell_quote(dir_ / "layout"))
            .status,
        0);
    // Unpacked here too, to read what the images hold with tar alone.
    for (const char* a : {kPodmanImage, kBuildahImage}) {
      std::string to = unpacked_ / a;
      fs::create_directory(to);
      ASSERT_EQ(run("tar -xf " + shell_quote(dir_ / a) + " -C " + shell_quote(to)).status, 0);
    }
    ASSERT_EQ(
        run("cp -a " + shell_quote(dir_ / "layout") + " " + shell_quote(dir_ / "broken")).status,
        0);
    fs::remove(layer_of(dir_ / "broken"));
  }
  void mount() {
    m_ = std::make_unique<Mount>(std::vector<std::string>{dir_.path()},
                                 std::vector<std::string>{"-o", "cache=" + cache_.path()});
  }
  json row(const std::string& archive) {
    for (const auto& r : json::parse(read_file(*m_ / "checkpoints.json")))
      if (r["archive"] == archive) return r;
    ADD_FAILURE() << "no row for " << archive;
    return json::object();
  }

  TempDir dir_, unpacked_, cache_;
  std::unique_ptr<Mount> m_;
};

TEST_F(CollectionOci, EachImageHasTheRowItsLayerSays) {
  mount();
  struct Case {
    std::string archive, unpacked, kind;
  };
  for (const Case& c : {Case{kPodmanImage, unpacked_ / kPodmanImage, "OCI archive"},
                        Case{kBuildahImage, unpacked_ / kBuildahImage, "OCI archive"},
                        Case{"layout", dir_ / "layout", "OCI image layout"}}) {
    SCOPED_TRACE(c.archive);
    json config = config_dump(c.unpacked);
    json r = row(c.archive);
    EXPECT_EQ(r["container"], config["name"]);
    EXPECT_EQ(r["container"], "webapp2") << "README-pair-and-image.md";
    EXPECT_EQ(r["engine"], "Podman");
    EXPECT_EQ(r["kind"], c.kind);
    EXPECT_EQ(r["error"], nullptr);
    EXPECT_EQ(r["state"], "not yet opened");
    ASSERT_TRUE(r["name"].is_string());
    EXPECT_TRUE(fs::is_directory(*m_ / r["name"].get<std::string>()));
  }
  json b = row("broken");
  EXPECT_EQ(b["name"], nullptr);
  EXPECT_EQ(b["state"], "error");
  std::string gone = fs::path(layer_of(dir_ / "broken")).filename();
  EXPECT_NE(b["error"].get<std::string>().find(gone), std::string::npos) << b["error"];
  // Listing the table and the top decompressed no layer.
  EXPECT_EQ(files_in(cache_.path()), 0u);
  EXPECT_TRUE(m_->unmount()) << m_->log();
}

TEST_F(CollectionOci, EachTreeIsTheOneTheImageMountsAlone) {
  mount();
  for (const char* a : {kPodmanImage, kBuildahImage, "layout"}) {
    SCOPED_TRACE(a);
    std::string mine = *m_ / row(a)["name"].get<std::string>();
    Mount alone(dir_ / a);
    EXPECT_EQ(tree_listing(mine), tree_listing(alone.path()));
    for (const char* f : {"ps", "raw/pstree.img.json", "net/sockets"})
      EXPECT_EQ(read_file(mine + "/" + f), read_file(alone / f)) << f;
    EXPECT_TRUE(alone.unmount()) << alone.log();
  }
  // The images' truth (README-pair-and-image.md: the image was made after B;
  // the buildah one from A).
  expect_memory_matches_groundtruth(*m_ / row(kPodmanImage)["name"].get<std::string>(),
                                    load_groundtruth("image"));
  expect_memory_matches_groundtruth(*m_ / row(kBuildahImage)["name"].get<std::string>(),
                                    load_groundtruth("pair-a"));
  EXPECT_TRUE(m_->unmount()) << m_->log();
}

}  // namespace
}  // namespace ckptfs::test
