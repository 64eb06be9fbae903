// Checkpoints shipped as OCI images: the Podman fixture as an oci-archive and
// as a layout directory, layouts the tests write (several images, nested
// indexes, several layers, base images beside the checkpoint), the digest
// checks, and every hostile layout refused by the real binary with one line,
// status 1 and nothing mounted. What the image says is checked against
// README-pair-and-image.md.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "model/loader.h"
#include "source/layout.h"
#include "source/source.h"
#include "support/groundtruth.h"
#include "support/image_writer.h"
#include "support/input_error.h"
#include "support/mount.h"
#include "support/oci_fixture.h"
#include "support/oci_writer.h"
#include "support/paths.h"
#include "support/rejected.h"
#include "support/tar_writer.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A minimal CRIU checkpoint (one process named comm) as tar entries under
// checkpoint/, the layout of an export archive.
std::vector<TarEntry> tiny_checkpoint(const std::string& comm) {
  TempDir tmp;
  ImageDirWriter w(tmp.path());
  w.inventory();
  w.process(1, 0, comm);
  w.finish();
  std::vector<TarEntry> out = {{.name = "checkpoint/", .type = AE_IFDIR, .perm = 0700}};
  for (const auto& e : fs::directory_iterator(tmp.path()))
    out.push_back(
        {.name = "checkpoint/" + e.path().filename().string(), .data = read_file(e.path())});
  return out;
}

std::string tiny_layer(const std::string& comm, TarFilter f = TarFilter::kNone) {
  return make_tar(tiny_checkpoint(comm), f);
}

const std::map<std::string, std::string> kPodmanName = {
    {"io.podman.annotations.checkpoint.name", "tiny"}};

SourceLimits no_persist() { return SourceLimits{}; }

SourceLimits persisting(const std::string& dir) {
  SourceLimits l;
  l.cache.persist = true;
  l.cache.dir = dir;
  l.cache.dir_given = true;
  return l;
}

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
  return out;
}

// ---- The fixture, read as a Source: what README-pair-and-image.md says.

TEST(OciSource, FixtureArchiveNamesItsImageAsTheReadmeSays) {
  CKPTFS_REQUIRE_FIXTURES();
  auto src = open_source(fixture(kOciFixture));
  EXPECT_EQ(src->packing, Packing::OciArchive);
  ASSERT_EQ(src->oci_images.size(), 1u);
  const OciImage& img = src->oci_images[0];
  EXPECT_EQ(img.member_prefix, "");
  EXPECT_EQ(img.ref_name, kOciRefName);
  EXPECT_EQ(img.manifest.digest, kOciManifestDigest);
  EXPECT_EQ(img.manifest.size, 1536u);
  EXPECT_EQ(img.config.digest, kOciConfigDigest);
  EXPECT_EQ(img.config.size, 286u);
  EXPECT_EQ(img.architecture, "amd64");
  EXPECT_EQ(img.os, "linux");
  ASSERT_EQ(img.layers.size(), 1u);
  EXPECT_EQ(img.layers[0].blob.digest, kOciLayerDigest);
  EXPECT_EQ(img.layers[0].blob.size, 158604u);
  EXPECT_EQ(img.layers[0].blob.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(img.layers[0].compression, "gzip");
  EXPECT_EQ(img.annotations.at("io.podman.annotations.checkpoint.name"), "webapp2");
  EXPECT_EQ(img.annotations.at("io.podman.annotations.checkpoint.criu.version"), "40300");
  EXPECT_EQ(img.annotations.size(), 16u);
}

// The members are the layer's content, by the names GNU tar lists in it (the
// layout's own files are not members).
TEST(OciSource, FixtureMembersAreWhatTarListsInTheLayer) {
  CKPTFS_REQUIRE_FIXTURES();
  auto src = open_source(fixture(kOciFixture));
  auto r = run("tar -xOf " + shell_quote(fixture(kOciFixture)) + " blobs/sha256/" +
               std::string(kOciLayerDigest).substr(7) + " | tar -tzf -");
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<std::string> listed;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    listed.insert(l.ends_with('/') ? l.substr(0, l.size() - 1) : l);
  std::set<std::string> ours;
  for (const auto& [name, m] : src->members) ours.insert(name);
  EXPECT_EQ(ours, listed);
  EXPECT_FALSE(src->find("index.json"));
  auto layouts = detect_layouts(*src);
  ASSERT_EQ(layouts.size(), 1u);
  EXPECT_EQ(layouts[0].image_dir, "checkpoint/");
  EXPECT_EQ(layouts[0].oci_image, 0);
}

// An uncompressed layer is a byte range of the oci-archive: its members are
// ranges of the archive file itself, nothing copied.
TEST(OciSource, UncompressedLayerInAnArchiveIsServedInPlace) {
  TempDir tmp;
  OciLayoutWriter w;
  std::string layer = tiny_layer("app");
  w.index({w.image({w.blob(kOciLayerTar, layer)}, kPodmanName)});
  std::string archive = tmp / "img.oci.tar";
  w.write_archive(archive);
  auto src = open_source(archive, no_persist());
  const Member* m = src->find("checkpoint/pstree.img");
  ASSERT_TRUE(m);
  auto* fb = dynamic_cast<const FileBlob*>(m->blob.get());
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->file()->path(), archive);
  std::string all = read_file(archive);
  std::string expected;
  for (const auto& e : tiny_checkpoint("app"))
    if (e.name == "checkpoint/pstree.img") expected = e.data;
  EXPECT_EQ(all.substr(fb->offset(), fb->size()), expected);
  EXPECT_EQ(src->oci_images[0].layers[0].compression, "none");
  EXPECT_EQ(src->oci_images[0].layers[0].verification, "sha256 checked at mount");
}

