// Checkpoints broken on purpose, made from the real fixtures: cut at many
// points, bits flipped in every image, hostile member names and links. Each
// is opened the way the CLI opens it (open_source, load_checkpoints,
// build_tree) and then every file of the tree is read. The outcome must be a
// load that serves what the intact checkpoint serves, or one InputError line
// naming the file; never a crash (the ASan run sees what a pass would hide),
// a hang, or another exception.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/loader.h"
#include "source/source.h"
#include "support/input_error.h"
#include "support/mount.h"
#include "support/paths.h"
#include "support/tar_writer.h"
#include "util/error.h"
#include "vfs/build.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

// Read at most this much of each file: enough to render every view and touch
// the pages of each region, not the 128 TiB of mem or all of hexdump.
constexpr uint64_t kReadCap = 256 << 10;

struct Loaded {
  std::vector<std::unique_ptr<Checkpoint>> checkpoints;
  std::unique_ptr<Tree> tree;
};

Loaded load(const std::string& path) {
  Loaded l;
  l.checkpoints = load_checkpoints(open_source(path), checkpoint_base_name(path));
  make_names_unique(l.checkpoints);
  l.tree = build_tree(l.checkpoints);
  return l;
}

// What each file of a tree reads as: a digest of its stored data (up to
// kReadCap), the text of a symlink, or the error a read gave. Every error
// met is also collected, with whether it was an InputError.
struct Digest {
  std::map<std::string, std::string> files;
  std::vector<std::string> errors;
  std::vector<std::string> other_exceptions;
};

std::string read_capped(const Content& c) {
  std::string out, buf;
  uint64_t size = c.size();
  for (std::optional<uint64_t> off = c.seek_data(0); off && *off < size && out.size() < kReadCap;) {
    uint64_t end = std::min({c.seek_hole(*off), size, *off + (kReadCap - out.size())});
    if (end <= *off) break;  // a broken seek_hole must not loop forever
    buf.resize(end - *off);
    size_t n = c.read(buf.data(), buf.size(), *off);
    out += std::to_string(*off) + ":" + buf.substr(0, n);
    if (n < buf.size()) break;
    off = c.seek_data(end);
  }
  return out;
}

void digest_dir(const Tree& t, const Node& dir, const std::string& path, Digest& d) {
  for (const auto& [name, ino] : dir.children) {
    const Node& n = *t.get(ino);
    std::string p = path.empty() ? name : path + "/" + name;
    switch (n.type) {
      case NodeType::Dir:
        digest_dir(t, n, p, d);
        break;
      case NodeType::Symlink:
        d.files[p] = "-> " + n.target;
        break;
      case NodeType::Special:
        d.files[p] = "special " + std::to_string(n.special);
        break;
      case NodeType::File:
        try {
          d.files[p] =
              std::to_string(n.content->size()) + " " + sha256_hex(read_capped(*n.content));
        } catch (const InputError& e) {
          d.files[p] = std::string("error: ") + e.what();
          d.errors.push_back(p + ": " + e.what());
        } catch (const std::exception& e) {
          d.files[p] = std::string("exception: ") + e.what();
          d.other_exceptions.push_back(p + ": " + e.what());
        }
        break;
    }
  }
}

Digest digest(const Tree& t) {
  Digest d;
  digest_dir(t, *t.get(Tree::kRootIno), "", d);
  return d;
}

// One input, loaded and read whole. error is the InputError that stopped the
// load ("" if it loaded); any other exception fails the test.
struct Outcome {
  std::string error;
  Digest digest;
};

// A hang is bounded by ctest's timeout of the test, not measured here.
Outcome try_load(const std::string& path) {
  Outcome o;
  o.error = error_of([&] {
    Loaded l = load(path);
    o.digest = digest(*l.tree);
  });
  EXPECT_EQ(o.error.find('\n'), std::string::npos) << "one line: " << o.error;
  EXPECT_TRUE(o.digest.other_exceptions.empty())
      << path << ": not an InputError: " << o.digest.other_exceptions[0];
  return o;
}

// The reference every surviving load is compared with, one per fixture.
const Digest& intact(const std::string& path) {
  static std::map<std::string, Digest> cache;
  auto it = cache.find(path);
  if (it == cache.end()) it = cache.emplace(path, digest(*load(path).tree)).first;
  return it->second;
}

