#pragma once
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {
// /proc/<pid>/status and /proc/<pid>/task/<tid>/status, in the kernel's names
// and layout, for the fields a checkpoint records.
std::string render_status(const Checkpoint& c, const Process& p, const Thread& t);
// "S (sleeping)": CRIU records alive / stopped / dead, not run vs sleep.
std::string state_text(TaskState s);
// Thread registers, one "name 0x…" line each.
std::string render_regs(const Thread& t);
}  // namespace ckptfs
