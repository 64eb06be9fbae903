#include "model/container_meta_oci.h"

#include <fmt/format.h>

#include <algorithm>

namespace ckptfs {

namespace {

constexpr const char* kPrefixes[] = {"io.podman.annotations.checkpoint.",
                                     "io.kubernetes.cri-o.annotations.checkpoint.",
                                     "org.criu.checkpoint."};

// By the part after the prefix, in the order they are shown.
constexpr std::pair<const char*, const char*> kLabels[] = {
    {"name", "Container name"},
    {"container.name", "Container name"},
    {"pod.name", "Pod"},
    {"pod.namespace", "Namespace"},
    {"pod.id", "Pod ID"},
    {"pod.uid", "Pod UID"},
    {"engine.name", "Engine"},
    {"engine.version", "Engine version"},
    {"podman.version", "Podman version"},
    {"rootfsImageName", "Rootfs image"},
    {"rootfsImageUserRequested", "Rootfs image as requested"},
    {"rawImageName", "Rootfs image as given"},
    {"rootfsImageID", "Rootfs image ID"},
    {"rootfsImageSha", "Rootfs image digest"},
    {"runtime.name", "Runtime"},
    {"runtime.version", "Runtime version"},
    {"criu.version", "CRIU version (annotation)"},
    {"conmon.version", "conmon version"},
    {"host.arch", "Host architecture"},
    {"host.kernel", "Host kernel"},
    {"cgroups.version", "cgroup version"},
    {"cgroup.version", "cgroup version"},
    {"distribution.name", "Host distribution"},
    {"distribution.version", "Host distribution version"},
};

// The part after a checkpoint prefix, or nullopt for another key.
std::optional<std::string_view> checkpoint_key(std::string_view key) {
  for (std::string_view p : kPrefixes)
    if (key.starts_with(p)) return key.substr(p.size());
  return std::nullopt;
}

}  // namespace

const OciImage* oci_image_of(const Source& src, const Layout& layout) {
  int i = layout.oci_image;
  if (i < 0 || static_cast<size_t>(i) >= src.oci_images.size()) return nullptr;
  return &src.oci_images[static_cast<size_t>(i)];
}

const OciImage* oci_image_of(const Checkpoint& c) {
  return c.source ? oci_image_of(*c.source, c.layout) : nullptr;
}

std::vector<LabelledAnnotation> label_image_annotations(
    const std::map<std::string, std::string>& annotations) {
  std::vector<std::pair<size_t, LabelledAnnotation>> known;
  std::vector<LabelledAnnotation> out;
  constexpr size_t kUnknown = std::size(kLabels);
  for (const auto& [key, value] : annotations) {
    auto rest = checkpoint_key(key);
    if (!rest) continue;
    size_t rank = kUnknown;
    for (size_t i = 0; i < std::size(kLabels); ++i)
      if (*rest == kLabels[i].first) rank = i;
    std::string v = value;
    if (*rest == "criu.version") v = describe_criu_version_number(value);
    known.push_back({rank, {rank < kUnknown ? kLabels[rank].second : key, key, v}});
  }
  std::stable_sort(known.begin(), known.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [rank, a] : known) out.push_back(std::move(a));
  for (const auto& [key, value] : annotations)
    if (!checkpoint_key(key)) out.push_back({key, key, value});
  return out;
}

std::string image_container_name(const OciImage& image) {
  for (const char* key :
       {"io.kubernetes.cri-o.annotations.checkpoint.name", "io.podman.annotations.checkpoint.name",
        "org.criu.checkpoint.container.name"}) {
    auto it = image.annotations.find(key);
    if (it != image.annotations.end() && !it->second.empty()) return it->second;
  }
  return "";
}

std::string criu_version_from_number(const std::string& v) {
  if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), ::isdigit)) return "";
  unsigned n = static_cast<unsigned>(std::stoul(v));
  unsigned major = n / 10000, minor = n / 100 % 100, sub = n % 100;
  auto version = [](unsigned a, unsigned b, unsigned c) {
    return c ? fmt::format("{}.{}.{}", a, b, c) : fmt::format("{}.{}", a, b);
  };
  if (minor == 0) return version(major, minor, sub);
  return fmt::format("{}, or {} built from git", version(major, minor, sub),
                     version(major, minor - 1, sub));
}

std::string describe_criu_version_number(const std::string& v) {
  std::string meaning = criu_version_from_number(v);
  if (meaning.empty()) return v;
  if (meaning.find("git") == std::string::npos) return fmt::format("{} ({})", v, meaning);
  return fmt::format("{} ({}: go-criu counts a git build one minor version up)", v, meaning);
}

}  // namespace ckptfs
