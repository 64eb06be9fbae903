// The persisted decompression cache: a second open of the same compressed
// archive reads the saved index instead of decompressing; a changed, broken or
// foreign cache entry is never trusted; the limit holds against archives that
// expand to more than the cache may use; several mounts may share a directory.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "cache_index.pb.h"
#include "source/archive_cache.h"
#include "source/cache_file.h"
#include "source/listing_codec.h"
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

// A cache entry as archive_cache.cc lays it out (proto/cache_index.proto):
// "CKPTFSC2", u32 length, header message, u64 FNV-1a of it, zeros to 4096.
struct Entry {
  std::string bytes;
  cache::header header;

  explicit Entry(const std::string& path) : bytes(read_file(path)) {
    if (!bytes.starts_with("CKPTFSC2")) throw std::runtime_error(path + ": no cache magic");
    uint32_t len = 0;
    std::memcpy(&len, bytes.data() + 8, 4);
    if (!header.ParseFromString(bytes.substr(12, len)))
      throw std::runtime_error(path + ": bad header");
  }
  cache::listing index() const {
    cache::listing i;
    if (!i.ParseFromString(bytes.substr(header.index_off(), header.index_len())))
      throw std::runtime_error("bad index");
    return i;
  }
  // The bytes with header h, its checksum right.
  std::string with_header(const cache::header& h) const {
    std::string msg = h.SerializePartialAsString();
    uint32_t len = static_cast<uint32_t>(msg.size());
    uint64_t sum = fnv1a(msg);
    std::string block = "CKPTFSC2" + std::string(reinterpret_cast<const char*>(&len), 4) + msg +
                        std::string(reinterpret_cast<const char*>(&sum), 8);
    block.resize(4096, '\0');
    return block + bytes.substr(4096);
  }
  // The bytes with `index` written over the old one's place at the end, every
  // checksum right: only the decoder's own checks stand in its way.
  std::string with_index(const std::string& index) const {
    cache::header h = header;
    h.set_index_len(index.size());
    h.set_index_sum(fnv1a(index));
    Entry e = *this;
    e.bytes = bytes.substr(0, header.index_off()) + index;
    return e.with_header(h);
  }
};

class ArchiveCacheEntry : public ArchiveCache {
 protected:
  void SetUp() override {
    ArchiveCache::SetUp();
    open_source(archive_, persisting());
    auto entries = cache_entries(cache_dir());
    ASSERT_EQ(entries.size(), 1u);
    path_ = cache_dir() + "/" + entries[0];
    good_ = read_file(path_);
  }
  // Puts bytes in place of the entry: the next open must decompress afresh,
  // serve the right bytes, and leave the good entry again.
  ::testing::AssertionResult NotTrusted(const std::string& bytes) {
    write_file(path_, bytes);
    ::chmod(path_.c_str(), 0600);
    auto src = open_source(archive_, persisting());
    std::string from = served_from(*src, "a.bin");
    if (from != cache_dir() + "/(ckptfs cache)")
      return ::testing::AssertionFailure() << "served from " << from;
    expect_content(*src);
    if (read_file(path_) != good_)
      return ::testing::AssertionFailure() << "the entry was not rewritten by the fresh pass";
    return ::testing::AssertionSuccess();
  }
  std::string path_, good_;
};

TEST_F(ArchiveCacheEntry, ItsIndexDecodesAsTheListing) {
  Entry e(path_);
  cache::listing i = e.index();
  std::map<std::string, uint64_t> sizes;
  for (const auto& m : i.members()) sizes[m.name()] = m.data_len();
  EXPECT_EQ(sizes["a.bin"], 300000u);
  EXPECT_EQ(sizes["sub/b.txt"], 6u);
  EXPECT_EQ(sizes["empty"], 0u);
  EXPECT_TRUE(sizes.count("sub"));
  for (const auto& m : i.members())
    if (m.has_data_off()) {
      EXPECT_EQ(m.data_off() % 4096, 0u) << m.name();
      EXPECT_LE(m.data_off() + m.data_len(), e.header.index_off()) << m.name();
      EXPECT_EQ(e.bytes.substr(m.data_off(), m.data_len()), files_[m.name()]) << m.name();
    }
}

TEST_F(ArchiveCacheEntry, ABrokenFileIsReplaced) {
  Entry e(path_);
  uint64_t mid = e.header.index_off() + e.header.index_len() / 2;
  std::string flipped_index = good_, flipped_header = good_, zeroed = good_;
  flipped_index[mid] ^= 0x40;
  flipped_header[20] ^= 0x01;
  std::fill(zeroed.begin(), zeroed.begin() + 64, '\0');
  for (const auto& [what, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"cut in the index", good_.substr(0, mid)},
           {"an index byte flipped", flipped_index},
           {"a header byte flipped", flipped_header},
           {"the header zeroed", zeroed},
           {"nothing but the header", good_.substr(0, 4096)},
           {"empty", ""}})
    EXPECT_TRUE(NotTrusted(bytes)) << what;
}

