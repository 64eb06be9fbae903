// containers/<name>/info and info.json carry what checkpointctl show /
// inspect print: addresses from Podman's network.status (every form it has
// had) and CRI-O's annotations, CRIU's dump statistics, the pod, namespace
// and annotations (JSON-valued ones pretty-printed), GPU plugin images, and
// the checkpoint time from the engine's metadata. Synthetic checkpoints with
// known values, mounted and read with cat and jq.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "images/magic.h"
#include "inventory.pb.h"
#include "stats.pb.h"
#include "support/image_writer.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A one-process checkpoint in the layout of a Podman export: checkpoint/,
// config.dump, spec.dump, and whatever else a test puts beside them.
class Checkpoint {
 public:
  explicit Checkpoint(const std::vector<std::string>& plugins = {}) {
    fs::create_directories(dir() + "/checkpoint");
    ImageDirWriter w(dir() + "/checkpoint");
    w.inventory();
    w.process(1, 0, "app");
    w.finish();
    if (!plugins.empty()) {
      criu::inventory_entry inv;
      inv.set_img_version(2);
      for (const auto& p : plugins) inv.mutable_plugins_entry()->add_plugins(p);
      w.write_raw("inventory.img", image(0, magic::kInventory, {inv.SerializeAsString()}));
    }
    config_ = {{"id", std::string(64, 'c')},
               {"name", "web"},
               {"rootfsImageName", "docker.io/library/nginx:latest"},
               {"runtime", "crun"},
               {"createdTime", "2026-11-30T10:00:00Z"}};
    spec_ = {{"ociVersion", "1.0.2"},
             {"process", {{"args", {"nginx"}}}},
             {"annotations", {{"io.container.manager", "libpod"}}}};
  }
  std::string dir() const { return tmp_ / "ckpt"; }
  json& config() { return config_; }
  json& annotations() { return spec_["annotations"]; }
  void file(const std::string& rel, const std::string& bytes) {
    write_file(dir() + "/" + rel, bytes);
  }
  // Writes the metadata and mounts.
  std::unique_ptr<Mount> mount() {
    file("config.dump", config_.dump());
    file("spec.dump", spec_.dump());
    return std::make_unique<Mount>(dir());
  }

 private:
  TempDir tmp_;
  json config_, spec_;
};

struct Read {
  std::string info;
  json j;
};

Read read_info(Mount& m, const std::string& name) {
  Read r{read_file(m / ("containers/" + name + "/info")),
         json::parse(read_file(m / ("containers/" + name + "/info.json")))};
  EXPECT_TRUE(m.unmount()) << m.log();
  return r;
}

// The value of "  <label>:" in a section of info, "" if there is none.
std::string section_value(const std::string& info, const std::string& label) {
  std::istringstream in(info);
  for (std::string l; std::getline(in, l);) {
    if (!l.starts_with("  " + label + ":")) continue;
    std::string rest = l.substr(label.size() + 3);
    size_t i = rest.find_first_not_of(' ');
    return i == std::string::npos ? "" : rest.substr(i);
  }
  return "";
}

// "Key:" padded to 18 columns, then the value: a summary row.
std::string row(const std::string& key, const std::string& value) {
  std::string k = key + ":";
  k.resize(18, ' ');
  return k + value + "\n";
}

// checkpointctl's own test data (test/data/network.status): one netavark network.
constexpr const char* kNetworkStatus = R"({
  "podman": {
    "interfaces": {
      "eth0": {
        "subnets": [ { "ipnet": "10.88.0.9/16", "gateway": "10.88.0.1" } ],
        "mac_address": "f2:99:8d:fb:5a:57"
      }
    }
  }
})";

TEST(ContainerInfo, PodmanNetworkStatusGivesAddressesLikeCheckpointctl) {
  Checkpoint c;
  c.file("network.status", kNetworkStatus);
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_NE(r.info.find(row("IP", "10.88.0.9")), std::string::npos) << r.info;
  EXPECT_NE(r.info.find(row("MAC", "f2:99:8d:fb:5a:57")), std::string::npos) << r.info;
  EXPECT_NE(r.info.find("Networks:\n  podman/eth0:  10.88.0.9/16, gateway 10.88.0.1, MAC "
                        "f2:99:8d:fb:5a:57\n"),
            std::string::npos)
      << r.info;
  EXPECT_EQ(r.j["ip"], "10.88.0.9");
  EXPECT_EQ(r.j["mac"], "f2:99:8d:fb:5a:57");
  EXPECT_EQ(r.j["networks"], json::parse(R"([{"name": "podman", "interfaces": {"eth0":
      {"ip": "10.88.0.9/16", "mac": "f2:99:8d:fb:5a:57", "gateway": "10.88.0.1"}}}])"));
}

