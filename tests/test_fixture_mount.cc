// Mounts every real fixture and checks each file against the ground truth the
// fixtures were captured with, through the mount, with the tools a user has.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "support/fixture_test.h"
#include "support/groundtruth.h"
#include "support/memory_check.h"
#include "support/mount.h"
#include "support/oci_fixture.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

struct FixtureCase {
  std::string name;   // test name
  std::string input;  // relative to the fixtures dir
  std::string label;  // ground truth label
  std::string container;
  std::string engine;
  std::string runtime;
  // Mounted a second time, served from the cache entry the first mount left.
  bool from_cache = false;
  // Builds the input from the fixtures in a scratch directory instead.
  std::optional<OciVariant> oci = std::nullopt;
};

std::ostream& operator<<(std::ostream& o, const FixtureCase& c) { return o << c.name; }

class FixtureMount : public MountedFixtureTest<FixtureCase> {
 protected:
  std::string input(const FixtureCase& p) const override { return p.input; }
  std::string label(const FixtureCase& p) const override { return p.label; }
  void SetUp() override {
    if (!GetParam().from_cache && !GetParam().oci) return MountedFixtureTest::SetUp();
    CKPTFS_REQUIRE_FIXTURES();
    gt_ = load_groundtruth(GetParam().label);
    const std::vector<std::string> in = {GetParam().oci
                                             ? make_oci_variant(*GetParam().oci, scratch_ / "input")
                                             : fixture(GetParam().input)};
    if (!GetParam().from_cache) {
      mount_ = std::make_unique<Mount>(in);
      return;
    }
    const std::vector<std::string> args = {"-o", "cache=" + cache_.path()};
    {
      Mount first(in, args);
      ASSERT_TRUE(wait_for_cache_entry(cache_.path())) << first.log();
      ASSERT_TRUE(first.unmount()) << first.log();
    }
    std::vector<std::filesystem::path> entries;
    for (const auto& e : std::filesystem::directory_iterator(cache_.path()))
      entries.push_back(e.path());
    ASSERT_EQ(entries.size(), 1u) << "the first mount should leave one cache entry";
    // A hit marks the same file used (mtime now; a rebuilt entry would be a
    // new inode): back-date it to see that.
    const timespec old[2] = {{1, 0}, {1, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, entries[0].c_str(), old, 0), 0);
    struct stat before {
    }, after{};
    ASSERT_EQ(::stat(entries[0].c_str(), &before), 0);
    mount_ = std::make_unique<Mount>(in, args);
    ASSERT_EQ(::stat(entries[0].c_str(), &after), 0);
    ASSERT_TRUE(after.st_ino == before.st_ino && after.st_mtime > 1)
        << "the second mount did not use the cache entry";
  }
  TempDir cache_;
  TempDir scratch_;
  std::string read_mem(const nlohmann::json& p, uint64_t addr, size_t len) const {
    return ckptfs::test::read_mem(*mount_, ns_pid(p), addr, len);
  }
};

struct MapsLine {
  uint64_t start, end, offset;
  std::string perms, path;
};

std::vector<MapsLine> parse_maps(const std::string& text) {
  std::vector<MapsLine> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    MapsLine m;
    char perms[5] = {};
    unsigned long long s, e, off;
    int pos = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %4s %llx %*x:%*x %*u %n", &s, &e, perms, &off, &pos) <
        4)
      continue;
    m.start = s, m.end = e, m.offset = off, m.perms = perms;
    m.path = line.substr(static_cast<size_t>(pos));
    while (!m.path.empty() && m.path.back() == ' ') m.path.pop_back();
    out.push_back(m);
  }
  return out;
}

TEST_P(FixtureMount, MapsMatchTheKernelsLines) {
  for (const auto& p : gt_["processes"]) {
    std::string ours_text = read_file(proc(p, "maps"));
    auto ours = parse_maps(ours_text);
    // CRIU stores [vvar] + [vvar_vclock] as one VMA (format doc §7.2); these
    // kernels' 6-page layout tells where the second line starts.
    auto expected = parse_maps(p["maps"].get<std::string>());
    ASSERT_EQ(ours.size(), expected.size()) << ours_text;
    for (size_t i = 0; i < ours.size(); ++i) {
      SCOPED_TRACE(ours_text);
      EXPECT_EQ(ours[i].start, expected[i].start) << i;
      EXPECT_EQ(ours[i].end, expected[i].end) << i;
      EXPECT_EQ(ours[i].perms, expected[i].perms) << i;
      EXPECT_EQ(ours[i].offset, expected[i].offset) << i;
      EXPECT_EQ(ours[i].path, expected[i].path) << i;
    }
    // Lines with a name are padded exactly like the kernel's (name at index 73).
    std::istringstream in(ours_text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find('/') != std::string::npos || line.find('[') != std::string::npos) {
        size_t name = line.find_first_of("/[", 40);
        EXPECT_EQ(name, 73u) << line;
      } else {
        EXPECT_EQ(line.back(), ' ') << "anonymous lines end in a space like the kernel's: " << line;
      }
    }
  }
}

