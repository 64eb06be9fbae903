// `ckptfs DIR MNT` with the real daemon over a directory of real checkpoints
// of every kind, a file that is none and a truncated archive: the table
// against what each archive's own metadata says (read with tar and parsed
// here), each checkpoint's tree against the same archive mounted alone and
// the ground truth, by-pod/, laziness (the daemon's open files and cache
// entries), and the directory changing while mounted. Timing is never
// asserted: changes are waited for with a 30 s limit and the time recorded.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/crio_archive.h"
#include "support/groundtruth.h"
#include "support/memory_check.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string member(const std::string& archive, const std::string& name) {
  auto r = run("tar -xOf " + shell_quote(archive) + " " + shell_quote(name));
  EXPECT_EQ(r.status, 0) << archive << ": " << r.err;
  return r.out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// inventory.img's time as tar lists it, UTC.
std::string tar_time(const std::string& archive, const std::string& name) {
  return trim(run("TZ=UTC tar --full-time -tvf " + shell_quote(archive) + " " + shell_quote(name) +
                  " | awk '{ print $4 \"T\" $5 \"Z\" }'")
                  .out);
}

std::string file_time(const std::string& path) {
  return trim(run("date -u -r " + shell_quote(path) + " +%Y-%m-%dT%H:%M:%SZ").out);
}

// The daemon's open files below dir.
std::set<std::string> open_below(pid_t pid, const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code ec2;
    std::string t = fs::read_symlink(e.path(), ec2).string();
    if (!ec2 && t.starts_with(dir + "/")) out.insert(t);
  }
  return out;
}

size_t cache_entries(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().string().ends_with(".ckptfs-cache")) ++n;
  return n;
}

class CollectionMount : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(have_fixtures()) << "the fixtures are missing: " << fixtures_dir();
    fs::copy_file(fixture("webapp-checkpoint.tar.zst"), dir_ / "webapp.tar.zst");
    fs::copy_file(fixture("pair-a.tar.zst"), dir_ / "pair-a.tar.zst");
    fs::copy_file(fixture("pair-b.tar.zst"), dir_ / "pair-b.tar.zst");
    fs::copy_file(fixture("proc-tree.tar"), dir_ / "proc-tree.tar");
    ASSERT_EQ(
        run("cp -a " + shell_quote(fixture("proc-tree")) + " " + shell_quote(dir_ / "dump")).status,
        0);
    write_file(dir_ / "notes.txt", "a file that is not a checkpoint at all\n");
    std::string zst = read_file(fixture("webapp-checkpoint.tar.zst"));
    write_file(dir_ / "cut.tar.zst", zst.substr(0, zst.size() / 2));
    kubelet_ = kubelet_file_name(crio_, "2024-02-29T18:28:17Z");
    write_file(dir_ / kubelet_, crio_archive(crio_));
  }
  void mount(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"-o", "cache=" + cache_.path()});
    m_ = std::make_unique<Mount>(std::vector<std::string>{dir_.path()}, extra);
  }
  json rows() { return json::parse(read_file(*m_ / "checkpoints.json")); }
  json row(const std::string& archive) {
    for (const auto& r : rows())
      if (r["archive"] == archive) return r;
    ADD_FAILURE() << "no row for " << archive;
    return json::object();
  }
  std::string name_of(const std::string& archive) { return row(archive)["name"]; }
  std::set<std::string> ls() {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(m_->path())) out.insert(e.path().filename());
    return out;
  }
  bool until(const std::string& what, const std::function<bool()>& pred) {
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
      if (pred()) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
        RecordProperty(what + "_ms", std::to_string(ms));
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  TempDir dir_, cache_;
  CrioMeta crio_;
  std::string kubelet_;
  std::unique_ptr<Mount> m_;
};

