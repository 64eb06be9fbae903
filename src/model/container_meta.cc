#include "model/container_meta.h"

#include <nlohmann/json.hpp>
#include <regex>

#include "model/container_meta_criu.h"
#include "model/container_meta_net.h"
#include "model/container_meta_oci.h"
#include "util/error.h"
#include "util/time_text.h"

namespace ckptfs {

namespace {

using nlohmann::json;

// Metadata is advisory: an unreadable config.dump must not stop the mount,
// the processes are still worth looking at. Parse leniently.
json read_json(const Source& src, const std::string& name) {
  const Member* m = src.find(name);
  if (!m || m->type != MemberType::File || m->blob->size() > kMaxMetadataBytes) return json();
  try {
    return json::parse(m->blob->read_all(kMaxMetadataBytes));
  } catch (const std::exception&) {
    return json();
  }
}

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Go's zero time means "unset".
std::string time_or_empty(std::string t) { return t.starts_with("0001-01-01") ? "" : t; }

constexpr const char* kCriuVersionKeys[] = {
    "org.criu.checkpoint.criu.version", "io.podman.annotations.checkpoint.criu.version",
    "io.kubernetes.cri-o.annotations.checkpoint.criu.version"};

std::string criu_version(const Checkpoint& c, const json& annotations, const OciImage* image) {
  for (const char* key : kCriuVersionKeys) {
    std::string v = str(annotations, key);
    if (!v.empty()) return v;
  }
  // CRIU logs "Version: 4.2 (gitid …)" near the top of dump.log.
  for (const Member* m : {c.image("dump.log"), c.meta("dump.log")}) {
    if (!m || m->type != MemberType::File) continue;
    std::string head(std::min<uint64_t>(m->blob->size(), 8192), '\0');
    m->blob->pread(head.data(), head.size(), 0);
    std::smatch match;
    if (std::regex_search(head, match, std::regex(R"(Version: ([0-9][0-9.]*))"))) return match[1];
  }
  // The image's annotation last: go-criu's number is ambiguous (see
  // describe_criu_version_number), dump.log's text is not.
  if (image)
    for (const char* key : kCriuVersionKeys)
      if (auto it = image->annotations.find(key); it != image->annotations.end()) {
        std::string meaning = criu_version_from_number(it->second);
        if (meaning.empty()) return it->second + " (image annotation)";
        return fmt::format("{} (image annotation {}: go-criu's number{})", meaning, it->second,
                           meaning.find("git") == std::string::npos
                               ? ""
                               : ", which counts a git build one minor version up");
      }
  return "";
}

}  // namespace

ContainerInfo read_engine_metadata(const Source& src, const Layout& layout,
                                   const std::string& fallback_name) {
  ContainerInfo info;
  json config = read_json(src, layout.meta_dir + "config.dump");
  json spec = read_json(src, layout.meta_dir + "spec.dump");
  json annotations =
      spec.is_object() && spec.contains("annotations") ? spec["annotations"] : json();

  std::string manager = str(annotations, "io.container.manager");
  if (!layout.container) {
    info.engine = "none";
  } else if (manager == "libpod") {
    info.engine = "Podman";
  } else if (manager == "cri-o") {
    info.engine = "CRI-O";
  } else {
    info.engine = "containerd";
  }

  info.name = str(config, "name");
  if (info.engine == "CRI-O") {
    try {
      json meta = json::parse(str(annotations, "io.kubernetes.cri-o.Metadata"));
      if (!str(meta, "name").empty()) info.name = str(meta, "name");
    } catch (const std::exception&) {
      if (!str(annotations, "io.kubernetes.container.name").empty())
        info.name = str(annotations, "io.kubernetes.container.name");
    }
    info.pod = str(annotations, "io.kubernetes.pod.name");
    info.namespace_ = str(annotations, "io.kubernetes.pod.namespace");
  } else if (info.engine == "containerd") {
    if (!str(annotations, "io.kubernetes.cri.container-name").empty())
      info.name = str(annotations, "io.kubernetes.cri.container-name");
    info.pod = str(annotations, "io.kubernetes.cri.sandbox-name");
    info.namespace_ = str(annotations, "io.kubernetes.cri.sandbox-namespace");
  }
  const OciImage* image = oci_image_of(src, layout);
  if (info.name.empty() && image) info.name = image_container_name(*image);
  if (info.name.empty()) info.name = fallback_name;

  info.image = str(config, "rootfsImageName");
  info.id = str(config, "id");
  info.runtime = str(config, "runtime");
  info.created = time_or_empty(str(config, "createdTime"));
  if (info.engine == "CRI-O" && !str(annotations, "io.kubernetes.cri-o.Created").empty())
    info.created = str(annotations, "io.kubernetes.cri-o.Created");
  info.checkpointed = time_or_empty(str(config, "checkpointedTime"));
  const Member* inventory = src.find(layout.image_dir + "inventory.img");
  if (info.checkpointed.empty() && inventory && inventory->mtime > 0) {
    info.checkpointed = format_utc(inventory->mtime);
    info.checkpointed_source = "inventory.img modification time";
  }
  if (spec.is_object() && spec.contains("process") && spec["process"].is_object()) {
    for (const char* key : {"args", "env"}) {
      const json& arr = spec["process"].value(key, json());
      if (!arr.is_array()) continue;
      auto& out = std::string_view(key) == "args" ? info.spec_args : info.spec_env;
      for (const auto& a : arr)
        if (a.is_string()) out.push_back(a.get<std::string>());
    }
  }
  return info;
}

ContainerInfo read_container_info(const Checkpoint& c, const std::string& fallback_name) {
  ContainerInfo info = read_engine_metadata(*c.source, c.layout, fallback_name);
  json spec = read_json(*c.source, c.layout.meta_dir + "spec.dump");
  json annotations =
      spec.is_object() && spec.contains("annotations") ? spec["annotations"] : json();
  const OciImage* image = oci_image_of(c);
  info.criu_version = criu_version(c, annotations, image);

  for (const FileInDir& f : files_in(*c.source, c.layout.image_dir)) {
    info.checkpoint_size += f.member->blob->size();
    if (f.name.starts_with("pages-") && f.name.ends_with(".img"))
      info.memory_pages_size += f.member->blob->size();
  }
  if (annotations.is_object())
    for (const auto& [k, v] : annotations.items())
      if (v.is_string()) info.annotations[k] = v.get<std::string>();
  if (info.engine == "CRI-O") read_crio_ips(info.annotations, info);
  if (c.layout.container)
    read_network_status(read_json(*c.source, c.layout.meta_dir + "network.status"), info);
  info.dump_stats = read_dump_stats(c);
  info.criu_plugins = read_criu_plugins(c);
  info.plugin_files = read_plugin_files(c, info.amdgpu_pages_size);
  if (image) {
    info.oci = image;
    info.image_annotations = label_image_annotations(image->annotations);
  }

  if (const Member* d = c.meta("rootfs-diff.tar");
      d && d->type == MemberType::File && c.layout.container) {
    info.has_rootfs_diff = true;
    info.rootfs_diff_size = d->blob->size();
  }
  return info;
}

}  // namespace ckptfs
