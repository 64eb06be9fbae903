#pragma once
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {
// The kernel's /proc/<pid>/maps text (fs/proc/task_mmu.c: show_map_vma).
std::string render_maps(const Process& p);
}  // namespace ckptfs
