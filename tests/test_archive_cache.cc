// The persisted decompression cache: a second open of the same compressed
// archive reads the saved index instead of decompressing; a changed, broken or
// foreign cache entry is never trusted; the limit holds against archives that
// expand to more than the cache may use; several mounts may share a directory.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "source/archive_cache.h"
#include "source/source.h"
#include "support/image_writer.h"
#include "support/input_error.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<std::string> cache_entries(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
  return out;
}

// Where a member's bytes are read from: the named cache file on a hit, the
// unnamed one being filled on a miss.
std::string served_from(const Source& src, const std::string& member) {
  const auto* fb = dynamic_cast<const FileBlob*>(src.find(member)->blob.get());
  return fb ? fb->file()->path() : "";
}

class ArchiveCache : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp_ / "tree/sub");
    files_["a.bin"] = random_bytes(300000, 1);
    files_["sub/b.txt"] = "hello\n";
    files_["empty"] = "";
    for (const auto& [name, data] : files_) write_file(tmp_ / "tree/" + name, data);
    archive_ = tmp_ / "dump.tar.zst";
    pack(tmp_ / "tree", archive_, Compression::kZstd);
  }
  SourceLimits persisting(uint64_t max_bytes = 0) const {
    SourceLimits l;
    l.cache.persist = true;
    l.cache.dir = cache_dir();
    l.cache.dir_given = true;
    l.cache.max_bytes = max_bytes;
    return l;
  }
  std::string cache_dir() const { return tmp_ / "cache"; }
  void expect_content(const Source& src) const {
    for (const auto& [name, data] : files_) {
      const Member* m = src.find(name);
      ASSERT_NE(m, nullptr) << name;
      EXPECT_EQ(m->blob->read_all(1 << 20), data) << name;
    }
  }

  TempDir tmp_;
  std::map<std::string, std::string> files_;
  std::string archive_;
};

