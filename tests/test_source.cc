// Opening a checkpoint however it is packed: a directory, a plain tar served
// in place, compressed tars recognised by content; member names; and where
// the CRIU images sit (bare, checkpoint/, one directory per pod container).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "images/magic.h"
#include "model/loader.h"
#include "source/layout.h"
#include "source/source.h"
#include "support/image_writer.h"
#include "support/input_error.h"
#include "support/paths.h"
#include "util/path.h"

namespace ckptfs::test {
namespace {

constexpr uint64_t kAnon = 0x7f1200000000;

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// root/checkpoint/: a one-process CRIU dump with two pages of memory, plus
// files of the shapes a dump holds (empty, not page aligned, a symlink).
class SourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(root() + "/checkpoint");
    ImageDirWriter w(root() + "/checkpoint");
    w.inventory();
    w.process(1, 0, "app");
    w.vma(1, kAnon, kAnon + 16 * kPage, 3, 0x22, 0x201);
    memory_ = pattern(2 * kPage, 1);
    w.pages(1, kAnon + kPage, memory_);
    w.finish();
    w.write_raw("empty.img", "");
    w.write_raw("odd-size.bin", random_bytes(10000, 2));
    std::filesystem::create_directory_symlink("../pre", root() + "/checkpoint/parent");
    write_file(root() + "/config.dump", R"({"name": "web"})");
  }
  std::string root() const { return tmp_ / "root"; }
  // Every regular file under root(), by its name relative to root().
  std::map<std::string, std::string> files() const {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root()))
      if (e.is_regular_file() && !e.is_symlink())
        out[std::filesystem::relative(e.path(), root()).string()] = read_file(e.path());
    return out;
  }
  void expect_same_files(const Source& src) const {
    for (const auto& [name, data] : files()) {
      const Member* m = src.find(name);
      ASSERT_NE(m, nullptr) << name;
      ASSERT_EQ(m->type, MemberType::File) << name;
      EXPECT_EQ(m->blob->size(), data.size()) << name;
      EXPECT_EQ(m->blob->read_all(1 << 30), data) << name;
    }
    const Member* dir = src.find("checkpoint");
    ASSERT_NE(dir, nullptr);
    EXPECT_EQ(dir->type, MemberType::Dir);
    const Member* link = src.find("checkpoint/parent");
    ASSERT_NE(link, nullptr);
    EXPECT_EQ(link->type, MemberType::Symlink);
    EXPECT_EQ(link->link_target, "../pre");
  }
  // The dump loads from src and its memory reads back.
  void expect_loads(std::shared_ptr<const Source> src) const {
    auto cs = load_checkpoints(src, "x");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0]->name, "web");  // config.dump beside checkpoint/
    EXPECT_EQ(cs[0]->layout.image_dir, "checkpoint/");
    std::string got(2 * kPage, '\0');
    cs[0]->procs.at(1).memory.read(kAnon + kPage, got.data(), got.size());
    EXPECT_EQ(got, memory_);
  }

  TempDir tmp_;
  std::string memory_;
};

TEST_F(SourceTest, Directory) {
  std::unique_ptr<Source> src = open_source(root());
  EXPECT_EQ(src->packing, Packing::Directory);
  EXPECT_EQ(src->input_size, 0u);
  expect_same_files(*src);
  EXPECT_EQ(src->find("checkpoint/empty.img")->blob->size(), 0u);
  expect_loads(std::move(src));
}

// Files of a directory are opened on first read: one renamed over by then
// is not the file that was opened and is not served; one rewritten in place
// (the same inode) still is, and so are the others.
TEST_F(SourceTest, ADirectoryFileRenamedOverBeforeItsFirstReadIsRefused) {
  std::unique_ptr<Source> src = open_source(root());
  std::string path = root() + "/checkpoint/odd-size.bin";
  std::string other = root() + "/impostor";
  write_file(other, random_bytes(10000, 3));  // same size, other bytes
  ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);
  const Blob& blob = *src->find("checkpoint/odd-size.bin")->blob;
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(Mentions(error_of([&] { blob.read_all(1 << 20); }), path + ": ",
                         {"replaced since the checkpoint was opened"}));

  std::string config = root() + "/config.dump";
  write_file(config, R"({"name": "changed"})");  // in place: same inode
  EXPECT_EQ(src->find("config.dump")->blob->read_all(1 << 20).substr(0, 10), R"({"name": ")");
  EXPECT_EQ(src->find("checkpoint/empty.img")->blob->size(), 0u);
}

