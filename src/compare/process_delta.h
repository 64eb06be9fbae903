#pragma once
// One process of two checkpoints, matched by PID (the checkpoints of one
// container keep their PIDs): what differs besides its pages.

#include "compare/change.h"
#include "model/checkpoint.h"
#include "model/queued_data.h"

namespace ckptfs {

struct Side {
  const Checkpoint& c;
  const QueuedData& queued;
  const Process* p;  // null when the process is not on this side
};

// Everything of ProcessSummary but the page totals. Reads cmdline and
// environ from memory: throws InputError when those pages are unreadable.
ProcessSummary compare_process(uint32_t pid, const Side& a, const Side& b);

}  // namespace ckptfs
