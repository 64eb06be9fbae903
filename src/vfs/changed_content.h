#pragma once
// diff/<A>..<B>/procs/<pid>/changed: a sparse file laid out like mem that
// holds B's bytes for every added or changed page and holes everywhere else.
// SEEK_DATA / SEEK_HOLE find those pages exactly and st_blocks counts only
// them. The pages are compared on first use (a read, a seek or a stat).

#include <atomic>
#include <memory>
#include <vector>

#include "compare/comparison.h"
#include "vfs/content.h"

namespace ckptfs {

class ChangedPagesContent : public Content {
 public:
  ChangedPagesContent(std::shared_ptr<const Comparison> cmp, uint32_t pid)
      : cmp_(std::move(cmp)), pid_(pid), b_(cmp_->process_b(pid)) {}
  uint64_t size() const override { return kUserAddressEnd; }
  size_t read(char* buf, size_t len, uint64_t off) const override;
  std::optional<uint64_t> seek_data(uint64_t off) const override;
  uint64_t seek_hole(uint64_t off) const override;
  // 0 while the comparison fails: stat keeps working, reads fail.
  uint64_t allocated() const override;
  // Not before the comparison: listing the directory must not start it.
  bool size_known() const override { return ready_.load(std::memory_order_acquire); }

 private:
  const std::vector<PageRegion>& regions() const;
  // Index of the first region ending after off.
  size_t first_ending_after(uint64_t off) const;

  std::shared_ptr<const Comparison> cmp_;
  uint32_t pid_;
  const Process* b_;
  Memo<std::vector<PageRegion>> regions_;
  mutable std::atomic<bool> ready_ = false;
};

}  // namespace ckptfs
