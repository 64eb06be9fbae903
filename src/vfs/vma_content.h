#pragma once
// A window [start, end) of a process's address space as a file. With the whole
// user range it is /procs/<pid>/mem (sparse: SEEK_DATA/SEEK_HOLE and st_blocks
// from the extents); with one VMA's range it is a vmas/ file, the dense view
// that yara, strings, grep -r and cmp need.

#include "model/address_space.h"
#include "model/checkpoint.h"
#include "vfs/content.h"

namespace ckptfs {

class AddressRangeContent : public Content {
 public:
  AddressRangeContent(const AddressSpace& as, uint64_t start, uint64_t end)
      : as_(as), start_(start), end_(end) {}
  uint64_t size() const override { return end_ - start_; }
  size_t read(char* buf, size_t len, uint64_t off) const override;
  std::optional<uint64_t> seek_data(uint64_t off) const override;
  uint64_t seek_hole(uint64_t off) const override;
  uint64_t allocated() const override { return as_.stored_bytes_in(start_, end_); }

 private:
  const AddressSpace& as_;
  uint64_t start_, end_;
};

// "7f5c93600000-7f5c93a00000.rw-p.anon"
std::string vma_file_name(const Vma& v);

}  // namespace ckptfs