// Checksums right, contents wrong: what a bug, an older format or a hand
// could leave. The decoder must refuse each rather than serve it.
TEST_F(ArchiveCacheEntry, AnIndexThatDecodesButLiesIsNotTrusted) {
  Entry e(path_);
  const cache::listing good = e.index();
  auto member = [&](cache::listing& i, const std::string& name) -> cache::member& {
    for (auto& m : *i.mutable_members())
      if (m.name() == name) return m;
    throw std::runtime_error("no member " + name);
  };
  std::vector<std::pair<std::string, std::function<void(cache::listing&)>>> lies = {
      {"data overlapping the index",
       [&](cache::listing& i) { member(i, "a.bin").set_data_off(e.header.index_off() - 4096); }},
      {"data past the end of the file",
       [&](cache::listing& i) { member(i, "a.bin").set_data_off(uint64_t{1} << 40); }},
      {"a length wrapping 2^64",
       [&](cache::listing& i) { member(i, "a.bin").set_data_len(~uint64_t{0} - 100); }},
      {"an offset without a length",
       [&](cache::listing& i) { member(i, "a.bin").clear_data_len(); }},
      {"an unknown member type", [&](cache::listing& i) { member(i, "sub").set_type(7); }},
      {"a mode with file type bits",
       [&](cache::listing& i) { member(i, "empty").set_mode(0100644); }},
      {"data on a directory", [&](cache::listing& i) { member(i, "sub").set_data_off(4096); }},
      {"a name escaping the archive",
       [&](cache::listing& i) { member(i, "sub/b.txt").set_name("../b.txt"); }},
      {"a name not normalised",
       [&](cache::listing& i) { member(i, "sub/b.txt").set_name("sub//b.txt"); }},
      {"an empty name", [&](cache::listing& i) { member(i, "sub/b.txt").set_name(""); }},
      {"a name given twice", [&](cache::listing& i) { *i.add_members() = member(i, "a.bin"); }},
      {"a member without its required name",
       [&](cache::listing& i) { member(i, "a.bin").clear_name(); }},
      {"a root with a name", [&](cache::listing& i) { i.mutable_root()->set_name("x"); }},
  };
  for (const auto& [what, lie] : lies) {
    cache::listing i = good;
    lie(i);
    EXPECT_TRUE(NotTrusted(e.with_index(i.SerializePartialAsString()))) << what;
  }
  EXPECT_TRUE(NotTrusted(e.with_index("\xff\xff\xff not a protobuf"))) << "garbage";

  // A header for another archive, or in another format, right checksum.
  cache::header other = e.header;
  other.mutable_archive()->set_ino(other.archive().ino() + 1);
  EXPECT_TRUE(NotTrusted(e.with_header(other))) << "another archive's entry";
  other = e.header;
  other.mutable_archive()->set_format(1);
  EXPECT_TRUE(NotTrusted(e.with_header(other))) << "format 1";
  other = e.header;
  other.clear_index_sum();
  EXPECT_TRUE(NotTrusted(e.with_header(other))) << "a header missing a required field";
  // And the untouched entry is still a hit: the checks above are not all misses.
  write_file(path_, e.with_index(good.SerializeAsString()));
  ::chmod(path_.c_str(), 0600);
  EXPECT_EQ(served_from(*open_source(archive_, persisting()), "a.bin"), path_);
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

// A crash between link_as()'s link and rename leaves a full-size file under
// a temporary name: the next save removes it once it is clearly abandoned,
// and leaves a fresh one (a save in progress) alone.
TEST_F(ArchiveCache, TemporaryNamesACrashLeftAreRemoved) {
  open_source(archive_, persisting());
  std::string entry = cache_entries(cache_dir())[0];
  std::string old_temp = cache_dir() + "/." + entry + ".tmp-0123456789abcdef";
  std::string new_temp = cache_dir() + "/." + entry + ".tmp-fedcba9876543210";
  std::string not_ours = cache_dir() + "/.something-else.tmp-0123456789abcdef";
  for (const auto& t : {old_temp, new_temp, not_ours}) write_file(t, std::string(100000, 'c'));
  const timespec two_hours_ago[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, old_temp.c_str(), two_hours_ago, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, not_ours.c_str(), two_hours_ago, 0), 0);

  // A changed archive is a miss: a new entry is saved, and the directory tidied.
  files_["a.bin"] = random_bytes(300000, 3);
  write_file(tmp_ / "tree/a.bin", files_["a.bin"]);
  pack(tmp_ / "tree", archive_, Compression::kZstd);
  expect_content(*open_source(archive_, persisting()));
  EXPECT_FALSE(fs::exists(old_temp));
  EXPECT_TRUE(fs::exists(new_temp));
  EXPECT_TRUE(fs::exists(not_ours)) << "only the cache's own names are removed";
}