TEST_F(SourceTest, PlainTarIsServedInPlace) {
  std::string tar = tmp_ / "dump.tar";
  pack(root(), tar, Compression::kNone);
  SourceLimits limits;
  // A cache directory that cannot exist: opening fails if anything is copied.
  limits.cache.dir = tmp_ / "no-such-dir";
  std::unique_ptr<Source> src = open_source(tar, limits);
  EXPECT_EQ(src->packing, Packing::Tar);
  EXPECT_EQ(src->input_size, std::filesystem::file_size(tar));
  EXPECT_EQ(src->find("."), nullptr);
  expect_same_files(*src);

  // The blob is a window on the archive: change the archive's bytes where the
  // member's data sits and the blob shows the change.
  const Member* m = src->find("checkpoint/odd-size.bin");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->blob->origin(), tar + ":checkpoint/odd-size.bin");
  std::string archive = read_file(tar);
  std::string data = read_file(root() + "/checkpoint/odd-size.bin");
  size_t at = archive.find(data);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(at % 512, 0u);  // tar data starts on a block boundary
  std::string patched = random_bytes(data.size(), 99);
  int fd = ::open(tar.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, patched.data(), patched.size(), static_cast<off_t>(at)),
            static_cast<ssize_t>(patched.size()));
  ::close(fd);
  EXPECT_EQ(m->blob->read_all(1 << 20), patched);

  // Restore, and the whole dump loads from the archive.
  write_file(tar, archive);
  expect_loads(open_source(tar, limits));
}

TEST_F(SourceTest, TarGzipWithDotSlashNames) {
  std::string archive = tmp_ / "dump.tar.gz";
  pack(root(), archive, Compression::kGzip);
  ASSERT_NE(run("tar -tzf " + shell_quote(archive)).out.find("./checkpoint/inventory.img"),
            std::string::npos);
  std::unique_ptr<Source> src = open_source(archive);
  EXPECT_EQ(src->packing, Packing::TarGzip);
  expect_same_files(*src);
  expect_loads(std::move(src));
}

TEST_F(SourceTest, TarZstd) {
  std::string archive = tmp_ / "dump.tar.zst";
  pack(root(), archive, Compression::kZstd);
  std::unique_ptr<Source> src = open_source(archive);
  EXPECT_EQ(src->packing, Packing::TarZstd);
  expect_same_files(*src);
  expect_loads(std::move(src));
}

TEST_F(SourceTest, ZstdNamedTarGzIsRecognisedByContent) {
  // Podman writes zstd into files named .tar.gz.
  std::string archive = tmp_ / "checkpoint.tar.gz";
  pack(root(), archive, Compression::kZstd);
  std::unique_ptr<Source> src = open_source(archive);
  EXPECT_EQ(src->packing, Packing::TarZstd);
  expect_same_files(*src);
}

TEST_F(SourceTest, TruncatedTarZst) {
  // Incompressible members, so that a cut in the compressed stream lands in
  // the middle of the archive, after the first members.
  for (int i = 0; i < 4; ++i)
    write_file(root() + "/checkpoint/blob-" + std::to_string(i), random_bytes(64 << 10, 10 + i));
  std::string archive = tmp_ / "dump.tar.zst";
  pack(root(), archive, Compression::kZstd);
  std::string bytes = read_file(archive);
  write_file(archive, bytes.substr(0, bytes.size() * 6 / 10));
  EXPECT_TRUE(
      Mentions(error_of([&] { open_source(archive); }), archive + ": ", {"corrupt or truncated"}));
}

