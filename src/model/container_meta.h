#pragma once
// The engine's metadata around the CRIU images: config.dump, spec.dump and the
// sizes checkpointctl reports (container-archive-layout.md §3, §4).

#include <string>

#include "model/checkpoint.h"

namespace ckptfs {

// fallback_name names checkpoints without metadata (bare CRIU images).
ContainerInfo read_container_info(const Checkpoint& c, const std::string& fallback_name);

}  // namespace ckptfs