TEST_F(CollectionMount, TheTableSaysWhatEachArchivesMetadataSays) {
  mount();
  json all = rows();
  ASSERT_EQ(all.size(), 8u) << all.dump(1);
  for (const char* a : {"webapp.tar.zst", "pair-a.tar.zst", "pair-b.tar.zst"}) {
    SCOPED_TRACE(a);
    std::string path = dir_ / a;
    json config = json::parse(member(path, "config.dump"));
    json spec = json::parse(member(path, "spec.dump"));
    json r = row(a);
    EXPECT_EQ(r["container"], config["name"]);
    ASSERT_EQ(spec["annotations"]["io.container.manager"], "libpod");
    EXPECT_EQ(r["engine"], "Podman");
    EXPECT_EQ(r["pod"], nullptr);
    EXPECT_EQ(r["namespace"], nullptr);
    EXPECT_EQ(r["checkpointed"], tar_time(path, "checkpoint/inventory.img"));
    EXPECT_EQ(r["size"], fs::file_size(path));
    EXPECT_EQ(r["kind"], "tar+zstd");
    EXPECT_EQ(r["state"], "not yet opened");
    EXPECT_EQ(r["error"], nullptr);
    EXPECT_TRUE(fs::is_directory(*m_ / r["name"].get<std::string>()));
  }
  json k = row(kubelet_);
  EXPECT_EQ(k["engine"], "CRI-O");
  EXPECT_EQ(k["container"], crio_.container);
  EXPECT_EQ(k["pod"], crio_.pod);
  EXPECT_EQ(k["namespace"], crio_.namespace_);
  // config.dump's checkpointedTime converted by date(1).
  json config = json::parse(member(dir_ / kubelet_, "config.dump"));
  EXPECT_EQ(k["checkpointed"], trim(run("date -u -d " + shell_quote(config["checkpointedTime"]) +
                                        " +%Y-%m-%dT%H:%M:%SZ")
                                        .out));
  EXPECT_EQ(k["name"], crio_.container) << "the only container of its name";
  EXPECT_EQ(k["by_pod"], "by-pod/" + crio_.namespace_ + "/" + crio_.pod + "/" + crio_.container +
                             "/2024-02-29T18:28:17Z");

  for (const char* a : {"proc-tree.tar", "dump"}) {
    json r = row(a);
    EXPECT_EQ(r["engine"], "none") << a;
    EXPECT_EQ(r["error"], nullptr) << a;
  }
  EXPECT_EQ(row("proc-tree.tar")["container"], "proc-tree");
  EXPECT_EQ(row("dump")["container"], "dump");
  EXPECT_EQ(row("dump")["checkpointed"], file_time(dir_ / "dump/inventory.img"));
  EXPECT_EQ(row("dump")["kind"], "directory");

  json notes = row("notes.txt");
  EXPECT_EQ(notes["name"], nullptr);
  EXPECT_EQ(notes["state"], "error");
  EXPECT_NE(notes["error"].get<std::string>().find("not a checkpoint"), std::string::npos);

  // Names: the container's, and what tells clashes apart (pair-a and pair-b
  // are one container, checkpointed at different times).
  std::string ta = tar_time(dir_ / "pair-a.tar.zst", "checkpoint/inventory.img");
  std::string tb = tar_time(dir_ / "pair-b.tar.zst", "checkpoint/inventory.img");
  ASSERT_NE(ta, tb);
  EXPECT_EQ(name_of("pair-a.tar.zst"), "webapp2_" + ta);
  EXPECT_EQ(name_of("pair-b.tar.zst"), "webapp2_" + tb);
  EXPECT_EQ(ls(),
            (std::set<std::string>{"checkpoints", "checkpoints.json", "by-pod", "webapp2_" + ta,
                                   "webapp2_" + tb, "proc-tree", "dump", name_of("webapp.tar.zst"),
                                   name_of("cut.tar.zst"), crio_.container}));
  EXPECT_NE(name_of("webapp.tar.zst"), name_of("cut.tar.zst"));

  // The text table: a header and one line per row, each naming its archive.
  std::string table = read_file(*m_ / "checkpoints");
  EXPECT_TRUE(table.starts_with("NAME ")) << table;
  EXPECT_EQ(static_cast<size_t>(std::count(table.begin(), table.end(), '\n')), all.size() + 1);
  for (const auto& r : all) {
    std::string a = r["archive"];
    size_t at = table.find(" " + a + " ");
    ASSERT_NE(at, std::string::npos) << a << "\n" << table;
    std::string line = table.substr(table.rfind('\n', at) + 1);
    line = line.substr(0, line.find('\n'));
    if (!r["name"].is_null()) {
      EXPECT_TRUE(line.starts_with(r["name"].get<std::string>() + " ")) << line;
    }
    if (!r["container"].is_null()) {
      EXPECT_NE(line.find(" " + r["container"].get<std::string>() + " "), std::string::npos);
    }
  }
  EXPECT_TRUE(m_->unmount()) << m_->log();
}