TEST(OciSource, UncompressedLayerInADirectoryIsServedFromItsBlob) {
  TempDir tmp;
  OciLayoutWriter w;
  json layer = w.blob(kOciLayerTar, tiny_layer("app"));
  w.index({w.image({layer}, kPodmanName)});
  w.write_dir(tmp / "layout");
  auto src = open_source(tmp / "layout", no_persist());
  EXPECT_EQ(src->packing, Packing::OciLayout);
  auto* fb = dynamic_cast<const FileBlob*>(src->find("checkpoint/pstree.img")->blob.get());
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->file()->path(),
            tmp / "layout" + "/blobs/sha256/" + layer["digest"].get<std::string>().substr(7));
}

// ---- The digest checks and what the cache remembers of them.

TEST(OciSource, UncompressedLayerIsHashedOnceThenRememberedUntilTheFileChanges) {
  TempDir tmp;
  OciLayoutWriter w;
  // 1 MiB more than the cache's identity samples (64 KiB at each end).
  auto entries = tiny_checkpoint("app");
  entries.push_back({.name = "padding.bin", .data = std::string(1 << 20, 'p')});
  w.index({w.image({w.blob(kOciLayerTar, make_tar(entries))}, kPodmanName)});
  std::string archive = tmp / "img.oci.tar";
  w.write_archive(archive);
  fs::create_directory(tmp / "cache");
  auto first = open_source(archive, persisting(tmp / "cache"));
  EXPECT_EQ(first->oci_images[0].layers[0].verification, "sha256 checked at mount");
  EXPECT_EQ(entries_of(tmp / "cache").size(), 1u);
  auto second = open_source(archive, persisting(tmp / "cache"));
  EXPECT_EQ(second->oci_images[0].layers[0].verification,
            "sha256 checked at an earlier mount (remembered by the cache)");
  // One byte in the middle changed in place, away from the sampled ends, and
  // the mtime set back: only the ctime tells, and then the hash catches it.
  struct stat st {};
  ASSERT_EQ(::stat(archive.c_str(), &st), 0);
  auto* fb = dynamic_cast<const FileBlob*>(second->find("padding.bin")->blob.get());
  ASSERT_TRUE(fb);
  uint64_t at = fb->offset() + fb->size() / 2;
  second.reset();
  first.reset();
  std::string all = read_file(archive);
  all[at] ^= 0x01;
  write_file(archive, all);
  const timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, archive.c_str(), times, 0), 0);
  EXPECT_TRUE(Mentions(error_of([&] { open_source(archive, persisting(tmp / "cache")); }),
                       archive + ":blobs/sha256/", {"does not match its digest"}));
}

TEST(OciSource, CompressedLayerIsCheckedInTheDecompressingPassAndCachedOnlyIfItMatches) {
  TempDir tmp;
  OciLayoutWriter w;
  std::string gz = tiny_layer("app", TarFilter::kGzip);
  json layer = w.blob(kOciLayerGzip, gz);
  w.index({w.image({layer}, kPodmanName)});
  std::string archive = tmp / "img.oci.tar";
  w.write_archive(archive);
  fs::create_directory(tmp / "cache");
  auto first = open_source(archive, persisting(tmp / "cache"));
  EXPECT_EQ(first->oci_images[0].layers[0].verification, "sha256 checked while decompressing");
  EXPECT_EQ(entries_of(tmp / "cache").size(), 1u);
  auto second = open_source(archive, persisting(tmp / "cache"));
  EXPECT_EQ(second->oci_images[0].layers[0].verification,
            "sha256 checked when first decompressed (served from the cache)");

  // The same layout with one byte of the deflate stream changed.
  std::string bad = gz;
  bad[bad.size() / 2] ^= 0x20;
  OciLayoutWriter w2;
  w2.files() = w.files();
  w2.files()["blobs/sha256/" + layer["digest"].get<std::string>().substr(7)] = bad;
  std::string tampered = tmp / "tampered.oci.tar";
  w2.write_archive(tampered);
  fs::create_directory(tmp / "cache2");
  EXPECT_TRUE(Mentions(error_of([&] { open_source(tampered, persisting(tmp / "cache2")); }),
                       tampered + ":blobs/sha256/" + layer["digest"].get<std::string>().substr(7),
                       {"does not match its digest"}));
  EXPECT_TRUE(entries_of(tmp / "cache2").empty()) << "a refused layer left a cache entry";
}

