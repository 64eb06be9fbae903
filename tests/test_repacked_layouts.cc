// Repacks the real fixtures into every other layout a user may hand over (plain
// / gzip / zstd tar, misleading extensions, "./" member names, the unpacked
// directory, CRI-O and containerd archives) and mounts each for real: memory
// must still match the ground truth byte for byte, and info must name the
// container and engine as the layout says.
//
// The artifacts live in one scratch directory per test suite and each is built
// on first use: ctest runs every test in its own process, so building all of
// them up front would repeat all the work for every single test.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "support/groundtruth.h"
#include "support/memory_check.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Times the synthetic Kubernetes metadata claims. The CRI-O annotation's
// creation time differs from config.dump's createdTime: checkpointctl (layout
// doc §4.3) takes CRI-O's from the annotation, and the test can tell which.
constexpr const char* kCrioCreated = "2026-11-29T06:15:37.000000001Z";
constexpr const char* kConfigCreated = "2026-11-29T06:15:38.271085923Z";
constexpr const char* kCheckpointed = "2026-11-29T06:15:40.123456789Z";

void sh(const std::string& cmd) {
  CommandResult r = run(cmd);
  if (r.status != 0)
    throw std::runtime_error("`" + cmd + "` failed (" + std::to_string(r.status) + "): " + r.err);
}

// Top-level entries of dir, quoted for the shell: tar'ing them by name (not
// ".") gives member names without a "./" prefix, like Podman's own export.
std::string top_level_entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += " " + shell_quote(n);
  return out;
}

enum class Packing { Directory, Tar, Gzip, Zstd };