// checkpointctl's test/data/network.status.multi: two networks.
TEST(ContainerInfo, SeveralNetworksListEveryAddress) {
  Checkpoint c;
  c.file("network.status", R"({
    "net1": { "interfaces": { "eth0": {
        "subnets": [{"ipnet": "10.89.0.2/24", "gateway": "10.89.0.1"}],
        "mac_address": "32:ba:b8:45:bc:84" } } },
    "net2": { "interfaces": { "eth1": {
        "subnets": [{"ipnet": "10.89.1.2/24", "gateway": "10.89.1.1"}],
        "mac_address": "5e:b7:fe:ee:e0:d8" } } } })");
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_NE(r.info.find(row("IP", "10.89.0.2, 10.89.1.2")), std::string::npos) << r.info;
  EXPECT_NE(r.info.find(row("MAC", "32:ba:b8:45:bc:84, 5e:b7:fe:ee:e0:d8")), std::string::npos)
      << r.info;
  ASSERT_EQ(r.j["networks"].size(), 2u);
  EXPECT_EQ(r.j["networks"][1]["name"], "net2");
  EXPECT_EQ(r.j["networks"][1]["interfaces"]["eth1"]["gateway"], "10.89.1.1");
}

// Podman 2/3 (CNI) wrote an array of CNI results; the container's address
// names its interface by index.
TEST(ContainerInfo, CniEraNetworkStatusIsReadToo) {
  Checkpoint c;
  c.file("network.status", R"([{"cniVersion": "0.4.0",
    "interfaces": [{"name": "cni-podman0", "mac": "aa:aa:aa:aa:aa:aa"},
                   {"name": "veth1234", "mac": "bb:bb:bb:bb:bb:bb"},
                   {"name": "eth0", "mac": "0a:58:0a:58:00:05", "sandbox": "/run/netns/x"}],
    "ips": [{"version": "4", "interface": 2, "address": "10.88.0.5/16",
             "gateway": "10.88.0.1"}]}])");
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_EQ(r.j["ip"], "10.88.0.5");
  EXPECT_EQ(r.j["mac"], "0a:58:0a:58:00:05");
  EXPECT_EQ(r.j["networks"][0]["interfaces"]["eth0"]["ip"], "10.88.0.5/16");
}

// --network none: the file is the JSON literal null.
TEST(ContainerInfo, NoNetworkShowsNoAddress) {
  Checkpoint c;
  c.file("network.status", "null");
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_EQ(r.info.find("\nIP:"), std::string::npos) << r.info;
  EXPECT_EQ(r.info.find("Networks:"), std::string::npos) << r.info;
  EXPECT_FALSE(r.j.contains("ip"));
  EXPECT_FALSE(r.j.contains("networks"));
}

TEST(ContainerInfo, DumpStatisticsAreShownAsCheckpointctlShowsThem) {
  Checkpoint c;
  criu::stats_entry s;
  auto* d = s.mutable_dump();
  d->set_freezing_time(810);      // µs
  d->set_frozen_time(199474);     // 199.47 ms
  d->set_memdump_time(23868);     // 23.868 ms
  d->set_memwrite_time(2500000);  // 2.5 s
  d->set_pages_scanned(2915);
  d->set_pages_written(2683);
  c.file("stats-dump", image(magic::kService, magic::kStats, {s.SerializeAsString()}));
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_NE(r.info.find("CRIU dump statistics:\n"
                        "  Freezing time:  810 µs\n"
                        "  Frozen time:    199.47 ms\n"
                        "  Memdump time:   23.868 ms\n"
                        "  Memwrite time:  2.5 s\n"
                        "  Pages scanned:  2915\n"
                        "  Pages written:  2683\n"),
            std::string::npos)
      << r.info;
  EXPECT_EQ(r.j["statistics"], json::parse(R"({"freezing_time": 810, "frozen_time": 199474,
      "memdump_time": 23868, "memwrite_time": 2500000, "pages_scanned": 2915,
      "pages_written": 2683})"));
}

