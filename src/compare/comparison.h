#pragma once
// Two checkpoints compared: a pure function of two models, computed piece by
// piece as it is asked for. Creating a Comparison costs nothing but an index
// of PIDs; a process's pages are compared the first time anyone asks for
// them, once, however many threads ask at the same time; the summary
// compares everything. A piece that fails on bad input (a page that cannot
// be read, two architectures) fails with the same InputError every time it
// is asked for, and every other piece still works.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "compare/change.h"
#include "compare/page_diff.h"
#include "model/checkpoint.h"
#include "model/queued_data.h"
#include "util/error.h"

namespace ckptfs {

// A value computed once by the first caller (the others wait). An InputError
// is remembered and thrown to every caller; any other exception leaves the
// value uncomputed, to be tried again.
template <typename T>
class Memo {
 public:
  template <typename Compute>
  const T& get(Compute&& compute) const {
    std::call_once(once_, [&] {
      try {
        value_ = std::make_unique<T>(compute());
      } catch (const InputError& e) {
        error_ = e.what();
      }
    });
    if (!value_) throw InputError(error_);
    return *value_;
  }

 private:
  mutable std::once_flag once_;
  mutable std::unique_ptr<T> value_;
  mutable std::string error_;
};

class Comparison {
 public:
  // Both must outlive the comparison. name_a, name_b: the checkpoints' names
  // in the mount, for the summary.
  Comparison(const Checkpoint& a, const Checkpoint& b, std::string name_a, std::string name_b,
             PageDiffOptions options = {});

  const Checkpoint& a() const { return a_; }
  const Checkpoint& b() const { return b_; }
  const std::string& name_a() const { return name_a_; }
  const std::string& name_b() const { return name_b_; }
  // Every PID of either side, ascending.
  const std::vector<uint32_t>& pids() const { return pids_; }
  const Process* process_a(uint32_t pid) const;
  const Process* process_b(uint32_t pid) const;

  // pid must be one of pids(). Throws InputError (see above).
  const PageDiff& pages(uint32_t pid) const;
  // Compares everything, every process's pages included.
  const Summary& summary() const;

  // How many page comparisons of a process have run in this program: what
  // tests of laziness count.
  static uint64_t page_diffs_run() { return page_diffs_run_.load(); }

 private:
  PageDiff compute_pages(uint32_t pid) const;
  Summary compute_summary() const;

  const Checkpoint& a_;
  const Checkpoint& b_;
  std::string name_a_, name_b_;
  PageDiffOptions options_;
  std::vector<uint32_t> pids_;
  std::map<uint32_t, Memo<PageDiff>> pages_;
  Memo<QueuedData> queued_a_, queued_b_;
  Memo<Summary> summary_;
  static std::atomic<uint64_t> page_diffs_run_;
};

}  // namespace ckptfs
