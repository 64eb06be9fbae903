#include "support/crio_archive.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "support/paths.h"
#include "support/tar_writer.h"

namespace ckptfs::test {

std::string crio_archive(const CrioMeta& m) {
  using nlohmann::json;
  std::vector<TarEntry> entries;
  entries.push_back({.name = "checkpoint/", .type = AE_IFDIR, .perm = 0755, .mtime = m.mtime});
  std::vector<std::string> images;
  for (const auto& e : std::filesystem::directory_iterator(fixture("proc-tree")))
    images.push_back(e.path().filename().string());
  std::sort(images.begin(), images.end());
  for (const std::string& name : images)
    entries.push_back({.name = "checkpoint/" + name,
                       .mtime = m.mtime,
                       .data = read_file(fixture("proc-tree/" + name))});
  json config = {{"id", "6924be0fa12d5c1e2e6d2d6ea1a8e0b6b42d1c6a1e7f04d5f3c2b1a0998877665"},
                 {"name", "k8s_" + m.container + "_" + m.pod + "_" + m.namespace_ + "_6975ee47_0"},
                 {"rootfsImageName", "docker.io/library/busybox:latest"},
                 {"runtime", "runc"},
                 {"createdTime", "2024-02-29T18:00:00.000000001Z"},
                 {"checkpointedTime", m.checkpointed},
                 {"restoredTime", "0001-01-01T00:00:00Z"},
                 {"restored", false}};
  json meta = {{"name", m.container}, {"attempt", 0}};
  json spec = {{"ociVersion", "1.0.2"},
               {"annotations",
                {{"io.container.manager", "cri-o"},
                 {"io.kubernetes.cri-o.Metadata", meta.dump()},
                 {"io.kubernetes.container.name", m.container},
                 {"io.kubernetes.pod.name", m.pod},
                 {"io.kubernetes.pod.namespace", m.namespace_}}}};
  entries.push_back({.name = "config.dump", .perm = 0600, .mtime = m.mtime, .data = config.dump()});
  entries.push_back({.name = "spec.dump", .perm = 0600, .mtime = m.mtime, .data = spec.dump()});
  return make_tar(entries);
}

std::string kubelet_file_name(const CrioMeta& m, const std::string& time) {
  return "checkpoint-" + m.pod + "_" + m.namespace_ + "-" + m.container + "-" + time + ".tar";
}

}  // namespace ckptfs::test