TEST_F(CollectionMount, EachCheckpointIsTheTreeItsArchiveMountsAlone) {
  mount();
  for (const char* a : {"webapp.tar.zst", "pair-b.tar.zst", "proc-tree.tar", "dump"}) {
    SCOPED_TRACE(a);
    std::string mine = *m_ / name_of(a);
    Mount alone(dir_ / a);
    EXPECT_EQ(tree_listing(mine), tree_listing(alone.path()));
    for (const char* f : {"ps", "raw/pstree.img.json", "net/sockets"})
      EXPECT_EQ(read_file(mine + "/" + f), read_file(alone / f)) << f;
    EXPECT_TRUE(alone.unmount()) << alone.log();
  }
  // And against the truth the fixtures were captured with.
  expect_memory_matches_groundtruth(*m_ / name_of("webapp.tar.zst"), load_groundtruth("webapp"));
  expect_memory_matches_groundtruth(*m_ / name_of("proc-tree.tar"), load_groundtruth("proc-tree"));
  expect_memory_matches_groundtruth(*m_ / name_of(kubelet_), load_groundtruth("proc-tree"));
  expect_memory_matches_groundtruth(*m_ / name_of("pair-a.tar.zst"), load_groundtruth("pair-a"));
  EXPECT_TRUE(m_->unmount()) << m_->log();
}

TEST_F(CollectionMount, ByPodReachesTheSameTreesAndIsNoSymlink) {
  mount();
  size_t checked = 0;
  for (const auto& r : rows()) {
    if (r["name"].is_null()) continue;
    std::string a = r["archive"];
    if (a == "cut.tar.zst") continue;
    SCOPED_TRACE(a);
    std::string by_pod = *m_ / r["by_pod"].get<std::string>();
    std::string direct = *m_ / r["name"].get<std::string>();
    // Each level a real directory: the mount follows no symlinks.
    struct stat st {};
    std::string rel = r["by_pod"].get<std::string>();
    for (size_t i = 0, j; i < rel.size(); i = j + 1) {
      j = std::min(rel.find('/', i), rel.size());
      std::string sub = *m_ / rel.substr(0, j);
      ASSERT_EQ(::lstat(sub.c_str(), &st), 0) << sub;
      EXPECT_TRUE(S_ISDIR(st.st_mode)) << sub;
    }
    struct stat a_st {
    }, b_st{};
    ASSERT_EQ(::stat(by_pod.c_str(), &a_st), 0);
    ASSERT_EQ(::stat(direct.c_str(), &b_st), 0);
    EXPECT_NE(a_st.st_ino, b_st.st_ino) << "a second place has its own inode numbers";
    EXPECT_EQ(tree_listing(by_pod), tree_listing(direct));
    EXPECT_EQ(read_file(by_pod + "/ps"), read_file(direct + "/ps"));
    ++checked;
  }
  EXPECT_EQ(checked, 6u);
  EXPECT_TRUE(fs::is_directory(*m_ / ("by-pod/" + crio_.namespace_ + "/" + crio_.pod + "/" +
                                      crio_.container + "/2024-02-29T18:28:17Z/procs")));
  EXPECT_EQ(run("find " + shell_quote(*m_ / "by-pod") + " -maxdepth 4 -type l").out, "");
  EXPECT_TRUE(m_->unmount()) << m_->log();
}

