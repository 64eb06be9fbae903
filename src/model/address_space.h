#pragma once
// One process's memory as sorted, non-overlapping extents of stored data.
// Everything outside an extent reads as zeros. mem, the per-VMA files and the
// ELF core all read through this one index: a read is a binary search plus
// preads, SEEK_DATA/SEEK_HOLE and the block count come from the same extents.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "source/blob.h"

namespace ckptfs {

inline constexpr uint64_t kPageSize = 4096;
// End of the x86_64 user address space: the size of /procs/<pid>/mem.
inline constexpr uint64_t kUserAddressEnd = 0x800000000000ull;

struct Extent {
  uint64_t start;   // virtual address
  uint64_t length;  // bytes
  uint64_t offset;  // into the blob
  uint32_t blob;    // index into AddressSpace::blobs
};

class AddressSpace {
 public:
  // Extents may be added in any order; finish() sorts, checks for overlap and
  // merges neighbours that continue each other in the same blob.
  uint32_t add_blob(std::shared_ptr<Blob> b);
  void add(uint64_t start, uint64_t length, uint32_t blob, uint64_t offset);
  void reserve(size_t extents) { extents_.reserve(extents); }
  // Returns a description of the first overlap, or "" when the layout is sound.
  std::string finish();

  // Fills buf completely: stored bytes where extents are, zeros elsewhere.
  void read(uint64_t addr, void* buf, size_t len) const;
  // lseek semantics: the first data/hole offset >= addr, nullopt past the end.
  std::optional<uint64_t> next_data(uint64_t addr) const;
  uint64_t next_hole(uint64_t addr) const;  // kUserAddressEnd when data runs to the end
  uint64_t stored_bytes() const { return stored_; }
  uint64_t stored_bytes_in(uint64_t start, uint64_t end) const;
  const std::vector<Extent>& extents() const { return extents_; }

 private:
  // Index of the first extent whose end is > addr.
  size_t first_ending_after(uint64_t addr) const;
  std::vector<std::shared_ptr<Blob>> blobs_;
  std::vector<Extent> extents_;
  uint64_t stored_ = 0;
};

}  // namespace ckptfs