TEST_P(FixtureMount, EveryVmaHashesLikeTheDumpedView) {
  expect_vmas_hash_like_dumped_view(*mount_, gt_);
}

TEST_P(FixtureMount, EveryMarkerReadsBackAtItsAddress) { expect_markers_read_back(*mount_, gt_); }

// Union of the ground truth's dumped pages per process, as address runs.
std::vector<std::pair<uint64_t, uint64_t>> dumped_runs(const nlohmann::json& p) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  for (const auto& v : p["vmas"])
    for (const auto& r : v["dumped_pages"]) {
      uint64_t s = hex(v["start"]) + r[0].get<uint64_t>() * 4096;
      runs.emplace_back(s, s + r[1].get<uint64_t>() * 4096);
    }
  std::sort(runs.begin(), runs.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (auto& r : runs) {
    if (!merged.empty() && merged.back().second == r.first)
      merged.back().second = r.second;
    else
      merged.push_back(r);
  }
  return merged;
}

TEST_P(FixtureMount, SeekDataAndHoleLandOnDumpedPageBoundaries) {
  for (const auto& p : gt_["processes"]) {
    int fd = ::open(proc(p, "mem").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    auto runs = dumped_runs(p);
    ASSERT_FALSE(runs.empty());
    EXPECT_EQ(static_cast<uint64_t>(::lseek(fd, 0, SEEK_DATA)), runs.front().first);
    uint64_t total = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      auto [s, e] = runs[i];
      total += e - s;
      EXPECT_EQ(static_cast<uint64_t>(::lseek(fd, static_cast<off_t>(s), SEEK_DATA)), s);
      EXPECT_EQ(static_cast<uint64_t>(::lseek(fd, static_cast<off_t>(s), SEEK_HOLE)), e)
          << std::hex << s;
      EXPECT_EQ(static_cast<uint64_t>(::lseek(fd, static_cast<off_t>(e - 1), SEEK_HOLE)), e);
      uint64_t next = i + 1 < runs.size() ? runs[i + 1].first : 0;
      off_t d = ::lseek(fd, static_cast<off_t>(e), SEEK_DATA);
      if (next) {
        EXPECT_EQ(static_cast<uint64_t>(d), next) << std::hex << e;
      } else {
        EXPECT_EQ(d, -1);
        EXPECT_EQ(errno, ENXIO);
      }
    }
    struct stat st {};
    ASSERT_EQ(::fstat(fd, &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), 0x800000000000ull);
    EXPECT_EQ(static_cast<uint64_t>(st.st_blocks) * 512, total)
        << "st_blocks counts only stored pages";
    ::close(fd);
  }
}

TEST_P(FixtureMount, HexdumpAndGrepWorkThroughTheMount) {
  const auto& p = gt_["processes"][0];
  const nlohmann::json* heap = nullptr;
  for (const auto& m : p["markers"])
    if (m["marker"] == "CKPTFS_HEAP_MARKER") heap = &m;
  ASSERT_TRUE(heap);
  std::string addr = (*heap)["addr"];
  auto r = run("hexdump -C -s " + addr + " -n 32 " + shell_quote(proc(p, "mem")));
  ASSERT_EQ(r.status, 0) << r.err;
  char expected_addr[32];
  std::snprintf(expected_addr, sizeof expected_addr, "%08llx",
                static_cast<unsigned long long>(hex((*heap)["addr"])));
  EXPECT_NE(r.out.find(expected_addr), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("|CKPTFS_HEAP_MARK|"), std::string::npos) << r.out;
  // GNU grep skips holes with SEEK_HOLE: it reads only the stored pages.
  r = run("timeout 60 grep -c CKPTFS_SHMEM_CHILD_MARKER " + shell_quote(proc(p, "mem")));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_GE(std::stoi(r.out), 1);
  r = run("timeout 60 grep -c CKPTFS_NOT_A_MARKER_ANYWHERE " + shell_quote(proc(p, "mem")));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "0\n");
}

