#pragma once
// One file of a collection: its probe, and what it becomes the first time
// someone looks into one of its directories: the Source opened (a compressed
// archive decompressed, or its persisted cache entry used), its checkpoints
// loaded, a tree built for each. Until then it holds no file open.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collection/probe.h"
#include "collection/table.h"
#include "model/checkpoint.h"
#include "source/source.h"
#include "vfs/lazy_dir.h"

namespace ckptfs {

using SaveTask = std::function<void(const std::atomic<bool>& stopping)>;

struct LoadSettings {
  CacheSettings cache;
  // The file's state changed (it loaded, or failed to). Called on the thread
  // that looked into it: a FUSE request's, so it must not wait for the kernel.
  std::function<void()> changed;
  // A new cache entry to save in the background (CacheSettings::defer_save).
  std::function<void(SaveTask)> save;
};

class CheckpointFile {
 public:
  // settings must outlive the file. A probe with an error and checkpoints
  // (a broken archive) gives directories that hold only ERROR.
  CheckpointFile(Probe probe, const LoadSettings& settings);
  // Its directories' trees point into it: it stays where it is.
  CheckpointFile(const CheckpointFile&) = delete;
  CheckpointFile& operator=(const CheckpointFile&) = delete;

  const Probe& probe() const { return probe_; }
  // The directory of probe().checkpoints[i]; building it loads the file.
  const std::shared_ptr<const LazyDir>& dir(size_t i) const { return dirs_[i]; }
  RowState state() const;
  std::string error() const;  // one line naming the file, when Failed

 private:
  // Loads once, whichever directory asks first; throws the load's error.
  const Checkpoint& checkpoint(size_t i);
  void load();

  Probe probe_;
  const LoadSettings& settings_;
  std::vector<std::shared_ptr<const LazyDir>> dirs_;
  std::once_flag once_;
  std::vector<std::unique_ptr<Checkpoint>> loaded_;
  mutable std::mutex mu_;
  RowState state_ = RowState::NotOpened;
  std::string error_;
};

}  // namespace ckptfs
