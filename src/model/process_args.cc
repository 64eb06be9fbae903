#include "model/process_args.h"

#include <fmt/format.h>

namespace ckptfs {

namespace {

ProcessText read_range(const Process& p, uint64_t start, uint64_t end, const char* what) {
  ProcessText t;
  if (!p.mm || end <= start) {
    t.from_memory = false;
    t.note = fmt::format("no {} bounds in the checkpoint", what);
    return t;
  }
  uint64_t len = std::min<uint64_t>(end - start, kMaxArgBytes);
  if (start >= kUserAddressEnd || len > kUserAddressEnd - start) {
    t.from_memory = false;
    t.note = fmt::format("{} bounds 0x{:x}-0x{:x} are outside the address space", what, start, end);
    return t;
  }
  if (p.memory.stored_bytes_in(start & ~(kPageSize - 1), start + len) == 0) {
    t.from_memory = false;
    t.note = fmt::format("the pages holding {} (0x{:x}-0x{:x}) were not dumped", what, start, end);
    return t;
  }
  t.bytes.resize(len);
  p.memory.read(start, t.bytes.data(), len);
  return t;
}

}  // namespace

ProcessText read_cmdline(const Process& p) {
  if (!p.mm) return read_range(p, 0, 0, "argv");
  // The kernel returns [arg_start, arg_end) as is while its last byte is NUL.
  return read_range(p, p.mm->mm_arg_start(), p.mm->mm_arg_end(), "argv");
}

ProcessText read_environ(const Process& p) {
  if (!p.mm) return read_range(p, 0, 0, "environment");
  return read_range(p, p.mm->mm_env_start(), p.mm->mm_env_end(), "environment");
}

}  // namespace ckptfs
