// A collection followed without a mount: its directory changes under it
// (archives copied in, written slowly, renamed into place, rewritten,
// removed; a directory filled) and its listing, by-pod/ and table follow,
// never showing a file before it is complete. Timing is never asserted:
// each change is waited for with a generous limit, and how long it took is
// recorded.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "collection/collection.h"
#include "support/paths.h"
#include "vfs/inode_space.h"

namespace ckptfs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::fixture;
using test::read_file;
using test::TempDir;
using test::write_file;

std::string read_content(const Content& c) {
  std::string s(c.size(), '\0');
  s.resize(c.read(s.data(), s.size(), 0));
  return s;
}

class Followed : public ::testing::Test {
 protected:
  void start(std::vector<std::string> ignore = {}) {
    CollectionOptions o;
    o.inputs = {dir_.path(), dir_.path() + "/"};  // named twice: listed once
    o.cache.dir = cache_.path();
    o.ignore = std::move(ignore);
    c_ = std::make_unique<Collection>(o);
    space_ = std::make_unique<InodeSpace>(c_->tree());
  }
  // Names of MOUNTPOINT/, without the fixed entries.
  std::set<std::string> names() {
    std::set<std::string> out;
    space_->list(Tree::kRootIno, 0, [&](const std::string& n, const InodeRef&) {
      if (n != "checkpoints" && n != "checkpoints.json" && n != "by-pod") out.insert(n);
      return true;
    });
    return out;
  }
  json rows() {
    return json::parse(read_content(*c_->tree()->resolve("checkpoints.json")->content));
  }
  json row(const std::string& archive) {
    for (const auto& r : rows())
      if (r["archive"] == archive) return r;
    return json();
  }
  // Steps the collection until pred holds; false after 30 s. The time taken
  // is recorded, not asserted.
  bool until(const std::string& what, const std::function<bool()>& pred) {
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
      c_->follow_once(100);
      if (pred()) {
        RecordProperty(what + "_ms",
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - t0)
                                          .count()));
        return true;
      }
    }
    return false;
  }
  // Steps the collection for a while, for a test that something does NOT appear.
  void settle() {
    for (int i = 0; i < 8; ++i) c_->follow_once(100);
  }
  std::optional<InodeRef> walk(const std::string& path) {
    uint64_t ino = Tree::kRootIno;
    std::optional<InodeRef> r = space_->get(ino);
    for (size_t i = 0; i < path.size();) {
      size_t j = std::min(path.find('/', i), path.size());
      r = space_->lookup(ino, path.substr(i, j - i));
      if (!r) return r;
      ino = r->ino;
      i = j + 1;
    }
    return r;
  }
  std::string cat(const std::string& path) {
    auto r = walk(path);
    if (!r || r->node->type != NodeType::File) return "<missing " + path + ">";
    return read_content(*r->node->content);
  }

  TempDir dir_, cache_;
  std::unique_ptr<Collection> c_;
  std::unique_ptr<InodeSpace> space_;
};

TEST_F(Followed, TheFirstListingHasEveryFile) {
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / "webapp.tar.zst");
  fs::copy_file(fixture("proc-tree.tar"), dir_ / "proc-tree.tar");
  write_file(dir_ / "notes.txt", "not a checkpoint at all, just text\n");
  write_file(dir_ / ".partial.tar", "hidden: a copy tool's temporary file");
  start();
  EXPECT_EQ(names(), (std::set<std::string>{"webapp", "proc-tree"}));
  json r = rows();
  ASSERT_EQ(r.size(), 3u) << r.dump(1);
  EXPECT_EQ(row("notes.txt")["name"], nullptr);
  EXPECT_NE(row("notes.txt")["error"].get<std::string>().find("not a checkpoint"),
            std::string::npos);
  EXPECT_EQ(row("webapp.tar.zst")["state"], "not yet opened");
  EXPECT_EQ(row("webapp.tar.zst")["by_pod"],
            "by-pod/-/-/webapp/" + row("webapp.tar.zst")["checkpointed"].get<std::string>());
}

TEST_F(Followed, AnArchiveCopiedInAppearsOnceClosed) {
  start();
  ASSERT_TRUE(names().empty());
  std::string bytes = read_file(fixture("pair-a.tar.zst"));
  int fd = ::open((dir_ / "pair-a.tar.zst").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size() / 2), static_cast<ssize_t>(bytes.size() / 2));
  settle();
  EXPECT_TRUE(names().empty()) << "half an archive was shown";
  EXPECT_TRUE(rows().empty()) << rows().dump(1);
  ASSERT_EQ(::write(fd, bytes.data() + bytes.size() / 2, bytes.size() - bytes.size() / 2),
            static_cast<ssize_t>(bytes.size() - bytes.size() / 2));
  ::close(fd);
  ASSERT_TRUE(until("appeared", [&] { return names().count("webapp2"); }));
  EXPECT_EQ(row("pair-a.tar.zst")["error"], nullptr);
  EXPECT_EQ(row("pair-a.tar.zst")["state"], "not yet opened");
}

