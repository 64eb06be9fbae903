#pragma once
#include <string>

#include "model/checkpoint.h"
#include "util/human_size.h"

namespace ckptfs {
// /containers/<name>/info: a summary in the spirit of `checkpointctl inspect`.
std::string render_info(const Checkpoint& c);
// /containers/<name>/info.json: the same facts with checkpointctl's JSON keys.
std::string render_info_json(const Checkpoint& c);
// "10.4 MiB" the way checkpointctl prints sizes.
}  // namespace ckptfs