// A load of a damaged copy of `original` that succeeded must serve the same
// bytes for every image it still has and every process memory it still shows.
void expect_same_as_intact(const Digest& got, const std::string& original) {
  const Digest& want = intact(original);
  size_t compared = 0;
  for (const auto& [p, d] : got.files) {
    bool image = p.starts_with("raw/") && !p.ends_with(".json");
    bool memory = p.starts_with("procs/") && (p.ends_with("/mem") || p.ends_with("/maps"));
    if (!image && !memory) continue;
    auto w = want.files.find(p);
    ASSERT_NE(w, want.files.end()) << p << " is not in the intact checkpoint";
    EXPECT_EQ(d, w->second) << p;
    ++compared;
  }
  EXPECT_GT(compared, 0u) << "nothing of the checkpoint is left to compare";
}

// The first token of an error: the file it names.
std::string named_file(const std::string& error) { return error.substr(0, error.find(": ")); }

// Reads a whole file past the kernel's page cache (which keeps what was read
// before); returns 0, or the errno of the read that failed.
int read_uncached(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT);
  if (fd < 0) return errno;
  std::vector<char> buf(1 << 20);
  ssize_t n = 0;
  for (off_t off = 0; (n = ::pread(fd, buf.data(), buf.size(), off)) > 0; off += n)
    out.append(buf.data(), static_cast<size_t>(n));
  int err = n < 0 ? errno : 0;
  ::close(fd);
  return err;
}

// ---- truncation ----

// Cuts an archive at each point; every cut must be refused naming the archive
// (or, cut where a member ends, name what is missing) or load what it holds.
void check_cuts(const std::string& original, const std::string& ext,
                const std::vector<uint64_t>& cuts) {
  std::string bytes = read_file(original);
  TempDir tmp;
  size_t refused = 0;
  std::set<std::string> members;
  for (const auto& [p, d] : intact(original).files)
    if (p.starts_with("raw/")) members.insert(p.substr(4));
  for (uint64_t cut : cuts) {
    ASSERT_LT(cut, bytes.size());
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(bytes.size()));
    std::string path = tmp / ("cut-" + std::to_string(cut) + ext);
    write_file(path, bytes.substr(0, cut));
    Outcome o = try_load(path);
    if (o.error.empty()) {
      expect_same_as_intact(o.digest, original);
    } else {
      ++refused;
      bool names_archive = o.error.starts_with(path + ": ");
      bool names_image = members.count(named_file(o.error)) != 0;
      EXPECT_TRUE(names_archive || names_image) << o.error;
      // Cut before a whole header is there, it is not recognisable as a tar.
      std::string e = o.error;
      std::transform(e.begin(), e.end(), e.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (names_archive) {
        EXPECT_TRUE(e.find("truncated") != std::string::npos ||
                    e.find("not a checkpoint") != std::string::npos ||
                    e.find("not a readable") != std::string::npos)
            << o.error;
      }
    }
    fs::remove(path);
  }
  EXPECT_GE(refused, cuts.size() / 2) << "most cuts lose data and must be refused";
}

// Offsets 1 .. size-1 spread over the whole file, plus the ends.
std::vector<uint64_t> spread(uint64_t size, int n) {
  std::vector<uint64_t> out = {0, 1, 2, 5, 17, size - 1, size - 2};
  for (int i = 1; i < n; ++i) out.push_back(size * i / n + i * 7 % 13);
  return out;
}

TEST(BrokenInputs, PlainTarCutAtManyPoints) {
  CKPTFS_REQUIRE_FIXTURES();
  std::string tar = fixture("proc-tree.tar");
  std::string bytes = read_file(tar);
  auto members = tar_members(bytes);
  ASSERT_GT(members.size(), 30u);
  std::vector<uint64_t> cuts = {1, 100, 511, 512, 513};
  // Inside headers, inside metadata images, inside the pages, at the padding
  // after a member and exactly where the next member starts.
  for (const char* name :
       {"inventory.img", "pstree.img", "core-25911.img", "mm-25915.img", "pagemap-25916.img",
        "files.img", "pages-2.img", "pages-4.img", "timens-0.img"}) {
    ASSERT_TRUE(members.count(name)) << name;
    const TarMember& m = members[name];
    for (uint64_t c : {m.header + 148, m.data + m.size / 2, m.data + m.size,
                       m.data + (m.size + 511) / 512 * 512})
      cuts.push_back(c);
  }
  // Before, inside and after the end-of-archive blocks.
  const auto& last = std::max_element(members.begin(), members.end(), [](auto& a, auto& b) {
                       return a.second.header < b.second.header;
                     })->second;
  uint64_t end = last.data + (last.size + 511) / 512 * 512;
  for (uint64_t c : {end, end + 100, end + 512, end + 1023}) cuts.push_back(c);
  check_cuts(tar, ".tar", cuts);
}