TEST_F(Followed, AnArchiveRenamedIntoPlaceAppearsAtOnceItsTemporaryNeverDoes) {
  start();
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / ".webapp.tar.zst.tmp");
  settle();
  EXPECT_TRUE(rows().empty()) << rows().dump(1);
  fs::rename(dir_ / ".webapp.tar.zst.tmp", dir_ / "webapp.tar.zst");
  ASSERT_TRUE(until("appeared", [&] { return names().count("webapp"); }));
}

TEST_F(Followed, ARemovedArchiveGoesWhatWasOpenKeepsWorking) {
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / "webapp.tar.zst");
  fs::copy_file(fixture("pair-a.tar.zst"), dir_ / "pair-a.tar.zst");
  start();
  // Looked into, then removed: what was built stays readable.
  auto before = walk("webapp/containers/webapp/info");
  ASSERT_TRUE(before);
  std::string info = read_content(*before->node->content);
  ASSERT_NE(info.find("webapp"), std::string::npos);
  fs::remove(dir_ / "webapp.tar.zst");
  ASSERT_TRUE(until("gone", [&] { return !names().count("webapp"); }));
  EXPECT_EQ(names(), std::set<std::string>{"webapp2"});
  EXPECT_EQ(rows().size(), 1u);
  EXPECT_EQ(read_content(*space_->get(before->ino)->node->content), info);
  EXPECT_FALSE(walk("by-pod/-/-/webapp"));
}

TEST_F(Followed, AnArchiveRewrittenInPlaceIsProbedAgain) {
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / "x.tar.zst");
  start();
  ASSERT_EQ(names(), std::set<std::string>{"webapp"});
  write_file(dir_ / "x.tar.zst", read_file(fixture("pair-b.tar.zst")));  // O_TRUNC, write, close
  ASSERT_TRUE(until("replaced", [&] { return names() == std::set<std::string>{"webapp2"}; }));
  EXPECT_NE(cat("webapp2/containers/webapp2/info").find("webapp2"), std::string::npos);
}

TEST_F(Followed, ADirectoryAppearsOnceFilled) {
  start();
  fs::create_directory(dir_ / "dump");
  for (const auto& e : fs::directory_iterator(fixture("proc-tree")))
    fs::copy_file(e.path(), dir_ / "dump" / e.path().filename());
  ASSERT_TRUE(until("appeared", [&] { return names().count("dump"); }));
  EXPECT_EQ(row("dump")["error"], nullptr) << row("dump").dump(1);
  EXPECT_EQ(row("dump")["kind"], "directory");
  EXPECT_NE(cat("dump/ps").find("ckpt_workload"), std::string::npos);
}

TEST_F(Followed, ABrokenArchiveShowsItsErrorWhereItWasLookedAt) {
  std::string zst = read_file(fixture("webapp-checkpoint.tar.zst"));
  write_file(dir_ / "cut.tar.zst", zst.substr(0, zst.size() / 2));
  start();
  ASSERT_EQ(names(), std::set<std::string>{"webapp"});
  EXPECT_EQ(row("cut.tar.zst")["state"], "not yet opened");
  std::string error = cat("webapp/ERROR");
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  EXPECT_NE(error.find(dir_ / "cut.tar.zst"), std::string::npos) << error;
  ASSERT_TRUE(until("failed", [&] { return row("cut.tar.zst")["state"] == "error"; }));
  EXPECT_EQ(row("cut.tar.zst")["error"].get<std::string>() + "\n", error);
}

TEST_F(Followed, AnArchiveBeingWrittenAtMountIsShownOnceClosed) {
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / "webapp.tar.zst");
  std::string bytes = read_file(fixture("pair-a.tar.zst"));
  int fd = ::open((dir_ / "pair-a.tar.zst").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size() / 2), static_cast<ssize_t>(bytes.size() / 2));
  start();
  EXPECT_EQ(names(), std::set<std::string>{"webapp"});
  settle();
  EXPECT_EQ(names(), std::set<std::string>{"webapp"}) << "a file being written was shown";
  EXPECT_EQ(rows().size(), 1u);
  ASSERT_EQ(::write(fd, bytes.data() + bytes.size() / 2, bytes.size() - bytes.size() / 2),
            static_cast<ssize_t>(bytes.size() - bytes.size() / 2));
  ::close(fd);
  ASSERT_TRUE(until("written", [&] { return names().count("webapp2"); }));
  EXPECT_EQ(row("pair-a.tar.zst")["error"], nullptr);
}

