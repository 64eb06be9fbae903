#pragma once
// /procs/<pid>/core: an ELF core file gdb can open, generated on demand. Only
// the head (headers and notes) is held in memory, built on first use; PT_LOAD
// bytes are read from the AddressSpace, and its holes are the file's holes.

#include <atomic>
#include <mutex>

#include "model/checkpoint.h"
#include "vfs/content.h"
#include "vfs/views/elf_core.h"

namespace ckptfs {

class CoreContent : public Content {
 public:
  explicit CoreContent(const Process& p) : p_(p) {}
  uint64_t size() const override { return layout().size; }
  size_t read(char* buf, size_t len, uint64_t off) const override;
  std::optional<uint64_t> seek_data(uint64_t off) const override;
  uint64_t seek_hole(uint64_t off) const override;
  uint64_t allocated() const override;
  bool size_known() const override { return laid_out_.load(std::memory_order_acquire); }

 private:
  const ElfCoreLayout& layout() const;
  // Index of the segment holding off, or of the first one after it.
  size_t segment_at(uint64_t off) const;

  const Process& p_;
  mutable std::once_flag once_;
  mutable ElfCoreLayout layout_;
  mutable uint64_t allocated_ = 0;
  mutable std::atomic<bool> laid_out_ = false;
};

}  // namespace ckptfs