TEST(BrokenInputs, ZstdArchiveCutAtManyPoints) {
  std::string zst = example();
  check_cuts(zst, ".tar.zst", spread(fs::file_size(zst), 30));
}

TEST(BrokenInputs, GzipArchiveCutAtManyPoints) {
  TempDir tmp;
  std::string gz = tmp / "webapp.tar.gz";
  ASSERT_EQ(run("zstd -dc " + shell_quote(example()) + " | gzip -c > " + shell_quote(gz)).status,
            0);
  check_cuts(gz, ".tar.gz", spread(fs::file_size(gz), 30));
}

// ---- bit flips ----

TEST(BrokenInputs, BitFlipsInEveryImage) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  std::string dir = tmp / "proc-tree";
  fs::copy(fixture("proc-tree"), dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add);
  std::vector<std::string> images;
  for (const auto& e : fs::directory_iterator(dir)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
    if (e.path().extension() == ".img") images.push_back(e.path().filename());
  }
  std::sort(images.begin(), images.end());
  ASSERT_GT(images.size(), 30u);

  std::mt19937_64 rng(6);
  size_t loads = 0, refused = 0;
  for (const std::string& img : images) {
    std::string path = dir + "/" + img;
    const std::string original = read_file(path);
    ASSERT_GT(original.size(), 8u);
    // The magics, the first length word, the first bytes of the first entry,
    // somewhere in the middle and the last byte, plus a few at random.
    std::vector<uint64_t> offsets = {0, 5, 8, 11, 12, 14, original.size() / 2, original.size() - 1};
    for (int i = 0; i < 3; ++i) offsets.push_back(rng() % original.size());
    // pages-*.img is raw memory: nothing decodes it, so two flips there suffice.
    if (img.starts_with("pages-")) offsets.resize(2);
    for (size_t i = 0; i < offsets.size(); ++i) {
      uint64_t off = offsets[i];
      int bit = static_cast<int>(i * 3 % 8);  // low and high bits of varint bytes
      SCOPED_TRACE(img + " byte " + std::to_string(off) + " bit " + std::to_string(bit));
      std::string bytes = original;
      bytes[off] = static_cast<char>(bytes[off] ^ (1 << bit));
      write_file(path, bytes);
      Outcome o = try_load(dir);
      ++loads;
      if (!o.error.empty()) {
        ++refused;
        EXPECT_NE(o.error.find(img), std::string::npos) << "names the flipped image: " << o.error;
      }
      for (const std::string& e : o.digest.errors)
        EXPECT_NE(e.find(img), std::string::npos) << "a read error names the image: " << e;
    }
    write_file(path, original);
  }
  EXPECT_GT(refused, loads / 10) << "flipped magics at least must be refused";
  EXPECT_LT(refused, loads) << "flips inside memory pages change nothing a loader checks";
}

// ---- hostile member names and links in the checkpoint archive ----

// The proc-tree images as tar entries ("./name", as tar writes them).
std::vector<TarEntry> proc_tree_entries() {
  std::vector<TarEntry> out;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fixture("proc-tree")))
    names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    out.push_back({.name = "./" + n, .data = read_file(fixture("proc-tree/" + n))});
  return out;
}

