#pragma once
// Where everything sits in /procs/<pid>/core, an x86_64 ELF core file: the
// small head (ELF header, program headers, notes) as bytes, and one PT_LOAD
// per VMA as an (offset, address, size) triple whose bytes the reader fetches
// from the AddressSpace on demand. Pure: no I/O beyond argv for NT_PRPSINFO.

#include <cstdint>
#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace ckptfs {

struct CoreSegment {
  uint64_t offset;  // in the core file, page aligned
  uint64_t vaddr;
  uint64_t size;  // p_filesz == p_memsz
};

struct ElfCoreLayout {
  std::string head;                   // file bytes [0, head.size())
  std::vector<CoreSegment> segments;  // ascending in both offset and vaddr
  uint64_t size = 0;                  // of the whole file
};

// True for the VMAs that get a PT_LOAD: all but those above the user address
// space ([vsyscall]), which the kernel does not dump either.
bool dumped_in_core(const Vma& v);

// A zombie (no mm, no registers) gets notes only: NT_PRPSINFO and one
// NT_PRSTATUS per thread with zero registers, no PT_LOAD.
ElfCoreLayout layout_elf_core(const Process& p);

}  // namespace ckptfs
