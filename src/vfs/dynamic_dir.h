#pragma once
// Directory entries that come and go while mounted: the checkpoints of a
// watched directory. Each entry is a LazyDir, so listing never builds one.
// Whoever changes the set (a watcher thread) calls set(); observers (the
// FUSE layer, through InodeSpace) hear what changed so the kernel forgets
// names that are gone and re-reads the listing.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vfs/lazy_dir.h"

namespace ckptfs {

class DynamicDir {
 public:
  struct Entry {
    std::shared_ptr<const LazyDir> dir;
    uint32_t mode = 0555;
    bool operator==(const Entry& o) const { return dir == o.dir && mode == o.mode; }
  };
  using Entries = std::map<std::string, Entry>;
  // before, after: the listings around one change.
  using Observer = std::function<void(const Entries& before, const Entries& after)>;

  DynamicDir() : entries_(std::make_shared<const Entries>()) {}

  // The current entries; a snapshot that later changes do not touch.
  std::shared_ptr<const Entries> entries() const;
  // Replaces the entries and tells every observer, unless nothing changed.
  void set(Entries entries);
  void observe(Observer o);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Entries> entries_;
  std::vector<Observer> observers_;
};

}  // namespace ckptfs