TEST(BrokenInputs, MembersEscapingTheArchiveAreNotServedAndLinksNotFollowed) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  std::string host_image = fixture("proc-tree/pstree.img");
  std::vector<TarEntry> entries = proc_tree_entries();
  entries.push_back({.name = "../escaped.img", .data = "outside"});
  entries.push_back({.name = "a/../../escaped2.img", .data = "outside too"});
  entries.push_back({.name = "/absolute.img", .data = "rooted"});
  entries.push_back({.name = "host-link.img", .type = AE_IFLNK, .symlink = host_image});
  entries.push_back({.name = "up-link.img", .type = AE_IFLNK, .symlink = "../../../etc/passwd"});
  entries.push_back({.name = "hard-out.img", .hardlink = "../../../etc/passwd"});
  entries.push_back({.name = "hard-host.img", .hardlink = host_image});
  entries.push_back({.name = "hard-in.img", .hardlink = "./pstree.img"});
  std::string tar = tmp / "hostile.tar";
  write_file(tar, make_tar(entries));

  Outcome o = try_load(tar);
  ASSERT_EQ(o.error, "");
  const auto& f = o.digest.files;
  EXPECT_EQ(f.at("raw/absolute.img"), "6 " + sha256_hex("0:rooted")) << "kept inside, as tar does";
  EXPECT_EQ(f.at("raw/hard-in.img"), f.at("raw/pstree.img")) << "a hard link inside the archive";
  for (const char* gone :
       {"escaped.img", "escaped2.img", "raw/escaped.img", "raw/escaped2.img", "raw/host-link.img",
        "raw/up-link.img", "raw/hard-out.img", "raw/hard-host.img"})
    EXPECT_EQ(f.count(gone), 0u) << gone;
  for (const auto& [p, d] : f) EXPECT_EQ(p.find(".."), std::string::npos) << p;

  // The same through the mount: nothing above raw/, no link out of the tree.
  Mount m(tar);
  EXPECT_EQ(read_file(m / "raw/absolute.img"), "rooted");
  EXPECT_EQ(read_file(m / "raw/hard-in.img"), read_file(host_image));
  for (const char* gone : {"escaped.img", "raw/escaped.img", "raw/host-link.img", "raw/up-link.img",
                           "raw/hard-out.img", "raw/hard-host.img"}) {
    struct stat st {};
    EXPECT_EQ(::lstat((m / gone).c_str(), &st), -1) << gone;
    EXPECT_EQ(errno, ENOENT) << gone;
  }
  EXPECT_FALSE(fs::exists(tmp / "escaped.img"));
  EXPECT_TRUE(m.unmount()) << m.log();
}

TEST(BrokenInputs, AnImageThatIsALinkOutOfTheArchiveIsMissing) {
  CKPTFS_REQUIRE_FIXTURES();
  // A sound image on the host, linked from the archive: following the link
  // would load it. The archive does not hold it, so it is missing.
  for (bool symlink : {true, false}) {
    SCOPED_TRACE(symlink ? "symlink" : "hard link");
    TempDir tmp;
    std::vector<TarEntry> entries = proc_tree_entries();
    std::string host_image = fixture("proc-tree/mm-25915.img");
    for (TarEntry& e : entries) {
      if (e.name != "./mm-25915.img") continue;
      e.data.clear();
      if (symlink) {
        e.type = AE_IFLNK;
        e.symlink = host_image;
      } else {
        e.hardlink = host_image;
      }
    }
    std::string tar = tmp / "linked.tar";
    write_file(tar, make_tar(entries));
    EXPECT_TRUE(Mentions(try_load(tar).error, "mm-25915.img: ", {"missing"}));
  }
}

TEST(BrokenInputs, AnImageThatIsASymlinkInADirectoryIsNotFollowed) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  std::string dir = tmp / "proc-tree";
  fs::copy(fixture("proc-tree"), dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add);
  fs::remove(dir + "/mm-25915.img");
  fs::create_symlink(fixture("proc-tree/mm-25915.img"), dir + "/mm-25915.img");
  EXPECT_TRUE(Mentions(try_load(dir).error, "mm-25915.img: ", {"missing"}));

  // Swapped for a link after mounting, before anything opened it: the
  // daemon opens images with O_NOFOLLOW, so the read fails instead of
  // serving the file the link names.
  fs::remove(dir + "/mm-25915.img");
  fs::copy_file(fixture("proc-tree/mm-25915.img"), dir + "/mm-25915.img");
  // Longer than timens-0.img: followed, its first 34 bytes would be served.
  std::string host = tmp / "host-secret";
  write_file(host, std::string(4096, 'S'));
  Mount m(dir);
  fs::remove(dir + "/timens-0.img");
  fs::create_symlink(host, dir + "/timens-0.img");
  std::string bytes;
  EXPECT_EQ(read_uncached(m / "raw/timens-0.img", bytes), EIO);
  EXPECT_EQ(bytes.find('S'), std::string::npos);
  EXPECT_TRUE(m.unmount());
  EXPECT_NE(m.log().find("timens-0.img: cannot open"), std::string::npos) << m.log();
}

