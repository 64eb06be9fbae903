#pragma once
// /procs/<pid>/hexdump: every stored page of a process as `hexdump -C` text
// with virtual addresses, one fixed-width line per 16 bytes. Because every
// line has the same width, a read at any offset maps straight to an address
// and renders only the lines it covers: the text of a multi-GiB process is
// never built, and `tail -c`, `less` and `grep -n` work on it directly.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "model/address_space.h"
#include "model/checkpoint.h"
#include "vfs/content.h"

namespace ckptfs {

// `hexdump -C`'s line with the address widened from 8 to 16 hex digits.
inline constexpr uint64_t kHexdumpBytesPerLine = 16;
inline constexpr uint64_t kHexdumpLineWidth = 87;  // including the '\n'

// Writes the kHexdumpLineWidth bytes of the line for the 16 bytes at addr.
void render_hexdump_line(uint64_t addr, const unsigned char* bytes, char* out);

// "-- start-end perms name --" for the VMA holding a run of stored pages,
// padded with spaces to kHexdumpLineWidth (the name shortened if needed).
// vma may be null when no VMA holds the run (a corrupt image).
std::string render_hexdump_separator(const Vma* vma, uint64_t run_start, uint64_t run_end);

class HexdumpContent : public Content {
 public:
  // Both must outlive the content (they belong to the immutable Checkpoint).
  // vmas must be sorted by start, as the loader leaves them.
  HexdumpContent(const AddressSpace& as, const std::vector<Vma>& vmas) : as_(as), vmas_(vmas) {}
  // Laid out later: a temporary list of VMAs would be gone by then.
  HexdumpContent(const AddressSpace& as, std::vector<Vma>&& vmas) = delete;
  uint64_t size() const override { return layout().lines * kHexdumpLineWidth; }
  size_t read(char* buf, size_t len, uint64_t off) const override;
  // Laid out on first use: a mount must not pay for every process's hexdump.
  bool size_known() const override { return laid_out_.load(std::memory_order_acquire); }

 private:
  // Stored data with no gap in it (adjacent extents merged, as next_hole
  // does), widened to whole lines. Its separator line comes first.
  struct Run {
    uint64_t first_line;  // the separator's line index
    uint64_t start, end;  // addresses, multiples of 16
    std::string separator;
  };
  struct Layout {
    std::vector<Run> runs;
    uint64_t lines = 0;
  };
  const Layout& layout() const;
  // Renders the data lines [line, line + count) of run r, all inside it, and
  // copies the part of them inside [off, off + len) to buf (offset 0 = off).
  void render_data(const Run& r, uint64_t line, uint64_t count, char* buf, size_t len,
                   uint64_t off) const;

  const AddressSpace& as_;
  const std::vector<Vma>& vmas_;
  mutable std::once_flag once_;
  mutable Layout layout_;
  mutable std::atomic<bool> laid_out_ = false;
};

}  // namespace ckptfs
