#pragma once
// The inode numbers the FUSE layer serves, over a root Tree and every tree
// that appears later: a LazyDir built on first use, the entries of a
// DynamicDir. The root tree's nodes keep their own numbers (1, 2, …). A lazy
// or dynamic directory, once seen, becomes a graft: its nodes are numbered
// graft << 32 | their number in its own tree, so a tree built later never
// renumbers anything the kernel was already given. The same LazyDir seen in
// two places is two grafts, two sets of numbers: no directory has two parents.
//
// Nothing is freed while mounted (the kernel may hold any number it was
// given), so a Node pointer handed out stays valid for the InodeSpace's life.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <unordered_set>

#include "vfs/dynamic_dir.h"
#include "vfs/lazy_dir.h"
#include "vfs/tree.h"

namespace ckptfs {

// What the FUSE layer must tell the kernel, which caches names, listings and
// contents for ever (the tree is immutable where none of these happen).
class InodeListener {
 public:
  virtual ~InodeListener() = default;
  virtual void entry_gone(uint64_t dir, const std::string& name) = 0;
  // A listing or a file's contents changed.
  virtual void changed(uint64_t ino) = 0;
  // A lazy directory failed to build (it now holds only ERROR): said once.
  virtual void problem(uint64_t ino, const std::string& what) = 0;
};

struct InodeRef {
  const Node* node = nullptr;
  uint64_t ino = 0;
  uint64_t parent = 0;
  // nlink for a directory: 2 + subdirectories, or 1 ("not counted", as find
  // understands it) for lazy and dynamic ones, whose count would need a build.
  uint32_t nlink() const;
};

class InodeSpace {
 public:
  explicit InodeSpace(std::shared_ptr<const Tree> root);
  // Set once, before serving.
  void set_listener(InodeListener* l) { listener_ = l; }

  std::optional<InodeRef> get(uint64_t ino) const;
  std::optional<InodeRef> lookup(uint64_t dir, const std::string& name);
  // The entries of dir from index `from` on (without "." and ".."), in a
  // stable order, until fn returns false. Builds a lazy dir.
  void list(uint64_t dir, size_t from,
            const std::function<bool(const std::string& name, const InodeRef& ref)>& fn);
  // Nodes of the root tree and of every built graft, for statfs.
  uint64_t size() const;

 private:
  struct Graft {
    std::shared_ptr<const LazyDir> lazy;  // null for the root tree
    Node stub;                            // the directory itself
    uint64_t parent = 0;                  // global ino of the directory holding it
  };
  static constexpr uint64_t kShift = 32;

  const Graft* graft(uint64_t g) const;
  const Tree& tree_of(const Graft& gr) const;
  // The node whose children and dynamic entries make up directory ref.
  const Node& contents(uint64_t g, const InodeRef& ref);
  InodeRef child_ref(uint64_t g, const Tree& t, const Node& child, uint64_t dir);
  uint64_t graft_for(uint64_t dir, uint64_t key, const std::string& name,
                     const std::shared_ptr<const LazyDir>& lazy, uint32_t mode);
  void watch(const InodeRef& ref);
  void reported(uint64_t ino, const LazyDir& lazy);

  std::shared_ptr<const Tree> root_;
  InodeListener* listener_ = nullptr;
  mutable std::shared_mutex mu_;
  std::deque<Graft> grafts_;  // [0] is the root tree: deque, so stubs never move
  // (dir, placeholder or LazyDir, name) -> graft
  std::map<std::tuple<uint64_t, uint64_t, std::string>, uint64_t> graft_of_;
  const Graft* root_graft_;  // grafts_[0], read without the lock
  std::mutex watch_mu_;
  std::unordered_set<uint64_t> watched_, reported_;
};

}  // namespace ckptfs
