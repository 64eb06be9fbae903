#include "model/container_meta_criu.h"

#include "images/image_reader.h"
#include "images/magic.h"
#include "inventory.pb.h"
#include "stats.pb.h"

namespace ckptfs {

namespace {

const Blob* file(const Member* m) {
  return m && m->type == MemberType::File ? m->blob.get() : nullptr;
}

struct Kind {
  const char* prefix;
  const char* what;
  const char* pattern;
};

// checkpointctl counts amdgpu-pages-* as AMD GPU memory; the DRM buffers
// and the device state are shown beside it, every file once.
constexpr Kind kKinds[] = {
    {"amdgpu-pages-", "AMD GPU memory pages", "amdgpu-pages-*.img"},
    {"amdgpu-drm-pages-", "AMD GPU DRM buffer pages", "amdgpu-drm-pages-*.img"},
    {"amdgpu-kfd-", "AMD GPU device state (KFD)", "amdgpu-kfd-*.img"},
    {"amdgpu-renderD-", "AMD GPU device state (DRM render node)", "amdgpu-renderD-*.img"},
    {"amdgpu-dmabuf_", "AMD GPU dma-buf state", "amdgpu-dmabuf_*.img"},
    {"cuda-", "CUDA plugin files", "cuda-*"},
};

}  // namespace

std::optional<DumpStats> read_dump_stats(const Checkpoint& c) {
  const Blob* b = file(c.meta("stats-dump"));
  std::string name = c.layout.meta_dir + "stats-dump";
  if (!b) {
    b = file(c.image("stats-dump"));
    name = c.layout.image_dir + "stats-dump";
  }
  if (!b) return std::nullopt;
  try {
    ImageReader r = ImageReader::from_blob(name, *b, magic::kStats);
    criu::stats_entry e;
    if (!r.next(e) || !e.has_dump()) return std::nullopt;
    const auto& d = e.dump();
    DumpStats s;
    s.freezing_time = d.freezing_time();
    s.frozen_time = d.frozen_time();
    s.memdump_time = d.memdump_time();
    s.memwrite_time = d.memwrite_time();
    s.pages_scanned = d.pages_scanned();
    s.pages_written = d.pages_written();
    return s;
  } catch (const std::exception&) {
    return std::nullopt;  // stats show as an error in containers/<name>/stats
  }
}

std::vector<std::string> read_criu_plugins(const Checkpoint& c) {
  std::vector<std::string> out;
  const Blob* b = file(c.image("inventory.img"));
  if (!b) return out;
  try {
    ImageReader r =
        ImageReader::from_blob(c.layout.image_dir + "inventory.img", *b, magic::kInventory);
    criu::inventory_entry inv;
    if (r.next(inv) && inv.has_plugins_entry())
      for (const auto& p : inv.plugins_entry().plugins()) out.push_back(p);
  } catch (const std::exception&) {
    // The loader has read it already; this is only a second look.
  }
  return out;
}

std::vector<PluginFiles> read_plugin_files(const Checkpoint& c, uint64_t& amdgpu_pages) {
  std::vector<PluginFiles> out;
  for (const Kind& k : kKinds) {
    PluginFiles f{k.what, k.pattern, 0, 0};
    std::string prefix = c.layout.image_dir + k.prefix;
    const auto& members = c.source->members;
    for (auto it = members.lower_bound(prefix);
         it != members.end() && it->first.starts_with(prefix); ++it) {
      if (it->second.type != MemberType::File ||
          it->first.find('/', prefix.size()) != std::string::npos)
        continue;
      ++f.files;
      f.bytes += it->second.blob->size();
    }
    if (f.files == 0) continue;
    if (std::string_view(k.prefix) == "amdgpu-pages-") amdgpu_pages = f.bytes;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace ckptfs