TEST(BrokenInputs, DuplicateMembersTheLastOneWins) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  std::string garbage = "\x01\x02\x03\x04 not a pstree";
  std::string real = read_file(fixture("proc-tree/pstree.img"));

  // A bad pstree.img shadowed by the real one later: it loads, as tar -x would.
  std::vector<TarEntry> entries = proc_tree_entries();
  entries.insert(entries.begin(), {.name = "./pstree.img", .data = garbage});
  std::string first_bad = tmp / "first-bad.tar";
  write_file(first_bad, make_tar(entries));
  Outcome o = try_load(first_bad);
  ASSERT_EQ(o.error, "");
  EXPECT_EQ(o.digest.files.at("raw/pstree.img"),
            std::to_string(real.size()) + " " + sha256_hex("0:" + real));
  expect_same_as_intact(o.digest, fixture("proc-tree"));

  // The real one shadowed by a bad one: the bad one is what the archive says.
  entries = proc_tree_entries();
  entries.push_back({.name = "pstree.img", .data = garbage});
  std::string last_bad = tmp / "last-bad.tar";
  write_file(last_bad, make_tar(entries));
  EXPECT_TRUE(Mentions(try_load(last_bad).error, "pstree.img: ", {"magic"}));
}

// A Podman archive whose rootfs-diff.tar links out of the container: the
// mount shows each link as the text the archive stores and never follows it
// itself; hard links to names outside the archive are left out.
TEST(BrokenInputs, RootfsDiffLinksOutOfTheContainerAreShownNotFollowed) {
  TempDir tmp;
  std::string unpacked = tmp / "unpacked";
  fs::create_directory(unpacked);
  ASSERT_EQ(
      run("zstd -dc " + shell_quote(example()) + " | tar -xf - -C " + shell_quote(unpacked)).status,
      0);
  ASSERT_TRUE(fs::exists(unpacked + "/rootfs-diff.tar"));
  write_file(unpacked + "/rootfs-diff.tar",
             make_tar({
                 {.name = "etc/", .type = AE_IFDIR, .perm = 0755},
                 {.name = "etc/motd", .data = "container motd\n"},
                 {.name = "etc/passwd", .type = AE_IFLNK, .perm = 0777, .symlink = "/etc/passwd"},
                 {.name = "up",
                  .type = AE_IFLNK,
                  .perm = 0777,
                  .symlink = "../../../../../../../../etc/hostname"},
                 {.name = "hard-abs", .hardlink = "/etc/hostname"},
                 {.name = "hard-up", .hardlink = "../../../../etc/shadow"},
                 {.name = "hard-in", .hardlink = "etc/motd"},
                 {.name = "../../outside", .data = "escaped"},
             }));
  std::string tar = tmp / "hostile-podman.tar";
  ASSERT_EQ(run("tar -C " + shell_quote(unpacked) + " -cf " + shell_quote(tar) + " .").status, 0);

  Mount m(tar);
  std::string root = run("ls " + shell_quote(m / "containers")).out;
  ASSERT_FALSE(root.empty());
  std::string diff = m / ("containers/" + root.substr(0, root.find('\n')) + "/rootfs-diff");
  char buf[256];
  ssize_t n = ::readlink((diff + "/etc/passwd").c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "/etc/passwd");
  n = ::readlink((diff + "/up").c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "../../../../../../../../etc/hostname");
  EXPECT_EQ(::open((diff + "/etc/passwd").c_str(), O_RDONLY | O_NOFOLLOW), -1);
  EXPECT_EQ(errno, ELOOP);
  EXPECT_EQ(read_file(diff + "/etc/motd"), "container motd\n");
  EXPECT_EQ(read_file(diff + "/hard-in"), "container motd\n");
  // What the daemon serves as files: only what the archive holds.
  EXPECT_EQ(run("cd " + shell_quote(diff) + " && find . -type f | sort").out,
            "./etc/motd\n./hard-in\n");
  for (const char* gone : {"hard-abs", "hard-up", "outside", "../outside"}) {
    struct stat st {};
    EXPECT_EQ(::lstat((diff + "/" + gone).c_str(), &st), -1) << gone;
  }
  EXPECT_FALSE(fs::exists(tmp / "outside"));
  EXPECT_TRUE(m.unmount()) << m.log();
}

// ---- problems found after mounting ----