TEST_F(SourceTest, TruncatedTarGz) {
  for (int i = 0; i < 4; ++i)
    write_file(root() + "/checkpoint/blob-" + std::to_string(i), random_bytes(64 << 10, 20 + i));
  std::string archive = tmp_ / "dump.tar.gz";
  pack(root(), archive, Compression::kGzip);
  std::string bytes = read_file(archive);
  write_file(archive, bytes.substr(0, bytes.size() * 6 / 10));
  EXPECT_TRUE(
      Mentions(error_of([&] { open_source(archive); }), archive + ": ", {"corrupt or truncated"}));
}

TEST_F(SourceTest, TruncatedPlainTar) {
  write_file(root() + "/checkpoint/zz-last", random_bytes(64 << 10, 30));
  std::string archive = tmp_ / "dump.tar";
  pack(root(), archive, Compression::kNone);
  std::string bytes = read_file(archive);
  size_t cut = bytes.find(read_file(root() + "/checkpoint/zz-last")) + 1000;  // inside that member
  write_file(archive, bytes.substr(0, cut));
  EXPECT_TRUE(
      Mentions(error_of([&] { open_source(archive); }), archive + ": ", {"corrupt or truncated"}));
}

TEST(OpenSource, InputsThatAreNotCheckpoints) {
  TempDir tmp;
  EXPECT_TRUE(Mentions(error_of([&] { open_source(tmp / "missing"); }),
                       tmp / "missing: ", {"no such file or directory"}));
  write_file(tmp / "empty.tar", "");
  EXPECT_TRUE(Mentions(error_of([&] { open_source(tmp / "empty.tar"); }),
                       tmp / "empty.tar: ", {"empty file"}));
  write_file(tmp / "noise.tar.gz", random_bytes(4096, 1));
  EXPECT_TRUE(Mentions(error_of([&] { open_source(tmp / "noise.tar.gz"); }), tmp / "noise.tar.gz: ",
                       {"not a checkpoint", "neither a directory nor a tar archive"}));
  write_file(tmp / "short", random_bytes(100, 2));
  EXPECT_TRUE(Mentions(error_of([&] { open_source(tmp / "short"); }),
                       tmp / "short: ", {"not a checkpoint", "not a tar archive"}));
  // One CRIU image instead of its directory.
  write_file(tmp / "core-1.img", image(magic::kCommon, magic::kCore, {random_bytes(2000, 3)}));
  EXPECT_TRUE(Mentions(error_of([&] { open_source(tmp / "core-1.img"); }), tmp / "core-1.img: ",
                       {"single file", "give the image directory or the archive"}));
}

TEST(PathComponents, EmptyComponentsAreDroppedDotsKept) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(path_components(""), V{});
  EXPECT_EQ(path_components("/"), V{});
  EXPECT_EQ(path_components("a"), V{"a"});
  EXPECT_EQ(path_components("./a//b/"), (V{".", "a", "b"}));
  EXPECT_EQ(path_components("/../x"), (V{"..", "x"}));
}

TEST(FilesIn, OnlyTheDirectorysOwnRegularFiles) {
  Source s;
  for (const char* n : {"a", "d/", "d/x.img", "d/sub/y.img", "d/link", "dd/z.img", "e.img"}) {
    Member m;
    m.type = std::string_view(n).ends_with("/") ? MemberType::Dir
             : std::string_view(n) == "d/link"  ? MemberType::Symlink
                                                : MemberType::File;
    s.members.emplace(std::string(n).substr(0, std::strlen(n) - (m.type == MemberType::Dir)), m);
  }
  std::vector<std::string> names;
  for (const FileInDir& f : files_in(s, "d/")) names.push_back(std::string(f.name));
  EXPECT_EQ(names, std::vector<std::string>{"x.img"});
  names.clear();
  for (const FileInDir& f : files_in(s, "")) names.push_back(*f.path);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "e.img"}));
}