// An oci-archive that is itself gzip'ed lives in the cache once decompressed;
// its layer's entry is keyed to the archive, not to that cache file (whose
// times change whenever the cache uses it), so the next open hits both.
TEST(OciSource, LayersOfACompressedArchiveAreCachedToo) {
  TempDir tmp;
  OciLayoutWriter w;
  w.index({w.image({w.blob(kOciLayerGzip, tiny_layer("app", TarFilter::kGzip))}, kPodmanName)});
  std::string archive = tmp / "img.oci.tar.gz";
  write_file(archive, make_tar(w.tar_entries(), TarFilter::kGzip));
  fs::create_directory(tmp / "cache");
  for (int i = 0; i < 3; ++i) {
    auto src = open_source(archive, persisting(tmp / "cache"));
    EXPECT_EQ(src->packing, Packing::OciArchive);
    EXPECT_EQ(src->oci_images[0].layers[0].verification,
              i == 0 ? "sha256 checked while decompressing"
                     : "sha256 checked when first decompressed (served from the cache)")
        << "open " << i;
    EXPECT_TRUE(src->find("checkpoint/pstree.img"));
  }
  EXPECT_EQ(entries_of(tmp / "cache").size(), 2u) << "the archive's entry and its layer's";
}

// ---- Several images, nested indexes, several layers.

TEST(OciSource, EveryImageWithACheckpointIsOneCheckpointUnderItsOwnPrefix) {
  TempDir tmp;
  OciLayoutWriter w;
  json a = w.image({w.blob(kOciLayerTar, tiny_layer("alpha"))}, kPodmanName, "example/a:1");
  json b = w.image({w.blob(kOciLayerGzip, tiny_layer("beta", TarFilter::kGzip))}, kPodmanName,
                   "example/b:1");
  w.index({a, b});
  w.write_dir(tmp / "layout");
  auto src = std::shared_ptr<const Source>(open_source(tmp / "layout", no_persist()));
  ASSERT_EQ(src->oci_images.size(), 2u);
  EXPECT_NE(src->oci_images[0].member_prefix, src->oci_images[1].member_prefix);
  auto cps = load_checkpoints(src, "layout");
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_EQ(cps[0]->name, "tiny");
  EXPECT_EQ(cps[1]->name, "tiny-2");
  EXPECT_EQ(cps[0]->procs.at(1).comm, "alpha");
  EXPECT_EQ(cps[1]->procs.at(1).comm, "beta");
  EXPECT_EQ(cps[0]->info.oci->ref_name, "example/a:1");
  EXPECT_EQ(cps[1]->info.oci->ref_name, "example/b:1");
}

TEST(OciSource, AnImageNamedTwiceIsMountedOnce) {
  TempDir tmp;
  OciLayoutWriter w;
  json m = w.image({w.blob(kOciLayerTar, tiny_layer("app"))}, kPodmanName, "example/a:1");
  json again = m;
  again["annotations"]["org.opencontainers.image.ref.name"] = "example/a:latest";
  w.index({m, again});
  w.write_dir(tmp / "layout");
  auto src = open_source(tmp / "layout", no_persist());
  ASSERT_EQ(src->oci_images.size(), 1u);
  EXPECT_EQ(src->oci_images[0].ref_name, "example/a:1");
}