// An image of a mounted directory renamed over before the daemon first opened
// it (the daemon opens images lazily): that file fails with EIO, saying why
// in the log once, instead of serving the newcomer; the rest reads on.
TEST(BrokenInputs, AnImageRenamedOverAfterMountingIsNotServed) {
  TempDir tmp;
  std::string dir = tmp / "webapp";
  fs::create_directory(dir);
  ASSERT_EQ(
      run("zstd -dc " + shell_quote(example()) + " | tar -xf - -C " + shell_quote(dir)).status, 0);
  std::string image = dir + "/checkpoint/pages-2.img";
  std::string original = read_file(image);
  ASSERT_GT(original.size(), 4096u);
  Mount m(dir);
  std::string impostor = tmp / "impostor";
  write_file(impostor, std::string(original.size(), 'I'));
  ASSERT_EQ(::rename(impostor.c_str(), image.c_str()), 0);
  std::string bytes;
  EXPECT_EQ(read_uncached(m / "raw/pages-2.img", bytes), EIO);
  EXPECT_EQ(bytes.find('I'), std::string::npos);
  EXPECT_EQ(read_uncached(m / "raw/pages-2.img", bytes), EIO) << "and stays failed";
  EXPECT_EQ(read_file(m / "procs/1/comm"), "ckpt_workload\n");
  EXPECT_EQ(read_file(m / "raw/pipes-data.img"), read_file(dir + "/checkpoint/pipes-data.img"));
  EXPECT_TRUE(m.unmount()) << m.log();
  size_t lines = 0;
  std::istringstream log(m.log());
  for (std::string l; std::getline(log, l);)
    if (l.find("pages-2.img") != std::string::npos) {
      ++lines;
      EXPECT_NE(l.find("replaced since the checkpoint was opened"), std::string::npos) << l;
    }
  EXPECT_EQ(lines, 1u) << m.log();
}

// A pages file that shrinks while mounted (it is read lazily, in place): the
// regions whose pages are gone fail with EIO, each logged once however often
// it is read; every other file, and every other process, reads as before.
TEST(BrokenInputs, PagesLostAfterMountingFailOnlyTheirRegions) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  std::string dir = tmp / "proc-tree";
  fs::copy(fixture("proc-tree"), dir);
  fs::permissions(dir + "/pages-3.img", fs::perms::owner_write, fs::perm_options::add);
  Mount m(dir);
  auto vmas = run("cd " + shell_quote(m / "procs") + " && ls -d */vmas/*");
  ASSERT_EQ(vmas.status, 0) << vmas.err;
  std::map<std::string, std::string> before;
  std::istringstream listed(vmas.out);
  for (std::string f; std::getline(listed, f);)
    before[f] = sha256_hex(read_file(m / ("procs/" + f)));
  ASSERT_GT(before.size(), 20u);

  fs::resize_file(dir + "/pages-3.img", fs::file_size(dir + "/pages-3.img") / 2);
  std::set<std::string> failed;
  std::set<std::string> failed_pids;
  for (const auto& [f, hash] : before) {
    std::string bytes;
    int err = read_uncached(m / ("procs/" + f), bytes);
    if (err) {
      EXPECT_EQ(err, EIO) << f;
      failed.insert(f);
      failed_pids.insert(f.substr(0, f.find('/')));
    } else {
      EXPECT_EQ(sha256_hex(bytes), hash) << f;
    }
  }
  ASSERT_FALSE(failed.empty()) << "the lost half of pages-3.img held no region";
  EXPECT_EQ(failed_pids.size(), 1u) << "one pages file is one process's";
  EXPECT_LT(failed.size(), before.size() / 2);
  // Again: the same files fail, and say so no more in the log.
  for (const auto& f : failed) {
    std::string bytes;
    EXPECT_EQ(read_uncached(m / ("procs/" + f), bytes), EIO) << f;
  }
  EXPECT_EQ(read_file(m / "procs/25911/comm"), "ckpt_workload\n");
  EXPECT_TRUE(m.unmount());
  size_t logged = 0;
  std::istringstream log(m.log());
  for (std::string l; std::getline(log, l);) {
    if (l.find("pages-3.img") == std::string::npos) continue;
    ++logged;
    EXPECT_NE(l.find("shorter"), std::string::npos) << l;
  }
  EXPECT_EQ(logged, failed.size()) << m.log();
}

}  // namespace
}  // namespace ckptfs::test
