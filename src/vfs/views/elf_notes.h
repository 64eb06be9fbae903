#pragma once
// The PT_NOTE payload of /procs/<pid>/core: the notes Linux's ELF core dumper
// writes (fs/binfmt_elf.c), rebuilt from the checkpoint's core/mm images so
// that gdb, eu-stack and friends see threads, registers, auxv and mappings.

#include <cstdint>
#include <string>

#include "model/checkpoint.h"

namespace ckptfs {

// Note descriptors, each laid out like the x86_64 kernel's struct.
std::string prpsinfo_desc(const Process& p);
std::string prstatus_desc(const Process& p, const Thread& t);
// Empty when the thread has no FPU state in the checkpoint.
std::string fpregset_desc(const Thread& t);
// Empty unless the checkpoint holds the AVX upper halves (see the .cc).
std::string xstate_desc(const Thread& t);
std::string auxv_desc(const Process& p);
// Empty when no VMA is backed by a file.
std::string file_desc(const Process& p);

// One note: header, name and descriptor, each padded to 4 bytes.
std::string elf_note(const char* name, uint32_t type, const std::string& desc);

// Every note, in the kernel's order: the first thread's NT_PRSTATUS, then
// NT_PRPSINFO, NT_AUXV and NT_FILE, then that thread's FPU notes; each further
// thread's NT_PRSTATUS followed by its FPU notes. (The kernel also writes
// NT_SIGINFO for the fatal signal; a checkpoint has none.)
std::string build_core_notes(const Process& p);

}  // namespace ckptfs
