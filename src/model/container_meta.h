#pragma once
// The engine's metadata around the CRIU images: config.dump, spec.dump and the
// sizes checkpointctl reports (container-archive-layout.md §3, §4).

#include <cstdint>
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {

// config.dump and spec.dump larger than this are not read (and the
// checkpoint is shown as if it had none).
inline constexpr uint64_t kMaxMetadataBytes = 64u << 20;

// What config.dump and spec.dump say (name, engine, pod, namespace, image,
// times, the spec's argv and environment), and inventory.img's time when the
// engine recorded no checkpoint time. Reads nothing else, so it works on the
// few members a collection's table reads before a checkpoint is opened
// (source/peek.h). fallback_name names checkpoints without metadata.
ContainerInfo read_engine_metadata(const Source& src, const Layout& layout,
                                   const std::string& fallback_name);

// All of ContainerInfo: the above, the CRIU version and the sizes.
ContainerInfo read_container_info(const Checkpoint& c, const std::string& fallback_name);

}  // namespace ckptfs