TEST_P(FixtureMount, SharedMemoryShowsInEveryProcessThatMapsIt) {
  size_t mappings = 0;
  for (const auto& p : gt_["processes"])
    for (const auto& v : p["vmas"]) {
      if (v["kind"] != "anon_shared") continue;
      ++mappings;
      std::string data = read_mem(p, hex(v["start"]), hex(v["end"]) - hex(v["start"]));
      EXPECT_NE(data.find("CKPTFS_SHMEM_MARKER"), std::string::npos);
      EXPECT_NE(data.find("CKPTFS_SHMEM_CHILD_MARKER"), std::string::npos);
      EXPECT_NE(data.find("CKPTFS_SHMEM_GRANDCHILD_MARKER"), std::string::npos);
    }
  // The workload's region is mapped by all three processes (fixtures README).
  EXPECT_EQ(mappings, gt_["processes"].size());
}

TEST_P(FixtureMount, TreeHasOneDirectoryPerProcessAndComm) {
  std::set<std::string> expected;
  for (const auto& p : gt_["processes"]) {
    expected.insert(std::to_string(ns_pid(p)));
    EXPECT_EQ(read_file(proc(p, "comm")), p["comm"].get<std::string>() + "\n");
  }
  auto r = run("ls " + shell_quote(*mount_ / "procs"));
  std::set<std::string> listed;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) listed.insert(l);
  EXPECT_EQ(listed, expected);
}

TEST_P(FixtureMount, InfoNamesContainerEngineAndRuntime) {
  const auto& c = GetParam();
  std::string info = read_file(*mount_ / ("containers/" + c.container + "/info"));
  EXPECT_NE(info.find("Container:        " + c.container + "\n"), std::string::npos) << info;
  EXPECT_NE(info.find("Engine:           " + c.engine + "\n"), std::string::npos) << info;
  EXPECT_NE(info.find("Runtime:          " + c.runtime + "\n"), std::string::npos) << info;
  for (const auto& p : gt_["processes"])
    EXPECT_NE(info.find("[" + std::to_string(ns_pid(p)) + "]  " + p["comm"].get<std::string>()),
              std::string::npos);
  auto j = nlohmann::json::parse(read_file(*mount_ / ("containers/" + c.container + "/info.json")));
  EXPECT_EQ(j["container_name"], c.container);
  EXPECT_EQ(j["engine"], c.engine);
  EXPECT_EQ(j["process_tree"]["pid"], ns_pid(gt_["processes"][0]));
  EXPECT_EQ(j["process_tree"]["command"], gt_["processes"][0]["comm"]);
  uint64_t pages = 0;
  for (const auto& p : gt_["processes"])
    for (const auto& v : p["vmas"])
      if (v["kind"] != "anon_shared") pages += v["nr_dumped_pages"].get<uint64_t>();
  // Private pages per process, plus each shared object once.
  EXPECT_GE(j["checkpoint_size"]["memory_pages_size"].get<uint64_t>(), pages * 4096);
  // `jq` is how users read it.
  auto r = run("jq -r .process_tree.children[0].command " +
               shell_quote(*mount_ / ("containers/" + c.container + "/info.json")));
  EXPECT_EQ(r.out, gt_["processes"][1]["comm"].get<std::string>() + "\n");
}

// CRIU counts in stats-dump the private pages it wrote; the ground truth
// counts the pages the processes had dumped, shared memory apart.
TEST_P(FixtureMount, DumpStatisticsCountTheDumpedPages) {
  const auto& c = GetParam();
  uint64_t pages = 0;
  for (const auto& p : gt_["processes"])
    for (const auto& v : p["vmas"])
      if (v["kind"] != "anon_shared") pages += v["nr_dumped_pages"].get<uint64_t>();
  auto j = nlohmann::json::parse(read_file(*mount_ / ("containers/" + c.container + "/info.json")));
  EXPECT_EQ(j["statistics"]["pages_written"], pages);
  EXPECT_GE(j["statistics"]["pages_scanned"].get<uint64_t>(), pages);
  std::string info = read_file(*mount_ / ("containers/" + c.container + "/info"));
  EXPECT_NE(info.find("  Pages written:  " + std::to_string(pages) + "\n"), std::string::npos)
      << info;
}