TEST(ContainerInfo, CriOPodNamespaceAddressAndAnnotations) {
  Checkpoint c;
  c.annotations() = {
      {"io.container.manager", "cri-o"},
      {"io.kubernetes.cri-o.Metadata", R"({"name":"web","attempt":1})"},
      {"io.kubernetes.cri-o.Labels", R"({"app":"shop","io.kubernetes.pod.name":"shop-7d9f"})"},
      {"io.kubernetes.pod.name", "shop-7d9f"},
      {"io.kubernetes.pod.namespace", "prod"},
      {"io.kubernetes.cri-o.IP.0", "10.244.1.17"},
      {"io.kubernetes.cri-o.IP.1", "fd00::11"},
      {"io.kubernetes.cri-o.Created", "2026-11-30T09:59:59Z"}};
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_NE(r.info.find(row("Engine", "CRI-O")), std::string::npos) << r.info;
  EXPECT_NE(r.info.find(row("Pod", "shop-7d9f")), std::string::npos) << r.info;
  EXPECT_NE(r.info.find(row("Namespace", "prod")), std::string::npos) << r.info;
  EXPECT_NE(r.info.find(row("IP", "10.244.1.17, fd00::11")), std::string::npos) << r.info;
  // The labels' JSON, pretty-printed under its key, indented to the values.
  size_t at = r.info.find("  io.kubernetes.cri-o.Labels:");
  ASSERT_NE(at, std::string::npos) << r.info;
  std::string rest = r.info.substr(at);
  EXPECT_TRUE(rest.starts_with("  io.kubernetes.cri-o.Labels:\n")) << rest;
  EXPECT_NE(rest.find("  \"app\": \"shop\",\n"), std::string::npos) << rest;
  EXPECT_NE(rest.find("  \"io.kubernetes.pod.name\": \"shop-7d9f\"\n"), std::string::npos) << rest;
  EXPECT_EQ(r.j["metadata"]["pod_name"], "shop-7d9f");
  EXPECT_EQ(r.j["metadata"]["kubernetes_namespace"], "prod");
  EXPECT_EQ(r.j["metadata"]["annotations"]["io.kubernetes.cri-o.Labels"],
            R"({"app":"shop","io.kubernetes.pod.name":"shop-7d9f"})");
  EXPECT_EQ(r.j["ip"], "10.244.1.17, fd00::11");
}

TEST(ContainerInfo, AmdGpuPluginImagesAreSized) {
  Checkpoint c({"amdgpu_plugin"});
  c.file("checkpoint/amdgpu-pages-1-0000.img", std::string(8192, 'g'));
  c.file("checkpoint/amdgpu-pages-1-0001.img", std::string(4096, 'g'));
  c.file("checkpoint/amdgpu-kfd-1.img", std::string(100, 'k'));
  c.file("checkpoint/amdgpu-renderD-128.img", std::string(50, 'r'));
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_NE(r.info.find(row("CRIU plugins", "amdgpu_plugin")), std::string::npos) << r.info;
  EXPECT_NE(r.info.find(row("AMD GPU pages", "12.0 KiB (12288 bytes)")), std::string::npos)
      << r.info;
  EXPECT_EQ(section_value(r.info, "AMD GPU memory pages (amdgpu-pages-*.img)"),
            "2 files, 12.0 KiB (12288 bytes)")
      << r.info;
  EXPECT_EQ(section_value(r.info, "AMD GPU device state (KFD) (amdgpu-kfd-*.img)"),
            "1 file, 100 B (100 bytes)")
      << r.info;
  EXPECT_EQ(r.j["checkpoint_size"]["amd_gpu_memory_pages_size"], 12288);
  EXPECT_EQ(r.j["criu_plugins"], json::array({"amdgpu_plugin"}));
  ASSERT_EQ(r.j["gpu_plugin_files"].size(), 3u);
  EXPECT_EQ(r.j["gpu_plugin_files"][2]["pattern"], "amdgpu-renderD-*.img");
  EXPECT_EQ(r.j["gpu_plugin_files"][2]["size"], 50);
}

// The CUDA plugin writes no files: cuda-checkpoint moved GPU memory into the
// process, so info says where it went.
TEST(ContainerInfo, CudaPluginSaysWhereTheGpuMemoryIs) {
  Checkpoint c({"cuda_plugin"});
  auto m = c.mount();
  Read r = read_info(*m, "web");
  EXPECT_NE(r.info.find("CRIU plugins:     cuda_plugin (CUDA: GPU memory was moved to the "
                        "processes' memory, so it is part of the memory pages)\n"),
            std::string::npos)
      << r.info;
  EXPECT_FALSE(r.j.contains("gpu_plugin_files"));
}

TEST(ContainerInfo, CheckpointTimeComesFromTheEngineBeforeFileTimes) {
  {
    Checkpoint c;
    c.config()["checkpointedTime"] = "2026-11-30T10:05:00.123456789Z";
    auto m = c.mount();
    Read r = read_info(*m, "web");
    EXPECT_NE(r.info.find(row("Checkpointed", "2026-11-30T10:05:00.123456789Z")), std::string::npos)
        << r.info;
    EXPECT_FALSE(r.j.contains("checkpointed_source"));
  }
  {
    Checkpoint c;  // Podman 4 keeps no checkpoint time in config.dump
    auto m = c.mount();
    Read r = read_info(*m, "web");
    EXPECT_NE(r.info.find(" (inventory.img modification time)\n"), std::string::npos) << r.info;
    EXPECT_EQ(r.j["checkpointed_source"], "inventory.img modification time");
  }
}

}  // namespace
}  // namespace ckptfs::test
