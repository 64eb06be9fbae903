#include "vfs/lazy_dir.h"

namespace ckptfs {

const Tree& LazyDir::tree() const {
  std::call_once(once_, [this] {
    try {
      tree_ = build_();
      if (!tree_->sealed()) tree_->seal();
    } catch (const std::exception& e) {
      error_ = e.what();
      tree_ = std::make_unique<Tree>(mtime_);
      tree_->add_file(Tree::kRootIno, "ERROR", std::make_shared<TextContent>(error_ + "\n"));
      tree_->seal();
    }
    Builder().swap(build_);  // what the builder captured is no longer needed
    built_.store(true, std::memory_order_release);
  });
  return *tree_;
}

bool LazyDir::built() const { return built_.load(std::memory_order_acquire); }

const std::string& LazyDir::error() const {
  static const std::string kNone;
  return built() ? error_ : kNone;
}

}  // namespace ckptfs
