#pragma once
// /procs/<pid>/vmas/<start>-<end>.<perms>.<name>: one VMA as a dense file, the
// same bytes as mem over [start, end), for tools that map or read whole files
// (yara, strings, grep -r, cmp).

#include "model/address_space.h"
#include "model/checkpoint.h"
#include "vfs/content.h"

namespace ckptfs {

class VmaContent : public Content {
 public:
  VmaContent(const AddressSpace& as, uint64_t start, uint64_t end)
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
