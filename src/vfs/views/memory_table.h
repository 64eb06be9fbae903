#pragma once
// /containers/<name>/memory and memory.json: how much memory each process
// holds, the table investigators know from `checkpointctl memparse`, counted
// from the pagemaps as the loader decoded them (so CRIU >= 4.2's nr_pages
// field is honoured where checkpointctl 1.3 reports 0 B).

#include <cstdint>
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {

// Two different "shared" figures, never to be confused: what the checkpoint
// stores of the shared objects a process maps, and how large its shared
// mappings are (checkpointctl's "Shared memory size"), stored or not.
struct ProcessMemory {
  uint64_t dumped = 0;         // pages of the process's own pagemap stored in the checkpoint
  uint64_t shared_dumped = 0;  // stored pages of MAP_SHARED / memfd / SysV objects its VMAs show
  uint64_t shared_mapped = 0;  // size of its MAP_SHARED VMAs (file mappings too)
  uint64_t mapped = 0;         // all its VMAs, like VSZ
  uint64_t unavailable = 0;    // pages the pagemap leaves to a parent image or lazy restore
};

// Bytes, not pages.
ProcessMemory process_memory(const Process& p);

std::string render_memory_table(const Checkpoint& c);
std::string render_memory_json(const Checkpoint& c);

}  // namespace ckptfs