TEST(NormaliseMemberName, Cases) {
  const std::pair<const char*, const char*> cases[] = {
      {"a", "a"},
      {"./a", "a"},
      {"/a", "a"},
      {"///a", "a"},
      {"a/./b", "a/b"},
      {"a//b", "a/b"},
      {"a/", "a"},
      {"./checkpoint/pages-1.img", "checkpoint/pages-1.img"},
      {"../x", ""},
      {"a/../b", ""},
      {"a/..", ""},
      {"..", ""},
      {".", ""},
      {"./", ""},
      {"", ""},
      {"/", ""},
      {"...", "..."},  // just a name
      {"..a/b..", "..a/b.."},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(normalise_member_name(in), out) << '"' << in << '"';
}

// A Source with these members (names ending in "/" are directories).
Source source(std::initializer_list<std::string> names) {
  Source s;
  s.path = "/in/test.tar";
  for (const std::string& n : names) {
    Member m;
    if (n.ends_with("/")) {
      m.type = MemberType::Dir;
      s.members.emplace(n.substr(0, n.size() - 1), m);
    } else {
      m.blob = std::make_shared<MemoryBlob>("{}", n);
      s.members.emplace(n, m);
    }
  }
  return s;
}

TEST(DetectLayouts, Bare) {
  auto l = detect_layouts(source({"inventory.img", "pstree.img"}));
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].image_dir, "");
  EXPECT_EQ(l[0].meta_dir, "");
  EXPECT_FALSE(l[0].container);
  EXPECT_FALSE(l[0].pre_dump);
}

TEST(DetectLayouts, ContainerCheckpointDirectory) {
  auto l = detect_layouts(source({"checkpoint/", "checkpoint/inventory.img", "config.dump",
                                  "spec.dump", "rootfs-diff.tar", "inventory.img"}));
  ASSERT_EQ(l.size(), 1u);  // checkpoint/ wins over a stray top-level inventory
  EXPECT_EQ(l[0].image_dir, "checkpoint/");
  EXPECT_EQ(l[0].meta_dir, "");
  EXPECT_TRUE(l[0].container);

  auto no_meta = detect_layouts(source({"checkpoint/inventory.img"}));
  ASSERT_EQ(no_meta.size(), 1u);
  EXPECT_FALSE(no_meta[0].container);
}

TEST(DetectLayouts, PreCheckpointOnly) {
  auto l = detect_layouts(source({"pre-checkpoint/inventory.img", "config.dump"}));
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].image_dir, "pre-checkpoint/");
  EXPECT_TRUE(l[0].pre_dump);
}

TEST(DetectLayouts, PodWithTwoContainers) {
  auto l = detect_layouts(source({"pod.options", "web/", "web/checkpoint/inventory.img",
                                  "web/config.dump", "db/checkpoint/inventory.img", "db/spec.dump",
                                  "db/checkpoint/pstree.img", "deep/er/checkpoint/inventory.img"}));
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].meta_dir, "db/");
  EXPECT_EQ(l[0].image_dir, "db/checkpoint/");
  EXPECT_TRUE(l[0].container);
  EXPECT_EQ(l[1].meta_dir, "web/");
  EXPECT_EQ(l[1].image_dir, "web/checkpoint/");
  EXPECT_TRUE(l[1].container);
}

TEST(DetectLayouts, NoInventory) {
  EXPECT_TRUE(Mentions(error_of([] {
                         detect_layouts(source({"config.dump", "checkpoint/pstree.img"}));
                       }),
                       "/in/test.tar: ", {"not a checkpoint", "no CRIU inventory.img"}));
  // Too deep for any layout, or a directory by that name: still none.
  EXPECT_TRUE(Mentions(error_of([] { detect_layouts(source({"a/b/checkpoint/inventory.img"})); }),
                       "/in/test.tar: ", {"no CRIU inventory.img"}));
  EXPECT_TRUE(Mentions(error_of([] { detect_layouts(source({"inventory.img/"})); }),
                       "/in/test.tar: ", {"no CRIU inventory.img"}));
  EXPECT_TRUE(Mentions(error_of([] { detect_layouts(source({})); }), "/in/test.tar: ", {"empty"}));
}

}  // namespace
}  // namespace ckptfs::test