TEST_F(CollectionMount, ABrokenArchiveFailsAloneWithOneErrorFile) {
  mount();
  std::string dir = *m_ / name_of("cut.tar.zst");
  EXPECT_EQ(run("ls " + shell_quote(dir)).out, "ERROR\n");
  std::string error = read_file(dir + "/ERROR");
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  EXPECT_NE(error.find(dir_ / "cut.tar.zst"), std::string::npos) << error;
  ASSERT_TRUE(until("table", [&] { return row("cut.tar.zst")["state"] == "error"; }));
  EXPECT_EQ(row("cut.tar.zst")["error"].get<std::string>() + "\n", error);
  // The copy it was cut from works beside it.
  EXPECT_NE(read_file(*m_ / (name_of("webapp.tar.zst") + "/ps")).find("ckpt_workload"),
            std::string::npos);
  EXPECT_TRUE(m_->unmount()) << m_->log();
  EXPECT_NE(m_->log().find("cut.tar.zst"), std::string::npos) << m_->log();
}

TEST_F(CollectionMount, MountingOpensNothingReadingOneOpensNoOther) {
  mount();
  pid_t pid = m_->pid();
  read_file(*m_ / "checkpoints");
  ls();
  EXPECT_EQ(open_below(pid, dir_.path()), std::set<std::string>{}) << "mounting left files open";
  EXPECT_EQ(cache_entries(cache_.path()), 0u) << "mounting decompressed an archive";
  size_t fds_before = static_cast<size_t>(std::distance(
      fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd"), fs::directory_iterator()));

  // A compressed one: decompressed into the cache and served from there.
  ASSERT_NE(read_file(*m_ / (name_of("pair-a.tar.zst") + "/ps")).find("ckpt_workload"),
            std::string::npos);
  ASSERT_TRUE(wait_for_cache_entry(cache_.path()));
  EXPECT_EQ(cache_entries(cache_.path()), 1u);
  EXPECT_EQ(open_below(pid, dir_.path()), std::set<std::string>{});
  // A plain tar: read in place, the only archive held open.
  ASSERT_NE(read_file(*m_ / "proc-tree/ps").find("ckpt_workload"), std::string::npos);
  EXPECT_EQ(open_below(pid, dir_.path()), std::set<std::string>{dir_ / "proc-tree.tar"});
  size_t fds_after = static_cast<size_t>(std::distance(
      fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd"), fs::directory_iterator()));
  RecordProperty("daemon_fds_before", std::to_string(fds_before));
  RecordProperty("daemon_fds_after_two", std::to_string(fds_after));
  EXPECT_EQ(fds_after, fds_before + 2) << "the cache file and proc-tree.tar";

  ASSERT_TRUE(until("ready", [&] { return row("pair-a.tar.zst")["state"] == "ready"; }));
  for (const char* other : {"webapp.tar.zst", "pair-b.tar.zst", "dump"})
    EXPECT_EQ(row(other)["state"], "not yet opened") << other;
  EXPECT_EQ(cache_entries(cache_.path()), 1u);
  EXPECT_TRUE(m_->unmount()) << m_->log();
}

TEST_F(CollectionMount, TheDirectoryChangingWhileMounted) {
  // The kubelet's case: an empty directory, archives arriving.
  TempDir empty;
  m_ = std::make_unique<Mount>(std::vector<std::string>{empty.path()},
                               std::vector<std::string>{"-o", "cache=" + cache_.path()});
  EXPECT_EQ(ls(), (std::set<std::string>{"checkpoints", "checkpoints.json", "by-pod"}));
  EXPECT_EQ(rows(), json::array());

  // Copied in.
  fs::copy_file(fixture("webapp-checkpoint.tar.zst"), empty / "webapp.tar.zst");
  ASSERT_TRUE(until("added", [&] { return ls().count("webapp"); }));
  ASSERT_TRUE(until("added_table", [&] { return rows().size() == 1; }));

  // Written slowly: nothing shown until closed.
  std::string bytes = read_file(fixture("proc-tree.tar"));
  int fd = ::open((empty / "slow.tar").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size() / 2), static_cast<ssize_t>(bytes.size() / 2));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(ls().count("slow")) << "half an archive is shown";
  EXPECT_EQ(rows().size(), 1u);
  ASSERT_EQ(::write(fd, bytes.data() + bytes.size() / 2, bytes.size() - bytes.size() / 2),
            static_cast<ssize_t>(bytes.size() - bytes.size() / 2));
  ::close(fd);
  ASSERT_TRUE(until("written", [&] { return ls().count("slow"); }));
  // The table is rewritten just after the entry appears (as for webapp above).
  ASSERT_TRUE(until("written_table", [&] { return rows().size() == 2; }));
  EXPECT_EQ(read_file(*m_ / "slow/ps"),
            read_file(*m_ / "by-pod/-/-/slow/" +
                      row("slow.tar")["checkpointed"].get<std::string>() + "/ps"));

  // Renamed into place from a hidden temporary.
  fs::copy_file(fixture("pair-a.tar.zst"), empty / ".pair-a.tmp");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(ls().count("webapp2"));
  fs::rename(empty / ".pair-a.tmp", empty / "pair-a.tar.zst");
  ASSERT_TRUE(until("renamed", [&] { return ls().count("webapp2"); }));

  // Removed while a file in it is open: gone from listings, still readable.
  std::string vmas = *m_ / "webapp/procs/1/vmas";
  std::string first = fs::directory_iterator(vmas)->path();
  std::string want = read_file(first);
  int open_fd = ::open(first.c_str(), O_RDONLY);
  ASSERT_GE(open_fd, 0);
  fs::remove(empty / "webapp.tar.zst");
  ASSERT_TRUE(until("removed", [&] { return !ls().count("webapp"); }));
  EXPECT_TRUE(until("removed_table", [&] { return rows().size() == 2; }));
  EXPECT_FALSE(fs::exists(*m_ / "by-pod/-/-/webapp"));
  std::string got(want.size(), '\0');
  EXPECT_EQ(::pread(open_fd, got.data(), got.size(), 0), static_cast<ssize_t>(want.size()));
  EXPECT_EQ(got, want);
  ::close(open_fd);

  // A new non-checkpoint is listed with its error, and logged once.
  write_file(empty / "junk.bin", std::string(4096, 'x'));
  ASSERT_TRUE(until("junk", [&] { return rows().size() == 3; }));
  EXPECT_TRUE(m_->unmount()) << m_->log();
  EXPECT_NE(m_->log().find("junk.bin: not a checkpoint"), std::string::npos) << m_->log();
}

TEST_F(CollectionMount, DirectoriesAndArchivesMixOnOneCommandLine) {
  TempDir second;
  fs::copy_file(fixture("pair-b.tar.zst"), second / "pair-b.tar.zst");
  m_ = std::make_unique<Mount>(
      std::vector<std::string>{dir_.path(), second.path(), fixture("proc-tree.tar")},
      std::vector<std::string>{"-o", "cache=" + cache_.path()});
  json all = rows();
  EXPECT_EQ(all.size(), 10u) << all.dump(1);
  std::set<std::string> archives;
  for (const auto& r : all) archives.insert(r["archive"]);
  EXPECT_TRUE(archives.count(second / "pair-b.tar.zst")) << "the directory named, with two";
  EXPECT_TRUE(archives.count(fixture("proc-tree.tar"))) << "an archive as given";
  // Three copies of proc-tree's images under one container name; two of pair-b.
  size_t proc_trees = 0;
  for (const auto& r : all) proc_trees += r["container"] == "proc-tree";
  EXPECT_EQ(proc_trees, 2u);
  EXPECT_TRUE(m_->unmount()) << m_->log();
}

}  // namespace
}  // namespace ckptfs::test