// A multi-platform image: index.json -> image index -> manifest, up to 8
// levels of nested indexes.
json nest(OciLayoutWriter& w, json inner, int levels) {
  for (int i = 0; i < levels; ++i)
    inner = w.blob(
        kOciIndex,
        json{{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", json::array({inner})}}
            .dump());
  return inner;
}

TEST(OciSource, NestedIndexesAreFollowedUpToEightDeep) {
  TempDir tmp;
  OciLayoutWriter w;
  json m = w.image({w.blob(kOciLayerTar, tiny_layer("app"))}, kPodmanName);
  w.index({nest(w, m, 8)});
  w.write_dir(tmp / "layout");
  auto src = open_source(tmp / "layout", no_persist());
  ASSERT_EQ(src->oci_images.size(), 1u);
  EXPECT_EQ(src->oci_images[0].manifest.digest, m["digest"]);
}

TEST(OciSource, LayersApplyInOrderWithWhiteouts) {
  TempDir tmp;
  OciLayoutWriter w;
  auto base = tiny_checkpoint("app");
  base.push_back({.name = "junk/", .type = AE_IFDIR});
  base.push_back({.name = "junk/a.txt", .data = "a"});
  base.push_back({.name = "notes.txt", .data = "old"});
  base.push_back({.name = "keep.txt", .data = "kept"});
  std::vector<TarEntry> top = {{.name = ".wh.junk"},
                               {.name = ".wh.notes.txt"},
                               {.name = "notes.txt", .data = "new"},
                               {.name = "added.txt", .data = "added"}};
  w.index({w.image({w.blob(kOciLayerGzip, make_tar(base, TarFilter::kGzip)),
                    w.blob(kOciLayerTar, make_tar(top))},
                   kPodmanName)});
  w.write_dir(tmp / "layout");
  auto src = open_source(tmp / "layout", no_persist());
  EXPECT_FALSE(src->find("junk"));
  EXPECT_FALSE(src->find("junk/a.txt"));
  EXPECT_FALSE(src->find(".wh.junk"));
  EXPECT_EQ(src->find("notes.txt")->blob->read_all(100), "new");
  EXPECT_EQ(src->find("keep.txt")->blob->read_all(100), "kept");
  EXPECT_EQ(src->find("added.txt")->blob->read_all(100), "added");
  EXPECT_TRUE(src->find("checkpoint/inventory.img"));
  EXPECT_EQ(src->oci_images[0].layers.size(), 2u);
}

// A base image saved beside the checkpoint image is not even read when the
// checkpoint image says what it is: its layer here is no tar at all.
TEST(OciSource, ImagesWithoutCheckpointAnnotationsAreSkippedWhenOthersHaveThem) {
  TempDir tmp;
  OciLayoutWriter w;
  json base = w.image({w.blob(kOciLayerTar, "this is not a tar archive, only some text")}, {},
                      "docker.io/library/debian:12");
  json ckpt = w.image({w.blob(kOciLayerTar, tiny_layer("app"))}, kPodmanName, "ckpt:1");
  w.index({base, ckpt});
  w.write_dir(tmp / "layout");
  auto src = open_source(tmp / "layout", no_persist());
  ASSERT_EQ(src->oci_images.size(), 1u);
  EXPECT_EQ(src->oci_images[0].ref_name, "ckpt:1");
  // Without any checkpoint annotation every image is read, the base too.
  OciLayoutWriter plain;
  plain.index({plain.image({plain.blob(kOciLayerTar, "this is not a tar archive, only text")}, {}),
               plain.image({plain.blob(kOciLayerTar, tiny_layer("app"))}, {})});
  plain.write_dir(tmp / "plain");
  EXPECT_TRUE(Mentions(error_of([&] { open_source(tmp / "plain", no_persist()); }),
                       tmp / "plain/blobs/sha256/", {"not a tar archive"}));
}

TEST(OciSource, NonTarLayersAndArtifactsAreLeftOut) {
  TempDir tmp;
  OciLayoutWriter w;
  json sig = w.blob("application/vnd.dev.cosign.simplesigning.v1+json", "{}");
  json img = w.image({w.blob(kOciLayerTar, tiny_layer("app")), sig}, kPodmanName);
  json artifact = w.blob("application/vnd.oci.empty.v1+json", json{{"schemaVersion", 2}}.dump());
  w.index({img, artifact});
  w.write_dir(tmp / "layout");
  auto src = open_source(tmp / "layout", no_persist());
  ASSERT_EQ(src->oci_images.size(), 1u);
  EXPECT_EQ(src->oci_images[0].layers.size(), 1u);
}

// ---- Hostile layouts, refused by the real binary.

CommandResult ckptfs(const std::vector<std::string>& args) { return run_ckptfs(args); }

// A valid layout of the tiny checkpoint, and the names of its blobs.
struct Valid {
  OciLayoutWriter w;
  json layer, manifest;
  std::string config;  // digest
  Valid(bool gzip = false) {
    layer = gzip ? w.blob(kOciLayerGzip, tiny_layer("app", TarFilter::kGzip))
                 : w.blob(kOciLayerTar, tiny_layer("app"));
    manifest = w.image({layer}, kPodmanName, "tiny:1");
    config = json::parse(w.files()[blob(manifest)])["config"]["digest"];
    w.index({manifest});
  }
  static std::string blob(const json& d) { return blob(d["digest"].get<std::string>()); }
  static std::string blob(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }
  std::string& index() { return w.files()["index.json"]; }
  // index.json with manifests[0] replaced.
  void index_entry(const json& e) {
    index() = json{{"schemaVersion", 2}, {"manifests", {e}}}.dump();
  }
};

enum class Packed { kDir, kArchive };

struct HostileCase {
  std::string name;
  // Breaks the layout; returns the layout file the message must name.
  std::function<std::string(Valid&)> breaks;
  std::vector<std::string> problem;
  std::vector<Packed> packings = {Packed::kDir, Packed::kArchive};
  // For what bytes alone cannot say: symlinks, FIFOs, archive member types.
  std::function<void(const std::string& dir, Valid&)> in_dir = nullptr;
  std::function<void(std::vector<TarEntry>&, Valid&)> in_archive = nullptr;
};

std::string fake_digest(char c) { return "sha256:" + std::string(64, c); }

json index_doc(const std::vector<json>& manifests) {
  return {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", manifests}};
}

std::vector<HostileCase> hostile_cases() {
  return {
      {"DigestThatClimbsOutOfBlobs",
       [](Valid& v) {
         json e = v.manifest;
         e["digest"] = "sha256:../../etc/passwd";
         v.index_entry(e);
         return std::string("index.json");
       },
       {"manifests[0]", "sha256:../../etc/passwd", "64 lowercase hex"}},
      {"DigestInUppercaseHex",
       [](Valid& v) {
         json e = v.manifest;
         std::string d = e["digest"];
         std::transform(d.begin() + 7, d.end(), d.begin() + 7, ::toupper);
         e["digest"] = d;
         v.index_entry(e);
         return std::string("index.json");
       },
       {"digest", "64 lowercase hex"}},
      {"DigestNotSha256",
       [](Valid& v) {
         json e = v.manifest;
         e["digest"] = "sha512:" + std::string(128, 'a');
         v.index_entry(e);
         return std::string("index.json");
       },
       {"sha512:", "not \"sha256:\""}},
      {"DigestOneDigitShort",
       [](Valid& v) {
         json e = v.manifest;
         e["digest"] = e["digest"].get<std::string>().substr(0, 70);
         v.index_entry(e);
         return std::string("index.json");
       },
       {"digest"}},
      {"DescriptorWithoutDigest",
       [](Valid& v) {
         json e = v.manifest;
         e.erase("digest");
         v.index_entry(e);
         return std::string("index.json");
       },
       {"manifests[0]", "no digest"}},
      {"MissingManifestBlob",
       [](Valid& v) {
         v.w.files().erase(Valid::blob(v.manifest));
         return Valid::blob(v.manifest);
       },
       {"missing blob"}},
      {"MissingConfigBlob",
       [](Valid& v) {
         v.w.files().erase(Valid::blob(v.config));
         return Valid::blob(v.config);
       },
       {"missing blob"}},
      {"MissingLayerBlob",
       [](Valid& v) {
         v.w.files().erase(Valid::blob(v.layer));
         return Valid::blob(v.layer);
       },
       {"missing blob"}},
      {"DescriptorSizeIsWrong",
       [](Valid& v) {
         json e = v.manifest;
         e["size"] = e["size"].get<uint64_t>() + 1;
         v.index_entry(e);
         return Valid::blob(v.manifest);
       },
       {"its descriptor says"}},
      {"ManifestDoesNotMatchItsDigest",
       [](Valid& v) {
         std::string& m = v.w.files()[Valid::blob(v.manifest)];
         m[m.find("schemaVersion")] = 'S';
         return Valid::blob(v.manifest);
       },
       {"does not match its digest"}},
      {"CompressedLayerDoesNotMatchItsDigest",
       [](Valid& v) {
         // Valid(true) below; one byte inside the deflate stream.
         std::string& l = v.w.files()[Valid::blob(v.layer)];
         l[l.size() / 2] ^= 0x10;
         return Valid::blob(v.layer);
       },
       {"does not match its digest"}},
      {"UncompressedLayerDoesNotMatchItsDigest",
       [](Valid& v) {
         std::string& l = v.w.files()[Valid::blob(v.layer)];
         l[l.size() - 2000] ^= 0x01;  // in the data or padding of the last members
         return Valid::blob(v.layer);
       },
       {"does not match its digest"}},
      {"IndexThatRefersToItself",
       [](Valid& v) {
         // Stored under the digest it lists: only a broken digest can loop.
         std::string d = fake_digest('1');
         std::string self =
             index_doc({{{"mediaType", kOciIndex}, {"digest", d}, {"size", 1}}}).dump();
         v.w.files()[Valid::blob(d)] = self;
         v.index_entry({{"mediaType", kOciIndex}, {"digest", d}, {"size", self.size()}});
         return Valid::blob(d);
       },
       {"refers to itself"}},
      // a -> b -> a: a loop needs a blob that does not match its digest, and
      // the first one met (a) is refused for that.
      {"IndexLoopThroughAnother",
       [](Valid& v) {
         std::string a = fake_digest('a'), b = fake_digest('b');
         std::string doc_b =
             index_doc({{{"mediaType", kOciIndex}, {"digest", a}, {"size", 1}}}).dump();
         v.w.files()[Valid::blob(b)] = doc_b;
         std::string doc_a =
             index_doc({{{"mediaType", kOciIndex}, {"digest", b}, {"size", doc_b.size()}}}).dump();
         v.w.files()[Valid::blob(a)] = doc_a;
         v.index_entry({{"mediaType", kOciIndex}, {"digest", a}, {"size", doc_a.size()}});
         return Valid::blob(a);
       },
       {"does not match its digest"}},
      {"IndexesNestNineDeep",
       [](Valid& v) {
         v.index_entry(nest(v.w, v.manifest, 9));
         return std::string("blobs/sha256/");
       },
       {"nest more than 8 deep"}},
      {"ManifestOverFourMiB",
       [](Valid& v) {
         json m = json::parse(v.w.files()[Valid::blob(v.manifest)]);
         m["annotations"]["padding"] = std::string(4u << 20, 'x');
         json d = v.w.blob(kOciManifest, m.dump());
         v.index_entry(d);
         return Valid::blob(d);
       },
       {"more than the 4 MiB"}},
      {"IndexJsonOverFourMiB",
       [](Valid& v) {
         v.index() += std::string((4u << 20) + 1, ' ');
         return std::string("index.json");
       },
       {"more than the 4 MiB"}},
      {"IndexJsonIsNotJson",
       [](Valid& v) {
         v.index() = "{\"manifests\": [";
         return std::string("index.json");
       },
       {"not a JSON object"}},
      {"IndexJsonMissing",
       [](Valid& v) {
         v.w.files().erase("index.json");
         return std::string("index.json");
       },
       {"missing"}},
      {"OciLayoutWithoutVersion",
       [](Valid& v) {
         v.w.files()["oci-layout"] = "{}";
         return std::string("oci-layout");
       },
       {"imageLayoutVersion"}},
      {"NoImageHoldsACheckpoint",
       [](Valid& v) {
         json layer = v.w.blob(kOciLayerTar, make_tar({{.name = "etc/motd", .data = "hi\n"}}));
         v.index_entry(v.w.image({layer}, kPodmanName));
         return std::string("");
       },
       {"not a checkpoint", "no inventory.img"}},
      {"LayerBlobIsASymlinkOutOfTheLayout",
       [](Valid& v) { return Valid::blob(v.layer); },
       {"symlink"},
       {Packed::kDir},
       [](const std::string& dir, Valid& v) {
         // The same bytes, outside: only where they are is wrong.
         std::string blob = dir + "/" + Valid::blob(v.layer);
         std::string outside = dir + "/../outside-layer";
         fs::rename(blob, outside);
         fs::create_symlink(fs::absolute(outside), blob);
       }},
      {"BlobsDirectoryIsASymlink",
       [](Valid& v) { return Valid::blob(v.manifest); },
       {"symlink"},
       {Packed::kDir},
       [](const std::string& dir, Valid&) {
         fs::rename(dir + "/blobs", dir + "/../outside-blobs");
         fs::create_directory_symlink(fs::absolute(dir + "/../outside-blobs"), dir + "/blobs");
       }},
      {"BlobIsAFifo",
       [](Valid& v) { return Valid::blob(v.layer); },
       {"not a regular file"},
       {Packed::kDir},
       [](const std::string& dir, Valid& v) {
         std::string blob = dir + "/" + Valid::blob(v.layer);
         fs::remove(blob);
         ASSERT_EQ(::mkfifo(blob.c_str(), 0644), 0);
       }},
      {"ArchiveBlobIsASymlinkMember",
       [](Valid& v) { return Valid::blob(v.layer); },
       {"not a regular file"},
       {Packed::kArchive},
       nullptr,
       [](std::vector<TarEntry>& entries, Valid& v) {
         for (auto& e : entries)
           if (e.name == Valid::blob(v.layer)) {
             e.type = AE_IFLNK;
             e.symlink = "/etc/passwd";
             e.data.clear();
           }
       }},
  };
}

struct HostileParam {
  HostileCase c;
  Packed packed;
};

std::ostream& operator<<(std::ostream& o, const HostileParam& p) { return o << p.c.name; }

class OciHostile : public ::testing::TestWithParam<HostileParam> {};

TEST_P(OciHostile, IsRefusedWithOneLineAndNothingMounted) {
  const HostileParam& p = GetParam();
  TempDir tmp, mp;
  Valid v(p.c.name.starts_with("Compressed"));
  std::string rel = p.c.breaks(v);
  std::string input, named;
  if (p.packed == Packed::kDir) {
    input = tmp / "layout";
    v.w.write_dir(input);
    if (p.c.in_dir) p.c.in_dir(input, v);
    named = input + (rel.empty() ? "" : "/" + rel);
  } else {
    input = tmp / "image.oci.tar";
    auto entries = v.w.tar_entries();
    if (p.c.in_archive) p.c.in_archive(entries, v);
    write_file(input, make_tar(entries));
    named = input + (rel.empty() ? "" : ":" + rel);
  }
  EXPECT_TRUE(
      Rejected(ckptfs({"-o", "nocache", input, mp.path()}), mp.path(), {named}, p.c.problem));
}

std::vector<HostileParam> hostile_params() {
  std::vector<HostileParam> out;
  for (const auto& c : hostile_cases())
    for (Packed p : c.packings) out.push_back({c, p});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Layouts, OciHostile, ::testing::ValuesIn(hostile_params()),
                         [](const auto& p) {
                           return p.param.c.name +
                                  (p.param.packed == Packed::kDir ? "Dir" : "Archive");
                         });

// ---- Mounted: what info says about the image, against the README.

class OciFixtureInfo : public ::testing::Test {
 protected:
  void SetUp() override {
    CKPTFS_REQUIRE_FIXTURES();
    mount_ = std::make_unique<Mount>(fixture(kOciFixture));
    info_ = read_file(*mount_ / "containers/webapp2/info");
    json_ = json::parse(read_file(*mount_ / "containers/webapp2/info.json"));
  }
  void TearDown() override {
    if (mount_) {
      EXPECT_TRUE(mount_->unmount()) << mount_->log();
    }
  }
  // "  <label>:<spaces><value>" as a line of a section.
  bool has_row(const std::string& label, const std::string& value) const {
    std::istringstream in(info_);
    for (std::string l; std::getline(in, l);) {
      if (!l.starts_with("  " + label + ":")) continue;
      std::string rest = l.substr(label.size() + 3);
      size_t i = rest.find_first_not_of(' ');
      if (i != std::string::npos && rest.substr(i) == value) return true;
    }
    return false;
  }
  std::unique_ptr<Mount> mount_;
  std::string info_;
  json json_;
};

TEST_F(OciFixtureInfo, NamesTheImageItsManifestAndItsLayer) {
  EXPECT_TRUE(has_row("Reference", kOciRefName)) << info_;
  EXPECT_TRUE(has_row("Read from", "OCI archive")) << info_;
  EXPECT_TRUE(has_row("Manifest", kOciManifestDigest)) << info_;
  EXPECT_TRUE(has_row("Config", kOciConfigDigest)) << info_;
  EXPECT_TRUE(has_row("Platform", "linux/amd64")) << info_;
  EXPECT_TRUE(has_row("Layer", kOciLayerDigest)) << info_;
  EXPECT_NE(info_.find("gzip, 154.9 KiB (158604 bytes); sha256 checked while decompressing"),
            std::string::npos)
      << info_;
  const json& o = json_["oci_image"];
  EXPECT_EQ(o["ref_name"], kOciRefName);
  EXPECT_EQ(o["manifest_digest"], kOciManifestDigest);
  EXPECT_EQ(o["config_digest"], kOciConfigDigest);
  ASSERT_EQ(o["layers"].size(), 1u);
  EXPECT_EQ(o["layers"][0]["digest"], kOciLayerDigest);
  EXPECT_EQ(o["layers"][0]["size"], 158604);
  EXPECT_EQ(o["layers"][0]["media_type"], "application/vnd.oci.image.layer.v1.tar+gzip");
}

// The annotation table of README-pair-and-image.md, verbatim.
const std::map<std::string, std::string> kReadmeAnnotations = {
    {"io.podman.annotations.checkpoint.cgroups.version", "v1"},
    {"io.podman.annotations.checkpoint.conmon.version", "conmon version 2.1.6, commit: unknown"},
    {"io.podman.annotations.checkpoint.criu.version", "40300"},
    {"io.podman.annotations.checkpoint.distribution.name", "debian"},
    {"io.podman.annotations.checkpoint.distribution.version", "12"},
    {"io.podman.annotations.checkpoint.host.arch", "amd64"},
    {"io.podman.annotations.checkpoint.host.kernel", "6.18.44-fc-v1252"},
    {"io.podman.annotations.checkpoint.name", "webapp2"},
    {"io.podman.annotations.checkpoint.podman.version", "4.3.1"},
    {"io.podman.annotations.checkpoint.rawImageName", "localhost/fixture-base"},
    {"io.podman.annotations.checkpoint.rootfsImageID",
     "cfaafc8001955974f25e6403ed68dfe5f7ba7975fce935cfe208937da1c7d554"},
    {"io.podman.annotations.checkpoint.rootfsImageName", "localhost/fixture-base:latest"},
    {"io.podman.annotations.checkpoint.runtime.name", "runc"},
    {"io.podman.annotations.checkpoint.runtime.version",
     "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\n"
     "libseccomp: 2.5.4"},
    {"org.opencontainers.image.base.digest", ""},
    {"org.opencontainers.image.base.name", ""},
};

TEST_F(OciFixtureInfo, ShowsEveryAnnotationTheReadmeLists) {
  using Annotations = std::map<std::string, std::string>;
  EXPECT_EQ(json_["oci_image"]["annotations"].get<Annotations>(), kReadmeAnnotations);
  // jq, as a user reads it.
  auto r = run("jq -r '.oci_image.annotations[\"io.podman.annotations.checkpoint.host.kernel\"]' " +
               shell_quote(*mount_ / "containers/webapp2/info.json"));
  EXPECT_EQ(r.out, "6.18.44-fc-v1252\n");
}

TEST_F(OciFixtureInfo, NamesPodmansCheckpointKeysPlainly) {
  EXPECT_TRUE(has_row("Container name", "webapp2")) << info_;
  EXPECT_TRUE(has_row("Podman version", "4.3.1")) << info_;
  EXPECT_TRUE(has_row("Runtime", "runc")) << info_;
  EXPECT_TRUE(has_row("Host kernel", "6.18.44-fc-v1252")) << info_;
  EXPECT_TRUE(has_row("Host architecture", "amd64")) << info_;
  EXPECT_TRUE(has_row("Host distribution", "debian")) << info_;
  EXPECT_TRUE(has_row("Host distribution version", "12")) << info_;
  EXPECT_TRUE(has_row("cgroup version", "v1")) << info_;
  EXPECT_TRUE(has_row("conmon version", "conmon version 2.1.6, commit: unknown")) << info_;
  EXPECT_TRUE(has_row("Rootfs image", "localhost/fixture-base:latest")) << info_;
  EXPECT_TRUE(has_row("Rootfs image ID",
                      "cfaafc8001955974f25e6403ed68dfe5f7ba7975fce935cfe208937da1c7d554"))
      << info_;
  // The README's caveat: 40300 is what go-criu made of CRIU 4.2 built from git.
  std::string criu;
  for (const auto& a : json_["oci_image"]["checkpoint_annotations"])
    if (a["key"] == "io.podman.annotations.checkpoint.criu.version") criu = a["value"];
  EXPECT_TRUE(criu.starts_with("40300 (")) << criu;
  EXPECT_NE(criu.find("4.2 built from git"), std::string::npos) << criu;
  EXPECT_NE(info_.find("CRIU version:     4.3, or 4.2 built from git (image annotation 40300"),
            std::string::npos)
      << info_;
  // The runtime version's lines stay together, each under the value column.
  size_t at = info_.find("runc version 1.1.5+ds1\n");
  ASSERT_NE(at, std::string::npos) << info_;
  size_t col = at - info_.rfind('\n', at) - 1;
  EXPECT_NE(info_.find("\n" + std::string(col, ' ') + "libseccomp: 2.5.4\n", at), std::string::npos)
      << info_;
}

// ---- Mounted: several images, a second mount, verification as info says.

TEST(OciMount, TwoImagesInOneArchiveAreTwoCheckpoints) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  OciLayoutWriter w;
  auto annotations = oci_fixture_annotations();
  json gz = w.image({w.blob(kOciLayerGzip, oci_fixture_layer_gzip())}, annotations, "ckpt:gzip");
  json plain = w.image({w.blob(kOciLayerTar, oci_fixture_layer_tar())}, annotations, "ckpt:plain");
  w.index({gz, plain});
  w.write_archive(tmp / "two.oci.tar");
  Mount m(tmp / "two.oci.tar");
  auto r = run("ls " + shell_quote(m.path()));
  // Two checkpoints, so diff/ compares them too.
  EXPECT_EQ(r.out, "diff\nwebapp2\nwebapp2-2\n");
  auto gt = load_groundtruth("image");
  for (const char* dir : {"webapp2", "webapp2-2"}) {
    std::string maps = read_file(m / (std::string(dir) + "/procs/1/maps"));
    EXPECT_NE(maps.find("[heap]"), std::string::npos) << dir;
    // containers/ is named for the container, the same in both.
    auto j = json::parse(read_file(m / (std::string(dir) + "/containers/webapp2/info.json")));
    EXPECT_EQ(j["oci_image"]["ref_name"],
              std::string(dir) == "webapp2" ? "ckpt:gzip" : "ckpt:plain");
  }
  // Both hold the same process memory: the heap marker at its address in each.
  for (const auto& mk : gt["processes"][0]["markers"]) {
    if (mk["marker"] != "CKPTFS_HEAP_MARKER") continue;
    for (const char* dir : {"webapp2", "webapp2-2"}) {
      auto h = run("hexdump -C -s " + mk["addr"].get<std::string>() + " -n 32 " +
                   shell_quote(m / (std::string(dir) + "/procs/1/mem")));
      EXPECT_NE(h.out.find("|CKPTFS_HEAP_MARK|"), std::string::npos) << dir << h.out;
    }
  }
  EXPECT_TRUE(m.unmount()) << m.log();
}

TEST(OciMount, SecondMountOfAnUncompressedLayerSaysItWasCheckedBefore) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp, cache;
  std::string input = make_oci_variant(OciVariant::kUncompressedArchive, tmp / "v");
  auto verification = [&](const std::vector<std::string>& args) {
    Mount m({input}, args);
    auto j = json::parse(read_file(m / "containers/webapp2/info.json"));
    EXPECT_TRUE(m.unmount()) << m.log();
    return j["oci_image"]["layers"][0]["verification"].get<std::string>();
  };
  EXPECT_EQ(verification({"-o", "cache=" + cache.path()}), "sha256 checked at mount");
  EXPECT_EQ(verification({"-o", "cache=" + cache.path()}),
            "sha256 checked at an earlier mount (remembered by the cache)");
  EXPECT_EQ(verification({"-o", "nocache"}), "sha256 checked at mount");
}

TEST(OciMount, KubernetesRecipeAnnotationNamesTheCheckpoint) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  Mount m(make_oci_variant(OciVariant::kKubernetesZstdDir, tmp / "v"));
  std::string info = read_file(m / "containers/webapp2/info");
  EXPECT_NE(info.find("Read from:  OCI image layout directory\n"), std::string::npos) << info;
  EXPECT_NE(info.find("zstd, "), std::string::npos) << info;
  EXPECT_NE(info.find("Container name:  webapp2\n"), std::string::npos) << info;
  auto j = json::parse(read_file(m / "containers/webapp2/info.json"));
  EXPECT_EQ(j["oci_image"]["checkpoint_annotations"][0]["key"],
            "io.kubernetes.cri-o.annotations.checkpoint.name");
  EXPECT_EQ(j["oci_image"]["ref_name"], "localhost/webapp2:checkpoint");
  EXPECT_TRUE(m.unmount()) << m.log();
}

