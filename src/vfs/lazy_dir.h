#pragma once
// A directory whose contents are a Tree built the first time someone looks
// inside: a comparison of two checkpoints, a checkpoint of a collection.
// Listing the parent shows it without building it.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "vfs/tree.h"

namespace ckptfs {

class LazyDir {
 public:
  using Builder = std::function<std::unique_ptr<Tree>()>;
  // mtime: the directory's own, shown before and after building.
  LazyDir(Builder build, int64_t mtime) : build_(std::move(build)), mtime_(mtime) {}

  // Built once, by the first caller; the others wait for it. A builder that
  // throws leaves a tree holding one file, ERROR, with the message: the
  // failure shows where it happened and the rest of the mount keeps working.
  const Tree& tree() const;
  bool built() const;
  // The builder's error ("" when it succeeded or has not run).
  const std::string& error() const;
  int64_t mtime() const { return mtime_; }

 private:
  mutable Builder build_;
  int64_t mtime_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<Tree> tree_;
  mutable std::string error_;
  mutable std::atomic<bool> built_ = false;
};

}  // namespace ckptfs
