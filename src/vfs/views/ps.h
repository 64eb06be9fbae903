#pragma once
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {
// The process tree like `ps -ef --forest`: one line per task.
std::string render_ps(const Checkpoint& c);
// argv with NULs as spaces, or "[comm]" when the checkpoint lacks it.
std::string command_line(const Process& p);
}  // namespace ckptfs
