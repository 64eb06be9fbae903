#pragma once
// What CRIU itself recorded about the dump, beside the process images:
// stats-dump, the plugins inventory.img says a restore needs, and the files
// GPU plugins write (criu/plugins/amdgpu: amdgpu-kfd-<id>.img,
// amdgpu-renderD-<minor>.img, amdgpu-dmabuf_<id>.img and the buffer
// contents, amdgpu-pages-<id>-<n>.img and amdgpu-drm-pages-<…>.img). The CUDA
// plugin writes no files of its own: cuda-checkpoint moves GPU memory into
// the process's memory, so it is part of pages-*.img.

#include <optional>
#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace ckptfs {

// stats-dump (top of a container archive, or among the images of a bare
// dump); nullopt when absent or unreadable: it is advisory.
std::optional<DumpStats> read_dump_stats(const Checkpoint& c);

// inventory.img's plugins_entry (CRIU >= 4.1), e.g. "amdgpu_plugin".
std::vector<std::string> read_criu_plugins(const Checkpoint& c);

// GPU plugin files among the images, by kind; amdgpu_pages gets the bytes of
// amdgpu-pages-*.img (checkpointctl's "AMD GPU memory pages size").
std::vector<PluginFiles> read_plugin_files(const Checkpoint& c, uint64_t& amdgpu_pages);

}  // namespace ckptfs