// Made by buildah from pair-a.tar.zst; the digests are in tests/fixtures/README.md.
TEST(OciMount, BuildahRecipeImageIsReadWithItsAnnotation) {
  CKPTFS_REQUIRE_FIXTURES();
  Mount m(source_dir() + "/" + kBuildahFixture);
  std::string info = read_file(m / "containers/webapp2/info");
  auto j = json::parse(read_file(m / "containers/webapp2/info.json"));
  EXPECT_TRUE(m.unmount()) << m.log();
  const json& o = j["oci_image"];
  EXPECT_FALSE(o.contains("ref_name")) << "buildah's index names no reference";
  EXPECT_EQ(o["manifest_digest"],
            "sha256:2770cf1d2f2d56e01eddf13723de0a99680dd09cb020df2571c69dad0e200fec");
  EXPECT_EQ(o["config_digest"],
            "sha256:ffdd2e6d439e7794f20cc29a9b7cfbd5415d8e946f1113227bd1405d40fcf4ec");
  EXPECT_EQ(o["created"], "2026-12-04T19:06:03.556308549Z");
  ASSERT_EQ(o["layers"].size(), 1u);
  EXPECT_EQ(o["layers"][0]["digest"],
            "sha256:59b1fbead020f0a3d170ac5796fb54bb380cf2e9ba8c990e470afcee17c35a83");
  EXPECT_EQ(o["layers"][0]["size"], 60206);
  EXPECT_EQ(o["layers"][0]["compression"], "zstd");
  EXPECT_EQ(o["annotations"], json::parse(R"({"io.kubernetes.cri-o.annotations.checkpoint.name":
      "webapp2", "org.opencontainers.image.base.digest": "",
      "org.opencontainers.image.base.name": ""})"));
  EXPECT_NE(info.find("  Container name:"), std::string::npos) << info;
  EXPECT_EQ(info.find("  Reference:"), std::string::npos) << info;
}

}  // namespace
}  // namespace ckptfs::test