TEST_F(ArchiveCache, SecondOpenReadsTheSavedIndex) {
  auto first = open_source(archive_, persisting());
  expect_content(*first);
  EXPECT_EQ(served_from(*first, "a.bin"), cache_dir() + "/(ckptfs cache)");
  auto entries = cache_entries(cache_dir());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].ends_with(".ckptfs-cache"));
  struct stat st {};
  ASSERT_EQ(::stat((cache_dir() + "/" + entries[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // the cache holds memory: owner only

  auto second = open_source(archive_, persisting());
  EXPECT_EQ(served_from(*second, "a.bin"), cache_dir() + "/" + entries[0]);
  expect_content(*second);
  EXPECT_EQ(second->find("sub")->type, MemberType::Dir);
  EXPECT_EQ(cache_entries(cache_dir()), entries);
}

TEST_F(ArchiveCache, NothingIsKeptWithoutPersist) {
  SourceLimits l = persisting();
  l.cache.persist = false;
  fs::create_directories(cache_dir());
  expect_content(*open_source(archive_, l));
  EXPECT_TRUE(cache_entries(cache_dir()).empty());
}

TEST_F(ArchiveCache, AChangedArchiveIsDecompressedAgain) {
  open_source(archive_, persisting());
  files_["a.bin"] = random_bytes(300000, 2);
  write_file(tmp_ / "tree/a.bin", files_["a.bin"]);
  pack(tmp_ / "tree", archive_, Compression::kZstd);  // same path, new content
  auto src = open_source(archive_, persisting());
  EXPECT_EQ(served_from(*src, "a.bin"), cache_dir() + "/(ckptfs cache)");
  expect_content(*src);
}

TEST_F(ArchiveCache, ABrokenEntryIsReplaced) {
  open_source(archive_, persisting());
  std::string entry = cache_dir() + "/" + cache_entries(cache_dir())[0];
  std::string good = read_file(entry);
  // The header records where the index is: u64 offset and length at 88 and 96
  // (after the magic and the identity's ten u64s).
  uint64_t index_off = 0, index_len = 0;
  std::memcpy(&index_off, good.data() + 88, 8);
  std::memcpy(&index_len, good.data() + 96, 8);
  ASSERT_GT(index_len, 0u);
  ASSERT_LE(index_off + index_len, good.size());
  uint64_t mid = index_off + index_len / 2;
  // Cut in the index, a flipped index byte, a zeroed header, nothing but the header.
  std::vector<std::string> broken = {good.substr(0, mid), good, good, good.substr(0, 4096)};
  broken[1][mid] ^= 0x40;
  std::fill(broken[2].begin(), broken[2].begin() + 64, '\0');
  for (const auto& b : broken) {
    write_file(entry, b);
    ::chmod(entry.c_str(), 0600);
    auto src = open_source(archive_, persisting());
    EXPECT_EQ(served_from(*src, "a.bin"), cache_dir() + "/(ckptfs cache)");
    expect_content(*src);
    EXPECT_TRUE(read_file(entry) == good);  // rewritten whole by the fresh pass
  }
}

TEST_F(ArchiveCache, AnotherUsersEntryIsNotTrusted) {
  open_source(archive_, persisting());
  std::string entry = cache_dir() + "/" + cache_entries(cache_dir())[0];
  ASSERT_EQ(::chown(entry.c_str(), 65534, 65534), 0);
  auto src = open_source(archive_, persisting());
  EXPECT_EQ(served_from(*src, "a.bin"), cache_dir() + "/(ckptfs cache)");
  expect_content(*src);
}

TEST_F(ArchiveCache, AnArchiveExpandingPastTheLimitFails) {
  // 96 MiB of zeros compress to a few KiB: a decompression bomb in miniature.
  fs::create_directories(tmp_ / "bomb");
  ASSERT_EQ(run("truncate -s 96M " + shell_quote(tmp_ / "bomb/zeros")).status, 0);
  std::string bomb = tmp_ / "bomb.tar.zst";
  pack(tmp_ / "bomb", bomb, Compression::kZstd);
  ASSERT_LT(fs::file_size(bomb), 1u << 20);
  for (bool persist : {true, false}) {
    SourceLimits l = persisting(16 << 20);
    l.cache.persist = persist;
    EXPECT_TRUE(Mentions(error_of([&] { open_source(bomb, l); }), bomb + ": ",
                         {"more than the cache may use", "16.0 MiB", "cache_max"}));
  }
  EXPECT_TRUE(cache_entries(cache_dir()).empty());  // nothing half-written is left
}

TEST_F(ArchiveCache, OldestEntriesAreEvictedToStayUnderTheLimit) {
  std::string second = tmp_ / "second.tar.zst";
  fs::rename(archive_, second);
  pack(tmp_ / "tree", archive_, Compression::kZstd);
  // Room for one entry (~300 KB), not two.
  open_source(second, persisting(500000));
  ASSERT_EQ(cache_entries(cache_dir()).size(), 1u);
  std::string old_entry = cache_entries(cache_dir())[0];
  open_source(archive_, persisting(500000));
  auto entries = cache_entries(cache_dir());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(entries[0], old_entry);
}

TEST_F(ArchiveCache, ConcurrentFirstOpensShareTheDirectory) {
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      try {
        for (int k = 0; k < 3; ++k) {
          auto src = open_source(archive_, persisting());
          for (const auto& [name, data] : files_)
            if (src->find(name)->blob->read_all(1 << 20) != data) errors[i] = name + " differs";
        }
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto entries = cache_entries(cache_dir());
  ASSERT_EQ(entries.size(), 1u);  // no leftovers from the racing renames
  EXPECT_TRUE(entries[0].ends_with(".ckptfs-cache"));
}

TEST_F(ArchiveCache, AnUnusableNamedDirectoryIsAnError) {
  write_file(cache_dir(), "a file, not a directory");
  EXPECT_TRUE(Mentions(error_of([&] { open_source(archive_, persisting()); }), cache_dir() + ": ",
                       {"cache"}));
}

TEST_F(ArchiveCache, PlainTarsAreNeverCopied) {
  std::string tar = tmp_ / "dump.tar";
  pack(tmp_ / "tree", tar, Compression::kNone);
  expect_content(*open_source(tar, persisting()));
  EXPECT_FALSE(fs::exists(cache_dir()));
}

// Through the daemon: -o cache=DIR is used by the second mount, -o nocache
// keeps nothing, and both show the same bytes.
TEST(ArchiveCacheMount, SecondMountUsesTheCacheAndNocacheKeepsNothing) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  std::string archive = fixture("webapp-checkpoint.tar.zst");
  std::string opt = "cache=" + tmp.path() + "/c";
  std::string want;
  {
    Mount m({archive}, {"-o", opt});
    want = run("cd " + shell_quote(m.path()) + " && cat procs/*/maps | sha256sum").out;
    ASSERT_TRUE(wait_for_cache_entry(tmp / "c")) << m.log();
  }
  ASSERT_EQ(cache_entries(tmp / "c").size(), 1u);
  {
    Mount m({archive}, {"-d", "-o", opt});
    EXPECT_EQ(run("cd " + shell_quote(m.path()) + " && cat procs/*/maps | sha256sum").out, want);
  }
  {
    Mount m({archive}, {"-o", "nocache,cache=" + tmp.path() + "/n"});
    EXPECT_EQ(run("cd " + shell_quote(m.path()) + " && cat procs/*/maps | sha256sum").out, want);
  }
  EXPECT_TRUE(cache_entries(tmp / "n").empty());
}

// A detached daemon works from "/" and saves its entry only once mounted: a
// relative -o cache=DIR must still mean DIR beside where ckptfs was started.
TEST(ArchiveCacheMount, ARelativeCacheDirIsWhereTheCommandRan) {
  CKPTFS_REQUIRE_FIXTURES();
  TempDir tmp;
  fs::create_directories(tmp / "mp");
  const std::string rel = "ckptfs-relative-cache-" + std::to_string(::getpid());
  CommandResult r = run("cd " + shell_quote(tmp.path()) + " && " + shell_quote(ckptfs_binary()) +
                        " -o cache=" + rel + " " +
                        shell_quote(fixture("webapp-checkpoint.tar.zst")) + " mp 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(run("ls " + shell_quote(tmp / "mp/procs")).out, "");
  // The daemon saves, syncs and names the entry once mounted.
  EXPECT_TRUE(wait_for_cache_entry(tmp / rel));
  ASSERT_EQ(run("fusermount3 -u " + shell_quote(tmp / "mp")).status, 0);
  EXPECT_EQ(cache_entries(tmp / rel).size(), 1u);
  EXPECT_FALSE(fs::exists("/" + rel)) << "the entry went to /" << rel;
}

TEST(ArchiveCacheMount, BadCacheOptionsAreOneLineErrors) {
  TempDir tmp;
  fs::create_directories(tmp / "mp");
  for (std::string o : {"cache_max=lots", "cache_max=5Q", "cache_max=0", "cache="}) {
    CommandResult r = run(shell_quote(ckptfs_binary()) + " -o " + o + " " + shell_quote(tmp / "x") +
                          " " + shell_quote(tmp / "mp") + " 2>&1");
    EXPECT_EQ(r.status, 1) << o;
    EXPECT_NE(r.out.find("-o " + o.substr(0, o.find('=') + 1)), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace ckptfs::test
