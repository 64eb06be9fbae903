#pragma once
#include <string>

#include "source/blob.h"

namespace ckptfs {
// stats-dump (CRIU's dump statistics) as text. Throws on a corrupt image.
std::string render_stats(const std::string& name, const Blob& blob);
}  // namespace ckptfs