TEST_F(Followed, LostEventsAreMadeUpByLookingAgain) {
  start();
  // More events than inotify queues (fs.inotify.max_queued_events), none
  // read meanwhile: the kernel drops the rest and says so.
  uint64_t max_events = std::stoull(read_file("/proc/sys/fs/inotify/max_queued_events"));
  for (uint64_t i = 0; i < max_events / 2 + 100; ++i)
    write_file(dir_ / (".noise-" + std::to_string(i)), "");
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / "webapp.tar.zst");
  // One still being written when the events are lost: not shown.
  std::string bytes = read_file(fixture("pair-a.tar.zst"));
  int fd = ::open((dir_ / "pair-a.tar.zst").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size() / 2), static_cast<ssize_t>(bytes.size() / 2));
  c_->follow_once(100);
  ASSERT_TRUE(until("recovered", [&] { return names().count("webapp"); }));
  EXPECT_FALSE(names().count("webapp2")) << "a file being written was shown";
  ASSERT_EQ(::write(fd, bytes.data() + bytes.size() / 2, bytes.size() - bytes.size() / 2),
            static_cast<ssize_t>(bytes.size() - bytes.size() / 2));
  ::close(fd);
  ASSERT_TRUE(until("written", [&] { return names().count("webapp2"); }));
  EXPECT_EQ(row("pair-a.tar.zst")["error"], nullptr);
}

TEST_F(Followed, TheMountPointAndTheCacheInsideTheDirectoryAreNotLookedAt) {
  fs::create_directory(dir_ / "mnt");
  fs::create_directory(dir_ / "cache");
  fs::copy_file(fixture("proc-tree.tar"), dir_ / "proc-tree.tar");
  start({dir_ / "mnt", dir_ / "cache/"});
  EXPECT_EQ(rows().size(), 1u) << rows().dump(1);
  write_file(dir_ / "mnt/x", "what the mount would show");
  write_file(dir_ / "cache/entry", "a cache entry");
  settle();
  EXPECT_EQ(rows().size(), 1u) << rows().dump(1);
}

// The archives this process has open, by path.
std::set<std::string> open_files_under(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    fs::path target = fs::read_symlink(e.path(), ec);
    if (!ec && target.string().starts_with(dir + "/")) out.insert(target.string());
  }
  return out;
}

TEST_F(Followed, ListingOpensNothingReadingOneOpensOnlyIt) {
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / "webapp.tar.zst");
  fs::copy_file(fixture("pair-a.tar.zst"), dir_ / "pair-a.tar.zst");
  fs::copy_file(fixture("proc-tree.tar"), dir_ / "proc-tree.tar");
  fs::create_directory(dir_ / "img");
  for (const auto& e : fs::directory_iterator(fixture("proc-tree")))
    fs::copy_file(e.path(), dir_ / "img" / e.path().filename());
  start();
  EXPECT_EQ(names().size(), 4u);
  EXPECT_EQ(open_files_under(dir_.path()), std::set<std::string>{});
  ASSERT_NE(cat("proc-tree/ps").find("ckpt_workload"), std::string::npos);
  EXPECT_EQ(open_files_under(dir_.path()), std::set<std::string>{dir_ / "proc-tree.tar"});
  EXPECT_TRUE(fs::is_empty(cache_.path())) << "a compressed archive was decompressed";
  EXPECT_TRUE(open_files_under(cache_.path()).empty());
  ASSERT_NE(cat("webapp/ps").find("ckpt_workload"), std::string::npos);
  // Decompressed once into the cache directory, and served from there.
  EXPECT_EQ(open_files_under(dir_.path()), std::set<std::string>{dir_ / "proc-tree.tar"});
  EXPECT_EQ(open_files_under(cache_.path()).size(), 1u);
  ASSERT_TRUE(until("ready", [&] { return row("webapp.tar.zst")["state"] == "ready"; }));
  EXPECT_EQ(row("pair-a.tar.zst")["state"], "not yet opened");
  EXPECT_EQ(row("img")["state"], "not yet opened");
}

}  // namespace
}  // namespace ckptfs
