// The reader for tars stored inside a checkpoint (rootfs-diff.tar, tmpfs
// dumps) and the tree it is grafted into, on archives crafted with
// libarchive's writer: hostile names, links, devices, GNU long names, gzip.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "source/cache_file.h"
#include "source/nested_tar.h"
#include "support/input_error.h"
#include "support/paths.h"
#include "support/tar_writer.h"
#include "vfs/tar_tree.h"

namespace ckptfs::test {
namespace {

using Entry = TarEntry;
using Filter = TarFilter;

const std::string kLongDir = "long/" + std::string(120, 'd');
const std::string kLongName =
    kLongDir + "/" + std::string(90, 'f');  // > 100 bytes: a GNU 'L' entry

std::vector<Entry> hostile_entries() {
  return {
      {.name = "./", .type = AE_IFDIR, .perm = 01777, .mtime = 1'600'000'000},
      {.name = "../evil", .data = "escaped!"},
      {.name = "a/../../evil2", .data = "escaped too"},
      {.name = "/abs/file", .perm = 0600, .data = "absolute"},
      {.name = "dir/", .type = AE_IFDIR, .perm = 0700, .mtime = 1'500'000'000},
      {.name = "dir/file", .perm = 04755, .mtime = 1'400'000'000, .data = "hello, nested tar\n"},
      {.name = "passwd",
       .type = AE_IFLNK,
       .perm = 0777,
       .mtime = 1'300'000'000,
       .symlink = "/etc/passwd"},
      {.name = "passwd/shadow", .data = "must not appear below a symlink"},
      {.name = "hard", .perm = 0644, .hardlink = "dir/file"},
      {.name = kLongName, .data = std::string(5000, 'L')},
      {.name = "epoch", .mtime = 0, .data = "from 1970"},
      {.name = "dev/null", .type = AE_IFCHR, .perm = 0666, .rdev = makedev(1, 3)},
      {.name = "empty", .data = ""},
  };
}

std::string bytes_of(const Member& m) { return m.blob->read_all(1 << 20); }

void expect_hostile_listing(const TarListing& l) {
  std::vector<std::string> names;
  for (const auto& [name, m] : l.members) names.push_back(name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"abs/file", "dev/null", "dir", "dir/file", "empty", "epoch",
                                      "hard", kLongName, "passwd", "passwd/shadow"}));
  for (const auto& [name, m] : l.members) EXPECT_EQ(name.find(".."), std::string::npos) << name;

  ASSERT_TRUE(l.root);
  EXPECT_EQ(l.root->mode, 01777u);
  EXPECT_EQ(l.root->mtime, 1'600'000'000);

  const Member& abs = l.members.at("abs/file");
  EXPECT_EQ(bytes_of(abs), "absolute");
  EXPECT_EQ(abs.mode, 0600u);

  const Member& dir = l.members.at("dir");
  EXPECT_EQ(dir.type, MemberType::Dir);
  EXPECT_EQ(dir.mode, 0700u);
  EXPECT_EQ(dir.mtime, 1'500'000'000);

  const Member& file = l.members.at("dir/file");
  EXPECT_EQ(file.type, MemberType::File);
  EXPECT_EQ(file.mode, 04755u);
  EXPECT_EQ(file.mtime, 1'400'000'000);
  EXPECT_EQ(bytes_of(file), "hello, nested tar\n");

  const Member& link = l.members.at("passwd");
  EXPECT_EQ(link.type, MemberType::Symlink);
  EXPECT_EQ(link.link_target, "/etc/passwd");
  EXPECT_EQ(link.mtime, 1'300'000'000);

  const Member& hard = l.members.at("hard");
  EXPECT_EQ(hard.type, MemberType::File);
  EXPECT_EQ(hard.blob, file.blob) << "a hard link serves the same bytes";

  EXPECT_EQ(bytes_of(l.members.at(kLongName)), std::string(5000, 'L'));
  EXPECT_EQ(l.members.at("epoch").mtime, 0);
  EXPECT_EQ(l.members.at("empty").blob->size(), 0u);

  const Member& null = l.members.at("dev/null");
  EXPECT_EQ(null.type, MemberType::Other);
  EXPECT_EQ(null.filetype, static_cast<uint32_t>(S_IFCHR));
  EXPECT_EQ(null.rdev, makedev(1, 3));
}

// The bytes as a file, and a Blob over [offset, offset + size) of it.
std::shared_ptr<FileBlob> file_blob(const TempDir& dir, const std::string& name,
                                    const std::string& bytes, uint64_t offset = 0,
                                    uint64_t size = UINT64_MAX) {
  std::string path = dir / name;
  write_file(path, bytes);
  if (size == UINT64_MAX) size = bytes.size() - offset;
  return std::make_shared<FileBlob>(std::make_shared<FileHandle>(path), offset, size, path);
}

TEST(ContainerTreesNestedTar, PlainTarInAFileIsServedInPlace) {
  TempDir dir;
  auto blob = file_blob(dir, "inner.tar", make_tar(hostile_entries()));
  TarListing l = read_nested_tar(*blob);
  expect_hostile_listing(l);
  // In place: every file is a range of the archive file itself.
  const auto* file = dynamic_cast<const FileBlob*>(l.members.at("dir/file").blob.get());
  ASSERT_TRUE(file);
  EXPECT_EQ(file->file(), blob->file());
  EXPECT_EQ(file->origin(), blob->origin() + ":dir/file");
}

TEST(ContainerTreesNestedTar, TarAtAnUnalignedOffsetOfAnotherFile) {
  // rootfs-diff.tar inside the checkpoint archive starts wherever its header put it.
  TempDir dir;
  std::string tar = make_tar(hostile_entries());
  std::string junk(1000, 'j');
  auto blob = file_blob(dir, "outer", junk + tar + junk, junk.size(), tar.size());
  TarListing l = read_nested_tar(*blob);
  expect_hostile_listing(l);
  EXPECT_EQ(dynamic_cast<const FileBlob*>(l.members.at("dir/file").blob.get())->file(),
            blob->file());
}

TEST(ContainerTreesNestedTar, GzipInnerTarIsSniffedAndDecompressedIntoTheCache) {
  TempDir dir;
  std::string gz = make_tar(hostile_entries(), Filter::kGzip);
  ASSERT_TRUE(gz.starts_with("\x1f\x8b"));
  // Named .tar, as containerd does: only the magic bytes tell.
  auto blob = file_blob(dir, "rootfs-diff.tar", gz);
  TarListing l = read_nested_tar(*blob);
  expect_hostile_listing(l);
  const auto* file = dynamic_cast<const FileBlob*>(l.members.at("dir/file").blob.get());
  ASSERT_TRUE(file);
  EXPECT_NE(file->file(), blob->file()) << "served from the cache, not the compressed bytes";
}

TEST(ContainerTreesNestedTar, TarHeldInMemoryIsCopied) {
  MemoryBlob blob(make_tar(hostile_entries()), "memory.tar");
  expect_hostile_listing(read_nested_tar(blob));
}

TEST(ContainerTreesNestedTar, EmptyArchives) {
  TempDir dir;
  EXPECT_TRUE(read_nested_tar(*file_blob(dir, "zero", "")).members.empty());
  // Podman's devshm-checkpoint.tar of an empty /dev/shm: end-of-archive blocks only.
  EXPECT_TRUE(read_nested_tar(*file_blob(dir, "blocks", std::string(1536, '\0'))).members.empty());
  EXPECT_TRUE(read_nested_tar(MemoryBlob("", "m")).members.empty());
}

TEST(ContainerTreesNestedTar, GarbageAndTruncationAreInputErrorsNamingTheArchive) {
  TempDir dir;
  std::string garbage(4096, 'x');
  auto g = file_blob(dir, "garbage.tar", garbage);
  EXPECT_TRUE(
      Mentions(error_of([&] { read_nested_tar(*g); }), g->origin() + ": ", {"not a tar archive"}));

  std::string tar =
      make_tar({{.name = "a", .data = std::string(10000, 'a')}, {.name = "b", .data = "b"}});
  auto cut = file_blob(dir, "cut.tar", tar.substr(0, 5000));
  EXPECT_TRUE(
      Mentions(error_of([&] { read_nested_tar(*cut); }), cut->origin() + ": ", {"truncated"}));

  std::string gz = make_tar({{.name = "a", .data = std::string(100000, 'a')}}, Filter::kGzip);
  auto gz_cut = file_blob(dir, "cut.tar.gz", gz.substr(0, gz.size() / 2));
  EXPECT_TRUE(Mentions(error_of([&] { read_nested_tar(*gz_cut); }), gz_cut->origin() + ": ",
                       {"truncated"}));

  auto not_tar_gz = file_blob(dir, "x.gz", std::string("\x1f\x8b", 2) + garbage);
  EXPECT_TRUE(
      Mentions(error_of([&] { read_nested_tar(*not_tar_gz); }), not_tar_gz->origin() + ": "));
}

TEST(ContainerTreesNestedTar, MemberLimitIsEnforced) {
  std::vector<Entry> many;
  for (int i = 0; i < 20; ++i) many.push_back({.name = "f" + std::to_string(i)});
  MemoryBlob blob(make_tar(many), "many.tar");
  TarReadOptions few;
  few.max_members = 10;
  EXPECT_TRUE(Mentions(error_of([&] { read_nested_tar(blob, few); }),
                       "many.tar: ", {"more than 10 members"}));
}

TEST(ContainerTreesNestedTar, ALaterEntryForTheSameNameWins) {
  MemoryBlob blob(make_tar({{.name = "x", .data = "old"}, {.name = "./x", .data = "new"}}),
                  "dup.tar");
  TarListing l = read_nested_tar(blob);
  ASSERT_EQ(l.members.size(), 1u);
  EXPECT_EQ(bytes_of(l.members.at("x")), "new");
}

TEST(ContainerTreesGraft, TreeShowsModesTimesLinksAndDevices) {
  MemoryBlob blob(make_tar(hostile_entries()), "memory.tar");
  TarListing l = read_nested_tar(blob);
  Tree t(42);
  uint64_t dir = t.mkdir(Tree::kRootIno, "rootfs-diff");
  graft_tar(t, dir, l);
  t.seal();

  const Node* root = t.resolve("rootfs-diff");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->mode, 01777u);
  EXPECT_EQ(root->mtime, 1'600'000'000);

  const Node* file = t.resolve("rootfs-diff/dir/file");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->type, NodeType::File);
  EXPECT_EQ(file->mode, 04755u);
  EXPECT_EQ(file->mtime, 1'400'000'000);
  std::string got(file->content->size(), '\0');
  EXPECT_EQ(file->content->read(got.data(), got.size(), 0), got.size());
  EXPECT_EQ(got, "hello, nested tar\n");
  char tail[8];
  EXPECT_EQ(file->content->read(tail, sizeof tail, 14), 4u);
  EXPECT_EQ(file->content->read(tail, sizeof tail, 100), 0u);

  EXPECT_EQ(t.resolve("rootfs-diff/dir")->mode, 0700u);
  // Implied by "abs/file" and the long name only: made as extracting would.
  EXPECT_EQ(t.resolve("rootfs-diff/abs")->mode, 0755u);
  EXPECT_EQ(t.resolve("rootfs-diff/abs")->mtime, 42);
  EXPECT_TRUE(t.resolve("rootfs-diff/" + kLongName));
  EXPECT_EQ(t.resolve("rootfs-diff/epoch")->mtime, 0) << "an archived mtime of 0 is kept";

  const Node* link = t.resolve("rootfs-diff/passwd");
  ASSERT_TRUE(link);
  EXPECT_EQ(link->type, NodeType::Symlink);
  EXPECT_EQ(link->target, "/etc/passwd");
  EXPECT_EQ(link->mtime, 1'300'000'000);
  EXPECT_FALSE(t.resolve("rootfs-diff/passwd/shadow")) << "never below a symlink";

  const Node* hard = t.resolve("rootfs-diff/hard");
  ASSERT_TRUE(hard);
  EXPECT_EQ(hard->content->size(), file->content->size());

  const Node* null = t.resolve("rootfs-diff/dev/null");
  ASSERT_TRUE(null);
  EXPECT_EQ(null->type, NodeType::Special);
  EXPECT_EQ(null->special, static_cast<uint32_t>(S_IFCHR));
  EXPECT_EQ(null->rdev, makedev(1, 3));
  EXPECT_EQ(null->mode, 0666u);

  EXPECT_FALSE(t.resolve("evil"));
  EXPECT_FALSE(t.resolve("rootfs-diff/evil"));
  EXPECT_FALSE(t.resolve("evil2"));
}

TEST(ContainerTreesGraft, NamesThatCannotBeShownAreLeftOut) {
  std::string too_long(300, 'n');
  MemoryBlob blob(make_tar({{.name = "f", .data = "file"},
                            {.name = "f/below-a-file", .data = "x"},
                            {.name = too_long, .data = "x"},
                            {.name = "ok", .data = "x"}}),
                  "odd.tar");
  Tree t;
  uint64_t dir = t.mkdir(Tree::kRootIno, "d");
  graft_tar(t, dir, read_nested_tar(blob));
  t.seal();
  EXPECT_EQ(t.resolve("d/f")->type, NodeType::File);
  EXPECT_FALSE(t.resolve("d/f/below-a-file"));
  EXPECT_FALSE(t.resolve("d/" + too_long));
  EXPECT_TRUE(t.resolve("d/ok"));
}

TEST(ContainerTreesGraft, ManyFilesInOneDirectoryStayFast) {
  // Grafting must not scan siblings per member (50k subdirectories of one
  // directory would take hours if it did): ctest's timeout of the test is
  // the bound, no speed is asserted.
  std::vector<Entry> many;
  for (int i = 0; i < 100'000; ++i)
    many.push_back({.name = "d" + std::to_string(i % 50'000) + "/f" + std::to_string(i)});
  MemoryBlob blob(make_tar(many), "many.tar");
  TarListing l = read_nested_tar(blob);
  Tree t;
  graft_tar(t, t.mkdir(Tree::kRootIno, "d"), l);
  EXPECT_EQ(t.size(), 2u + 50'000u + 100'000u);
}

}  // namespace
}  // namespace ckptfs::test
