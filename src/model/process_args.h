#pragma once
// A process's argv and environment as the kernel would show them in
// /proc/<pid>/cmdline and /proc/<pid>/environ: the bytes between the mm's
// arg/env bounds, read through the same AddressSpace as mem.

#include <string>

#include "model/checkpoint.h"

namespace ckptfs {

struct ProcessText {
  std::string bytes;        // NUL-separated
  bool from_memory = true;  // false: the pages were not in the checkpoint
  std::string note;         // why, when not from memory
};

// Bounds are capped (the kernel does the same for cmdline) so a corrupt mm
// cannot make us allocate gigabytes.
inline constexpr uint64_t kMaxArgBytes = 1u << 20;

ProcessText read_cmdline(const Process& p);
ProcessText read_environ(const Process& p);

}  // namespace ckptfs
