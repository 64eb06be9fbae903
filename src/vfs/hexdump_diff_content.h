#pragma once
// diff/<A>..<B>/procs/<pid>/hexdump.diff: every 16-byte row that differs
// between the two checkpoints' memory, as `hexdump -C` lines with 16-digit
// addresses marked like a diff: "-" A's bytes, "+" B's. A changed row has
// both lines; a row of an added page only "+", of a removed page only "-".
// Each run of pages (as listed in `pages`) opens with an "@@ start-end kind
// mapping @@" line. Every line has the same width, so a read at any offset
// renders only the lines it covers: the text is never built as a whole.

#include <atomic>
#include <memory>
#include <vector>

#include "compare/comparison.h"
#include "vfs/content.h"

namespace ckptfs {

// `hexdump -C` line with a 16-digit address, after a "-" or "+".
inline constexpr uint64_t kDiffLineWidth = 88;

class HexdumpDiffContent : public Content {
 public:
  // The size a failed file reports (see FallibleTextContent).
  static constexpr uint64_t kFailedSize = 4096;

  HexdumpDiffContent(std::shared_ptr<const Comparison> cmp, uint32_t pid)
      : cmp_(std::move(cmp)), pid_(pid), a_(cmp_->process_a(pid)), b_(cmp_->process_b(pid)) {}
  uint64_t size() const override;
  size_t read(char* buf, size_t len, uint64_t off) const override;
  bool size_known() const override { return ready_.load(std::memory_order_acquire); }

 private:
  struct Layout {
    std::vector<uint64_t> first_line;  // of each run of the PageDiff: its "@@" line
    uint64_t lines = 0;
  };
  const Layout& layout() const;
  // Renders lines [line, line + count) of run r, all data lines of it, into
  // the part of buf that [off, off + len) covers.
  void render_rows(const PageDiff& d, size_t r, uint64_t line, uint64_t count, char* buf,
                   size_t len, uint64_t off) const;
  void render_changed(const PageDiff& d, size_t r, uint64_t line, uint64_t count, char* buf,
                      size_t len, uint64_t off) const;

  std::shared_ptr<const Comparison> cmp_;
  uint32_t pid_;
  const Process* a_;
  const Process* b_;
  Memo<Layout> layout_;
  mutable std::atomic<bool> ready_ = false;
};

// "@@ 5573c94d5000-5573c94d7000 changed 5573c94c5000-5573c94e6000.rw-p.heap @@",
// padded to kDiffLineWidth.
std::string render_diff_run_line(const PageRun& r);

// The `pages` line naming the mapping of a run: its vmas/ file name, or "-".
std::string run_mapping_name(const PageRun& r);

}  // namespace ckptfs
