#pragma once
#include <string>

#include "model/checkpoint.h"
#include "model/queued_data.h"

namespace ckptfs {
// /net/sockets: one line per socket of any process, like `ss -anp`.
std::string render_sockets(const Checkpoint& c, const QueuedData& q);
}  // namespace ckptfs
