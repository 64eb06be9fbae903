// What a checkpoint holds besides memory, checked through a real mount:
// metadata files, deleted files, pipe and socket data, /net/sockets, and
// several checkpoints side by side in one mount.

#include <gtest/gtest.h>

#include <sstream>

#include "support/groundtruth.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

class ContainerData : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    CKPTFS_REQUIRE_FIXTURES();
    mount_ = std::make_unique<Mount>(fixture(GetParam()));
  }
  void TearDown() override {
    if (mount_) {
      EXPECT_TRUE(mount_->unmount()) << mount_->log();
    }
  }
  std::unique_ptr<Mount> mount_;
};

TEST_P(ContainerData, DeletedFileContentIsRecovered) {
  std::string path = GetParam() == "proc-tree" ? "files/deleted/tmp/ckptfs-work/deleted.txt"
                                               : "files/deleted/srv/ckpt/deleted.txt";
  EXPECT_EQ(read_file(*mount_ / path), "CKPTFS_DELETED_FILE_CONTENT\n");
}

TEST_P(ContainerData, UnreadPipeAndQueuedUnixSocketData) {
  auto r = run("cat " + shell_quote(*mount_ / "files/pipes") + "/*");
  EXPECT_EQ(r.out, "CKPTFS_PIPE_DATA\n");
  r = run("cat " + shell_quote(*mount_ / "files/sockets") + "/*/recv | sort");
  EXPECT_EQ(r.out, "CKPTFS_UNIX_SK_DATA_A2B\nCKPTFS_UNIX_SK_DATA_B2A\n");
  // Each direction is under the receiving socket's inode, as fd/7 and fd/8 name them.
  auto gt = load_groundtruth(GetParam() == "proc-tree" ? "proc-tree" : "webapp");
  size_t sockets = 0;
  for (const auto& fd : gt["processes"][0]["fds"]) {
    std::string target = fd["target"];
    if (target.rfind("socket:[", 0) != 0 || fd["fd"] == 9) continue;
    ++sockets;
    std::string ino = target.substr(8, target.size() - 9);
    std::string data = read_file(*mount_ / ("files/sockets/" + ino + "/recv"));
    EXPECT_EQ(data.rfind("CKPTFS_UNIX_SK_DATA_", 0), 0u) << ino;
  }
  EXPECT_EQ(sockets, 2u) << "fds 7 and 8, the socketpair (fixtures README)";
}

TEST_P(ContainerData, NetSocketsListsTheTcpListener) {
  std::string s = read_file(*mount_ / "net/sockets");
  bool found = false;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) {
    if (l.find("127.0.0.1:47011") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(l.rfind("tcp ", 0), 0u) << l;
    EXPECT_NE(l.find(" LISTEN "), std::string::npos) << l;
    EXPECT_NE(l.find("fd=9)"), std::string::npos) << l;
  }
  EXPECT_TRUE(found) << s;
  EXPECT_NE(s.find("RcvBuf"), std::string::npos);
  EXPECT_NE(s.find("SndBuf"), std::string::npos);
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 4) << "header + 2 unix + 1 tcp\n" << s;
}

TEST_P(ContainerData, StatsDecoded) {
  std::string name = GetParam() == "proc-tree" ? "proc-tree" : "webapp";
  std::string stats = read_file(*mount_ / ("containers/" + name + "/stats"));
  EXPECT_NE(stats.find("freezing_time:"), std::string::npos) << stats;
  EXPECT_NE(stats.find("pages_written:"), std::string::npos) << stats;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ContainerData,
                         ::testing::Values("proc-tree", "webapp-checkpoint.tar.zst"),
                         [](const auto& test_case) {
                           return test_case.param == "proc-tree" ? "ProcTree" : "Podman";
                         });

TEST(ContainerMetadata, PodmanMetadataFilesAreValidJson) {
  Mount m(example());
  std::string dir = m / "containers/webapp";
  for (const char* f : {"config.json", "spec.json", "network.json"}) {
    auto r = run("jq -e . " + shell_quote(dir + "/" + f) + " >/dev/null");
    EXPECT_EQ(r.status, f == std::string("network.json") ? 1 : 0)
        << f << r.err;  // network.json is `null`
  }
  EXPECT_EQ(run("jq -r .name " + shell_quote(dir + "/config.json")).out, "webapp\n");
  EXPECT_EQ(run("jq -r .process.cwd " + shell_quote(dir + "/spec.json")).out, "/srv\n");
  EXPECT_EQ(read_file(dir + "/network.json"), "null");
  EXPECT_EQ(read_file(dir + "/log"), "");
  EXPECT_TRUE(m.unmount());
}

TEST(SeveralCheckpoints, DirectoryAndTarSideBySideShowNoDifference) {
  CKPTFS_REQUIRE_FIXTURES();
  Mount m({fixture("proc-tree"), fixture("proc-tree.tar")});
  // Same name twice: made unique; diff/ compares them.
  auto r = run("ls " + shell_quote(m.path()));
  EXPECT_EQ(r.out, "diff\nproc-tree\nproc-tree-2\n");
  // mem is 128 TiB of mostly holes: diff would read all of it. vmas/ holds the same bytes.
  r = run("diff -r --no-dereference --exclude=raw --exclude=mem " +
          shell_quote(m / "proc-tree/procs") + " " + shell_quote(m / "proc-tree-2/procs"));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  r = run("diff -r --no-dereference --exclude=raw --exclude=mem --exclude=containers " +
          shell_quote(m / "proc-tree") + " " + shell_quote(m / "proc-tree-2"));
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // The summaries differ only in the image files' times (a copied directory
  // has new mtimes; the tar kept the dump's). Both name the container as the
  // checkpoint does, not as the mount had to (proc-tree-2).
  r = run("diff -r " + shell_quote(m / "proc-tree/containers/proc-tree") + " " +
          shell_quote(m / "proc-tree-2/containers/proc-tree"));
  EXPECT_LE(r.status, 1) << r.err;
  std::istringstream lines(r.out);
  for (std::string l; std::getline(lines, l);)
    if (l.starts_with("<") || l.starts_with(">")) {
      EXPECT_NE(l.find("heckpointed"), std::string::npos) << l;
    }
  EXPECT_TRUE(m.unmount());
}

TEST(SeveralCheckpoints, DifferentCheckpointsCompareWithDiff) {
  CKPTFS_REQUIRE_FIXTURES();
  Mount m({fixture("proc-tree.tar"), fixture("webapp-checkpoint.tar.zst")});
  EXPECT_EQ(run("ls " + shell_quote(m.path())).out, "diff\nproc-tree\nwebapp\n");
  EXPECT_EQ(read_file(m / "webapp/procs/1/comm"), "ckpt_workload\n");
  EXPECT_EQ(read_file(m / "proc-tree/procs/25911/comm"), "ckpt_workload\n");
  auto r = run("diff " + shell_quote(m / "proc-tree/procs/25911/maps") + " " +
               shell_quote(m / "webapp/procs/1/maps"));
  EXPECT_EQ(r.status, 1) << "different address spaces differ";
  EXPECT_TRUE(m.unmount());
}

}  // namespace
}  // namespace ckptfs::test