TEST_P(FixtureMount, WritesFailWithErofs) {
  const auto& p = gt_["processes"][0];
  int fd = ::open(proc(p, "mem").c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::open((*mount_ / "new-file").c_str(), O_CREAT | O_WRONLY, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::mkdir((*mount_ / "d").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::unlink(proc(p, "maps").c_str()), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::chmod(proc(p, "maps").c_str(), 0777), -1);
  EXPECT_EQ(errno, EROFS);
}

std::string link_text(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "<" + std::string(std::strerror(errno)) + ">"
               : std::string(buf, static_cast<size_t>(n));
}

std::set<std::string> output_lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.insert(l);
  return out;
}

// Links show the process's own targets and never lead out of the mount.
// Root's mount refuses to follow any (nosymfollow: ELOOP). An ordinary
// user's, which fusermount3 cannot make nosymfollow, shows a target that
// would leave behind "(not followed)/", where the walk stops (ENOENT).
// scripts/test-unprivileged runs this suite as such a user.
TEST_P(FixtureMount, LinksShowTheirTargetsAndLeadNowhereOutside) {
  const bool root = ::geteuid() == 0;
  auto shown = [&](const std::string& t) {
    return root || t.empty() || t[0] != '/' ? t : "(not followed)" + t;
  };
  auto leads_nowhere = [&](const std::string& path) {
    struct stat st {};
    int r = ::stat(path.c_str(), &st);
    int err = errno;
    EXPECT_EQ(r, -1) << path << " was followed";
    EXPECT_EQ(err, root ? ELOOP : ENOENT) << path;
  };
  for (const auto& p : gt_["processes"]) {
    EXPECT_EQ(link_text(proc(p, "cwd")), shown(p["cwd"].get<std::string>()));
    leads_nowhere(proc(p, "cwd"));
    EXPECT_EQ(link_text(proc(p, "root")), shown("/"));
    leads_nowhere(proc(p, "root"));
    for (const auto& fd : p["fds"]) {
      std::string path = proc(p, "fd/" + std::to_string(fd["fd"].get<int>()));
      std::string target = fd["target"].get<std::string>();
      EXPECT_EQ(link_text(path), shown(target));
      if (target.starts_with("/")) leads_nowhere(path);
    }
  }
  // A walk that follows every link names nothing but the checkpoint's own
  // entries (root (/) followed would be the whole host).
  std::string mp = shell_quote(mount_->path());
  std::set<std::string> inside = output_lines(run("find " + mp).out);
  auto followed = run("timeout 120 find -L " + mp + " 2>/dev/null");
  EXPECT_NE(followed.status, 124) << "find -L did not finish";
  for (const auto& path : output_lines(followed.out))
    EXPECT_TRUE(inside.count(path)) << path << " is not in the checkpoint";
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureMount,
    ::testing::Values(
        FixtureCase{"ImageDirectory", "proc-tree", "proc-tree", "proc-tree", "none", "-"},
        FixtureCase{"PlainTar", "proc-tree.tar", "proc-tree", "proc-tree", "none", "-"},
        FixtureCase{"PodmanZstd", "webapp-checkpoint.tar.zst", "webapp", "webapp", "Podman",
                    "runc"},
        FixtureCase{"PodmanZstdFromCache", "webapp-checkpoint.tar.zst", "webapp", "webapp",
                    "Podman", "runc", true},
        // The Podman checkpoint image, as podman save
        // wrote it (gzip layer) and as the other tools
        // store images (README-pair-and-image.md).
        FixtureCase{"OciArchive", kOciFixture, "image", "webapp2", "Podman", "runc"},
        FixtureCase{"OciArchiveFromCache", kOciFixture, "image", "webapp2", "Podman", "runc", true},
        FixtureCase{"OciLayoutDirectory", "", "image", "webapp2", "Podman", "runc", false,
                    OciVariant::kLayoutDir},
        FixtureCase{"OciUncompressedLayer", "", "image", "webapp2", "Podman", "runc", false,
                    OciVariant::kUncompressedArchive},
        FixtureCase{"OciUncompressedLayerFromCache", "", "image", "webapp2", "Podman", "runc", true,
                    OciVariant::kUncompressedArchive},
        FixtureCase{"OciKubernetesZstdLayer", "", "image", "webapp2", "Podman", "runc", false,
                    OciVariant::kKubernetesZstdDir},
        // Kubernetes' buildah recipe, run for real (tests/fixtures/README.md).
        FixtureCase{"OciBuildahKubernetesRecipe", "", "pair-a", "webapp2", "Podman", "runc", false,
                    OciVariant::kBuildahPairA}),
    [](const auto& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace ckptfs::test
