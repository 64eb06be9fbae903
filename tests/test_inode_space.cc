// The tree's names and the inode numbers FUSE serves: unique names however
// clashing the input, lazy directories built once on first use, dynamic
// directories whose changes reach the kernel's caches, and building that
// stays linear in the number of entries.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "vfs/dynamic_dir.h"
#include "vfs/inode_space.h"
#include "vfs/lazy_dir.h"
#include "vfs/tree.h"

namespace ckptfs {
namespace {

std::shared_ptr<Content> text(std::string s) { return std::make_shared<TextContent>(std::move(s)); }

std::string read_all(const Content& c) {
  std::string s(c.size(), '\0');
  s.resize(c.read(s.data(), s.size(), 0));
  return s;
}

std::vector<std::string> names(InodeSpace& s, uint64_t dir, size_t from = 0) {
  std::vector<std::string> out;
  s.list(dir, from, [&](const std::string& n, const InodeRef&) {
    out.push_back(n);
    return true;
  });
  return out;
}

TEST(TreeNames, ClashesAreRenamedNeverMergedOrLost) {
  Tree t;
  uint64_t d = t.mkdir(Tree::kRootIno, "d");
  EXPECT_EQ(t.mkdir(Tree::kRootIno, "d"), d) << "mkdir of an existing directory returns it";
  t.add_file(d, "x", text("file x"));
  uint64_t x2 = t.mkdir(d, "x");  // a ghost file /d/x and another at /d/x/y
  t.add_file(x2, "y", text("below"));
  t.add_file(d, "x", text("second x"));
  t.add_symlink(d, "x", "/target");
  t.seal();
  ASSERT_TRUE(t.resolve("d/x"));
  EXPECT_EQ(read_all(*t.resolve("d/x")->content), "file x");
  EXPECT_EQ(t.resolve("d/x~2")->type, NodeType::Dir);
  EXPECT_EQ(read_all(*t.resolve("d/x~2/y")->content), "below");
  EXPECT_EQ(read_all(*t.resolve("d/x~3")->content), "second x");
  EXPECT_EQ(t.resolve("d/x~4")->target, "/target");
  std::set<std::string> seen;
  for (const auto& [n, ino] : t.resolve("d")->children) EXPECT_TRUE(seen.insert(n).second) << n;
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(t.resolve("d")->subdirs, 1u);
}

TEST(TreeNames, AHundredThousandEntriesBuildInLinearTime) {
  // Quadratic building (a scan of the siblings per name) would take minutes
  // here; the test bounds only with ctest's timeout, never with a clock.
  Tree t;
  uint64_t fd = t.mkdir(Tree::kRootIno, "fd");
  for (int i = 0; i < 100000; ++i) {
    std::string n = std::to_string(i);
    ASSERT_FALSE(t.lookup_unsealed(fd, n));
    t.add_file(fd, n, text(n));
  }
  uint64_t task = t.mkdir(Tree::kRootIno, "task");
  for (int i = 0; i < 10000; ++i) t.add_file(t.mkdir(task, std::to_string(i)), "comm", text("c"));
  t.seal();
  EXPECT_EQ(t.resolve("fd")->children.size(), 100000u);
  EXPECT_EQ(read_all(*t.resolve("fd/99999")->content), "99999");
  EXPECT_EQ(t.resolve("task")->subdirs, 10000u);
}

TEST(LazyDir, BuiltOnceByWhoeverComesFirstWhileTheOthersWait) {
  std::atomic<int> builds = 0;
  LazyDir lazy(
      [&] {
        ++builds;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        auto t = std::make_unique<Tree>();
        t->add_file(Tree::kRootIno, "f", text("built"));
        return t;
      },
      7);
  EXPECT_FALSE(lazy.built());
  std::vector<std::thread> threads;
  std::atomic<int> saw = 0;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (lazy.tree().resolve("f")) ++saw;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(saw, 8);
  EXPECT_TRUE(lazy.built());
  EXPECT_EQ(lazy.error(), "");
}

TEST(LazyDir, AFailedBuildLeavesAnErrorFile) {
  LazyDir lazy([]() -> std::unique_ptr<Tree> { throw std::runtime_error("x.tar: truncated"); }, 0);
  const Node* err = lazy.tree().resolve("ERROR");
  ASSERT_TRUE(err);
  EXPECT_EQ(read_all(*err->content), "x.tar: truncated\n");
  EXPECT_EQ(lazy.error(), "x.tar: truncated");
  EXPECT_EQ(lazy.tree().get(Tree::kRootIno)->children.size(), 1u);
}

// Records what the FUSE layer would tell the kernel.
struct Recorder : InodeListener {
  std::vector<std::pair<uint64_t, std::string>> gone;
  std::vector<uint64_t> changes;
  std::vector<std::string> problems;
  void entry_gone(uint64_t dir, const std::string& name) override { gone.emplace_back(dir, name); }
  void changed(uint64_t ino) override { changes.push_back(ino); }
  void problem(uint64_t, const std::string& what) override { problems.push_back(what); }
};

TEST(InodeSpace, TheRootTreeKeepsItsNumbersAndLazyDirsAreGraftedOnFirstUse) {
  auto t = std::make_shared<Tree>(5);
  uint64_t a = t->add_file(Tree::kRootIno, "a", text("A"));
  std::atomic<int> builds = 0;
  auto lazy = std::make_shared<LazyDir>(
      [&] {
        ++builds;
        auto sub = std::make_unique<Tree>(9);
        uint64_t d = sub->mkdir(Tree::kRootIno, "inner");
        sub->add_file(d, "leaf", text("L"));
        return sub;
      },
      9);
  t->add_lazy_dir(Tree::kRootIno, "diff", lazy, 0500);
  t->seal();
  InodeSpace s(t);
  EXPECT_EQ(s.get(a)->node->content.get(), t->get(a)->content.get());
  EXPECT_EQ(names(s, Tree::kRootIno), (std::vector<std::string>{"a", "diff"}));
  EXPECT_EQ(builds, 0) << "listing the parent builds nothing";

  auto diff = s.lookup(Tree::kRootIno, "diff");
  ASSERT_TRUE(diff);
  EXPECT_GT(diff->ino, uint64_t{1} << 32) << "a graft's numbers never collide with the root tree's";
  EXPECT_EQ(diff->node->mode, 0500u);
  EXPECT_EQ(diff->node->mtime, 9);
  EXPECT_EQ(diff->parent, Tree::kRootIno);
  EXPECT_EQ(diff->nlink(), 1u) << "not counted: counting would need the build";
  EXPECT_EQ(builds, 0) << "a lookup of the directory itself builds nothing";
  EXPECT_EQ(s.lookup(Tree::kRootIno, "diff")->ino, diff->ino) << "one graft however often seen";

  auto inner = s.lookup(diff->ino, "inner");
  ASSERT_TRUE(inner);
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(inner->parent, diff->ino);
  auto leaf = s.lookup(inner->ino, "leaf");
  ASSERT_TRUE(leaf);
  EXPECT_EQ(read_all(*leaf->node->content), "L");
  EXPECT_EQ(s.get(leaf->ino)->parent, inner->ino);
  EXPECT_EQ(s.get(inner->ino)->parent, diff->ino);
  EXPECT_EQ(s.get(diff->ino)->parent, Tree::kRootIno);
  EXPECT_FALSE(s.get(diff->ino + 1000)) << "numbers never handed out do not resolve";
  EXPECT_EQ(builds, 1);
}

TEST(InodeSpace, DynamicEntriesComeAndGoAndTheKernelHearsOfIt) {
  auto t = std::make_shared<Tree>();
  t->add_file(Tree::kRootIno, "checkpoints", text("table"));
  auto dyn = std::make_shared<DynamicDir>();
  t->set_dynamic(Tree::kRootIno, dyn);
  t->seal();
  auto make = [](std::string content) {
    return std::make_shared<LazyDir>(
        [content] {
          auto sub = std::make_unique<Tree>();
          sub->add_file(Tree::kRootIno, "info", text(content));
          return sub;
        },
        0);
  };
  auto a = make("A"), b = make("B");
  dyn->set({{"a", {a, 0555}}, {"b", {b, 0555}}});
  InodeSpace s(t);
  Recorder rec;
  s.set_listener(&rec);
  EXPECT_EQ(names(s, Tree::kRootIno), (std::vector<std::string>{"checkpoints", "a", "b"}));
  EXPECT_EQ(names(s, Tree::kRootIno, 2), (std::vector<std::string>{"b"}))
      << "a listing resumes at an index";
  auto in_a = s.lookup(s.lookup(Tree::kRootIno, "a")->ino, "info");
  ASSERT_TRUE(in_a);
  EXPECT_EQ(read_all(*in_a->node->content), "A");

  // A shared LazyDir in a second place is a second set of numbers.
  dyn->set({{"a", {a, 0555}}, {"b", {b, 0555}}, {"also-a", {a, 0555}}});
  EXPECT_NE(s.lookup(Tree::kRootIno, "also-a")->ino, s.lookup(Tree::kRootIno, "a")->ino);
  rec.changes.clear();
  dyn->set({{"b", {b, 0555}}});
  EXPECT_EQ(rec.gone, (std::vector<std::pair<uint64_t, std::string>>{{1, "a"}, {1, "also-a"}}));
  EXPECT_EQ(rec.changes, (std::vector<uint64_t>{1}));
  EXPECT_FALSE(s.lookup(Tree::kRootIno, "a"));
  EXPECT_EQ(names(s, Tree::kRootIno), (std::vector<std::string>{"checkpoints", "b"}));
  // What was open stays readable: the numbers still resolve.
  ASSERT_TRUE(s.get(in_a->ino));
  EXPECT_EQ(read_all(*s.get(in_a->ino)->node->content), "A");
  rec.changes.clear();
  dyn->set({{"b", {b, 0555}}});
  EXPECT_TRUE(rec.changes.empty()) << "no change, no news";
}

TEST(InodeSpace, LiveFilesTellTheKernelWhenTheyChange) {
  auto t = std::make_shared<Tree>();
  auto live = std::make_shared<LiveTextContent>("one\n");
  t->add_file(Tree::kRootIno, "checkpoints", live);
  t->seal();
  InodeSpace s(t);
  Recorder rec;
  s.set_listener(&rec);
  auto f = s.lookup(Tree::kRootIno, "checkpoints");
  ASSERT_TRUE(f);
  live->set("one\ntwo\n");
  EXPECT_EQ(rec.changes, (std::vector<uint64_t>{f->ino}));
  EXPECT_EQ(read_all(*f->node->content), "one\ntwo\n");
}

TEST(InodeSpace, AFailedLazyDirIsReportedOnce) {
  auto t = std::make_shared<Tree>();
  t->add_lazy_dir(
      Tree::kRootIno, "broken",
      std::make_shared<LazyDir>(
          []() -> std::unique_ptr<Tree> { throw std::runtime_error("bad.tar: cut"); }, 0));
  t->seal();
  InodeSpace s(t);
  Recorder rec;
  s.set_listener(&rec);
  auto d = s.lookup(Tree::kRootIno, "broken");
  EXPECT_EQ(names(s, d->ino), (std::vector<std::string>{"ERROR"}));
  EXPECT_EQ(names(s, d->ino), (std::vector<std::string>{"ERROR"}));
  EXPECT_EQ(rec.problems, (std::vector<std::string>{"bad.tar: cut"}));
}

}  // namespace
}  // namespace ckptfs