// Threads of one process saving the same entry at once (two mounts of one
// archive in one process): each link goes through its own temporary name.
TEST(CacheFile, ThreadsLinkingOneNameAtOnceAllSucceedAndLeaveNoTemporaryName) {
  TempDir dir;
  const std::string name = "0123456789abcdef.ckptfs-cache";
  const std::atomic<bool> stopping{false};
  std::vector<std::thread> threads;
  std::vector<std::string> errors(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      try {
        for (int k = 0; k < 20; ++k) {
          CacheFile f("archive.tar.zst", dir.path(), 1 << 20);
          std::string data = "thread " + std::to_string(i) + " save " + std::to_string(k);
          f.write(data.data(), data.size(), f.allocate(data.size()));
          f.link_as(name, stopping);
        }
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(cache_entries(dir.path()), std::vector<std::string>{name});
  EXPECT_TRUE(read_file(dir / name).starts_with("thread "));
}

TEST(CacheFile, TemporaryLinkNames) {
  EXPECT_TRUE(is_link_temp(".x.ckptfs-cache.tmp-0123456789abcdef"));
  EXPECT_FALSE(is_link_temp("x.ckptfs-cache.tmp-0123456789abcdef")) << "not hidden";
  EXPECT_FALSE(is_link_temp(".x.ckptfs-cache.tmp-0123"));
  EXPECT_FALSE(is_link_temp(".x.ckptfs-cache.12345")) << "the old per-pid name";
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

// Through the daemon: -o cache=DIR is used by the second mount (the same
// entry, marked used), -o nocache keeps nothing, and all show the same bytes.
TEST(ArchiveCacheMount, SecondMountUsesTheCacheAndNocacheKeepsNothing) {
  TempDir tmp;
  std::string archive = example();
  std::string opt = "cache=" + tmp.path() + "/c";
  std::string want;
  {
    Mount m({archive}, {"-o", opt});
    want = run("cd " + shell_quote(m.path()) + " && cat procs/*/maps | sha256sum").out;
    ASSERT_TRUE(wait_for_cache_entry(tmp / "c")) << m.log();
    EXPECT_TRUE(m.unmount()) << m.log();
  }
  auto entries = cache_entries(tmp / "c");
  ASSERT_EQ(entries.size(), 1u);
  std::string entry = tmp / ("c/" + entries[0]);
  const timespec old[2] = {{1, 0}, {1, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, entry.c_str(), old, 0), 0);
  struct stat before {};
  ASSERT_EQ(::stat(entry.c_str(), &before), 0);
  {
    Mount m({archive}, {"-d", "-o", opt});
    EXPECT_EQ(run("cd " + shell_quote(m.path()) + " && cat procs/*/maps | sha256sum").out, want);
    EXPECT_TRUE(m.unmount()) << m.log();
  }
  struct stat after {};
  ASSERT_EQ(::stat(entry.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "the second mount rebuilt the entry";
  EXPECT_GT(after.st_mtime, 1) << "the second mount did not use the entry";
  EXPECT_EQ(cache_entries(tmp / "c"), entries);
  {
    Mount m({archive}, {"-o", "nocache,cache=" + tmp.path() + "/n"});
    EXPECT_EQ(run("cd " + shell_quote(m.path()) + " && cat procs/*/maps | sha256sum").out, want);
    EXPECT_TRUE(m.unmount()) << m.log();
  }
  EXPECT_TRUE(cache_entries(tmp / "n").empty());
}

// A detached daemon works from "/" and saves its entry only once mounted: a
// relative -o cache=DIR must still mean DIR beside where ckptfs was started.
TEST(ArchiveCacheMount, ARelativeCacheDirIsWhereTheCommandRan) {
  TempDir tmp;
  fs::create_directories(tmp / "mp");
  const std::string rel = "ckptfs-relative-cache-" + std::to_string(::getpid());
  CommandResult r = run("cd " + shell_quote(tmp.path()) + " && " + shell_quote(ckptfs_binary()) +
                        " -o cache=" + rel + " " + shell_quote(example()) + " mp 2>&1");
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
