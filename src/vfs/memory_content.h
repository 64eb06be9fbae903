#pragma once
// /procs/<pid>/mem: the address space as a sparse file, offset = address.

#include "model/address_space.h"
#include "vfs/content.h"

namespace ckptfs {

class MemoryContent : public Content {
 public:
  explicit MemoryContent(const AddressSpace& as) : as_(as) {}
  uint64_t size() const override { return kUserAddressEnd; }
  size_t read(char* buf, size_t len, uint64_t off) const override;
  std::optional<uint64_t> seek_data(uint64_t off) const override;
  uint64_t seek_hole(uint64_t off) const override;
  uint64_t allocated() const override { return as_.stored_bytes(); }

 private:
  const AddressSpace& as_;
};

}  // namespace ckptfs