// The artifact must really be packed as the case claims: a ".tar.zst" that
// holds gzip is only a test of content sniffing if it does hold gzip.
void check_packing(const std::string& path, Packing want) {
  if (want == Packing::Directory) {
    if (!fs::is_directory(path)) throw std::runtime_error(path + " is not a directory");
    return;
  }
  std::string head(512, '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  bool ok = false;
  switch (want) {
    case Packing::Tar:
      ok = head.size() == 512 && head.compare(257, 5, "ustar") == 0;
      break;
    case Packing::Gzip:
      ok = head.starts_with("\x1f\x8b");
      break;
    case Packing::Zstd:
      ok = head.starts_with("\x28\xb5\x2f\xfd");
      break;
    case Packing::Directory:
      break;
  }
  if (!ok) throw std::runtime_error(path + " is not packed as the test case says");
}

// One scratch directory holding the unpacked fixtures and every repacked
// artifact built so far.
class Workspace {
 public:
  // The unpacked Podman export: checkpoint/, config.dump, spec.dump, …
  const std::string& webapp_dir() {
    if (webapp_.empty()) {
      std::string d = dir_ / "webapp-unpacked";
      fs::create_directory(d);
      sh("zstd -dc " + shell_quote(fixture("webapp-checkpoint.tar.zst")) + " | tar -xf - -C " +
         shell_quote(d));
      webapp_ = d;
    }
    return webapp_;
  }

  // proc-tree.tar's bare images, unpacked.
  const std::string& proc_tree_dir() {
    if (proc_tree_.empty()) {
      std::string d = dir_ / "proc-tree-unpacked";
      fs::create_directory(d);
      sh("tar -xf " + shell_quote(fixture("proc-tree.tar")) + " -C " + shell_quote(d));
      proc_tree_ = d;
    }
    return proc_tree_;
  }

  // A Kubernetes-style archive: the webapp's checkpoint/ beside engine
  // metadata written by the test (config.dump, spec.dump, extra files).
  std::string kube_archive(const std::string& name, const json& config, const json& annotations,
                           const std::map<std::string, std::string>& extra_files) {
    std::string d = dir_ / (name + "-dir");
    fs::create_directory(d);
    // Hard links: the 11 MB of images are shared, not copied.
    sh("cp -al " + shell_quote(webapp_dir() + "/checkpoint") + " " +
       shell_quote(d + "/checkpoint"));
    json spec = json::parse(read_file(webapp_dir() + "/spec.dump"));
    spec["annotations"] = annotations;
    write_file(d + "/config.dump", config.dump());
    write_file(d + "/spec.dump", spec.dump());
    for (const auto& [file, content] : extra_files) write_file(d + "/" + file, content);
    std::string out = dir_ / (name + ".tar");
    sh("tar -C " + shell_quote(d) + " -cf " + shell_quote(out) + top_level_entries(d));
    return out;
  }

  std::string path(const std::string& rel) const { return dir_ / rel; }
  std::map<std::string, std::string>& built() { return built_; }

 private:
  TempDir dir_;
  std::string webapp_, proc_tree_;
  std::map<std::string, std::string> built_;  // case name -> artifact
};

// The reduced config.dump CRI-O and containerd write (layout doc §3.2, §3.3),
// filled from the Podman export's own config.
json kube_config(Workspace& w) {
  json podman = json::parse(read_file(w.webapp_dir() + "/config.dump"));
  return {{"id", podman["id"]},
          {"name", "k8s_webapp_mypod_default_uid_0"},
          {"rootfsImage", "localhost/fixture-base:latest"},
          {"rootfsImageRef", podman["rootfsImageID"]},
          {"rootfsImageName", podman["rootfsImageName"]},
          {"runtime", "runc"},
          {"createdTime", kConfigCreated},
          {"checkpointedTime", kCheckpointed},
          {"restoredTime", "0001-01-01T00:00:00Z"},
          {"restored", false}};
}

struct LayoutCase {
  std::string name;   // test name
  std::string label;  // ground truth label
  Packing packing;
  std::function<std::string(Workspace&)> build;  // returns the path to mount
  std::string container;
  std::string engine;
  // Checked only when set.
  std::string pod = "", namespace_ = "", checkpointed = "", created = "";
};

std::ostream& operator<<(std::ostream& o, const LayoutCase& c) { return o << c.name; }

std::vector<LayoutCase> layout_cases() {
  auto webapp_tar = [](const std::string& out, const std::string& flags_and_filter) {
    return [=](Workspace& w) {
      std::string path = w.path(out);
      sh("tar -C " + shell_quote(w.webapp_dir()) + " " + flags_and_filter + " " +
         shell_quote(path) + top_level_entries(w.webapp_dir()));
      return path;
    };
  };
  auto webapp_zstd = [](const std::string& out) {
    return [=](Workspace& w) {
      std::string path = w.path(out);
      sh("tar -C " + shell_quote(w.webapp_dir()) + " -cf -" + top_level_entries(w.webapp_dir()) +
         " | zstd -q -f -o " + shell_quote(path));
      return path;
    };
  };
  auto proc_tree = [](const std::string& out, const std::string& compress) {
    return [=](Workspace& w) {
      std::string path = w.path(out);
      sh("tar -C " + shell_quote(w.proc_tree_dir()) + " -cf -" +
         top_level_entries(w.proc_tree_dir()) + " | " + compress + " > " + shell_quote(path));
      return path;
    };
  };
  return {
      {"PodmanPlainTar", "webapp", Packing::Tar, webapp_tar("webapp.tar", "-cf"), "webapp",
       "Podman"},
      {"PodmanGzip", "webapp", Packing::Gzip, webapp_tar("webapp.tar.gz", "-czf"), "webapp",
       "Podman"},
      {"GzipNamedTarZst", "webapp", Packing::Gzip, webapp_tar("gzip-inside.tar.zst", "-czf"),
       "webapp", "Podman"},
      {"ZstdNamedTarGz", "webapp", Packing::Zstd, webapp_zstd("zstd-inside.tar.gz"), "webapp",
       "Podman"},
      {"DotSlashMemberNames", "webapp", Packing::Tar,
       [](Workspace& w) {
         std::string path = w.path("dot-slash.tar");
         sh("tar -C " + shell_quote(w.webapp_dir()) + " -cf " + shell_quote(path) + " .");
         // Otherwise the case would silently test plain names again.
         if (run("tar -tf " + shell_quote(path) + " | grep -c '^\\./checkpoint/inventory.img$'")
                 .out != "1\n")
           throw std::runtime_error(path + " does not hold ./checkpoint/inventory.img");
         return path;
       },
       "webapp", "Podman"},
      {"PodmanDirectory", "webapp", Packing::Directory, [](Workspace& w) { return w.webapp_dir(); },
       "webapp", "Podman"},
      {"CriO", "webapp", Packing::Tar,
       [](Workspace& w) {
         json annotations = {{"io.container.manager", "cri-o"},
                             {"io.kubernetes.cri-o.Metadata", R"({"name":"webapp","attempt":0})"},
                             {"io.kubernetes.container.name", "webapp"},
                             {"io.kubernetes.pod.name", "mypod"},
                             {"io.kubernetes.pod.namespace", "default"},
                             {"io.kubernetes.pod.uid", "uid"},
                             {"io.kubernetes.cri-o.Created", kCrioCreated}};
         return w.kube_archive("crio", kube_config(w), annotations, {});
       },
       "webapp", "CRI-O", "mypod", "default", kCheckpointed, kCrioCreated},
      {"Containerd", "webapp", Packing::Tar,
       [](Workspace& w) {
         json annotations = {{"io.kubernetes.cri.container-name", "webapp"},
                             {"io.kubernetes.cri.container-type", "container"},
                             {"io.kubernetes.cri.sandbox-name", "mypod"},
                             {"io.kubernetes.cri.sandbox-namespace", "default"},
                             {"io.kubernetes.cri.sandbox-id", std::string(64, 'b')},
                             {"io.kubernetes.cri.image-name", "localhost/fixture-base:latest"}};
         json config = kube_config(w);
         config["runtime"] = "io.containerd.runc.v2";
         // checkpointctl's containerd marker: containerd's own status file.
         json status = {{"CreatedAt", 1795846538271085923LL},
                        {"StartedAt", 1795846538300000000LL},
                        {"FinishedAt", 0},
                        {"ExitCode", 0},
                        {"Pid", 4242},
                        {"Reason", ""},
                        {"Message", ""}};
         return w.kube_archive("containerd", config, annotations, {{"status", status.dump()}});
       },
       "webapp", "containerd", "mypod", "default", kCheckpointed, kConfigCreated},
      {"ProcTreeGzip", "proc-tree", Packing::Gzip, proc_tree("proc-tree.tar.gz", "gzip -c"),
       "proc-tree", "none"},
      {"ProcTreeZstd", "proc-tree", Packing::Zstd, proc_tree("proc-tree.tar.zst", "zstd -q -c"),
       "proc-tree", "none"},
  };
}

class RepackedLayout : public ::testing::TestWithParam<LayoutCase> {
 public:
  static void SetUpTestSuite() {
    if (have_fixtures()) workspace_ = new Workspace;
  }
  static void TearDownTestSuite() {
    delete workspace_;
    workspace_ = nullptr;
  }

 protected:
  void SetUp() override {
    CKPTFS_REQUIRE_FIXTURES();
    const LayoutCase& c = GetParam();
    gt_ = load_groundtruth(c.label);
    auto& built = workspace_->built();
    if (!built.count(c.name)) {
      std::string path = c.build(*workspace_);
      check_packing(path, c.packing);
      built[c.name] = path;
    }
    mount_ = std::make_unique<Mount>(built[c.name]);
  }
  void TearDown() override {
    if (mount_) {
      EXPECT_TRUE(mount_->unmount()) << mount_->log();
    }
  }

  static Workspace* workspace_;
  json gt_;
  std::unique_ptr<Mount> mount_;
};

Workspace* RepackedLayout::workspace_ = nullptr;

// Every marker at its address, every VMA's sha256 as dumped: one test, so a
// layout costs one process and one mount under ctest.
TEST_P(RepackedLayout, MemoryMatchesGroundTruth) {
  expect_memory_matches_groundtruth(*mount_, gt_);
}

TEST_P(RepackedLayout, InfoNamesContainerAndEngine) {
  const LayoutCase& c = GetParam();
  auto r = run("ls " + shell_quote(*mount_ / "containers"));
  EXPECT_EQ(r.out, c.container + "\n");
  std::string dir = *mount_ / ("containers/" + c.container);
  std::string info = read_file(dir + "/info");
  auto row = [](const std::string& key, const std::string& value) {
    std::string k = key + ":";
    k.resize(18, ' ');
    return k + value + "\n";
  };
  EXPECT_NE(info.find(row("Container", c.container)), std::string::npos) << info;
  EXPECT_NE(info.find(row("Engine", c.engine)), std::string::npos) << info;
  auto j = json::parse(read_file(dir + "/info.json"));
  EXPECT_EQ(j["container_name"], c.container);
  EXPECT_EQ(j["engine"], c.engine);
  EXPECT_EQ(j["process_tree"]["pid"], ns_pid(gt_["processes"][0]));
  if (!c.pod.empty()) {
    EXPECT_NE(info.find(row("Pod", c.pod)), std::string::npos) << info;
    EXPECT_EQ(j.value("pod", ""), c.pod);
  } else {
    EXPECT_FALSE(j.contains("pod")) << j;
  }
  if (!c.namespace_.empty()) {
    EXPECT_NE(info.find(row("Namespace", c.namespace_)), std::string::npos) << info;
    EXPECT_EQ(j.value("namespace", ""), c.namespace_);
  }
  if (!c.checkpointed.empty()) {
    EXPECT_NE(info.find(row("Checkpointed", c.checkpointed)), std::string::npos) << info;
    EXPECT_EQ(j.value("checkpointed", ""), c.checkpointed);
  }
  if (!c.created.empty()) {
    EXPECT_NE(info.find(row("Created", c.created)), std::string::npos) << info;
    EXPECT_EQ(j.value("created", ""), c.created);
  }
  // Every process of the ground truth is there, whatever the packing.
  for (const auto& p : gt_["processes"])
    EXPECT_EQ(read_file(*mount_ / ("procs/" + std::to_string(ns_pid(p)) + "/comm")),
              p["comm"].get<std::string>() + "\n");
}

INSTANTIATE_TEST_SUITE_P(Layouts, RepackedLayout, ::testing::ValuesIn(layout_cases()),
                         [](const auto& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace ckptfs::test
