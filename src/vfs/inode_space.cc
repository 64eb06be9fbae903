#include "vfs/inode_space.h"

#include <mutex>

namespace ckptfs {

uint32_t InodeRef::nlink() const {
  if (node->type != NodeType::Dir) return 1;
  if (node->lazy || node->dynamic) return 1;
  return 2 + node->subdirs;
}

InodeSpace::InodeSpace(std::shared_ptr<const Tree> root) : root_(std::move(root)) {
  Graft g;
  g.parent = Tree::kRootIno;
  grafts_.push_back(std::move(g));
  root_graft_ = &grafts_.front();
}

const InodeSpace::Graft* InodeSpace::graft(uint64_t g) const {
  if (g == 0) return root_graft_;  // the hot path: one checkpoint, no lock
  std::shared_lock lock(mu_);
  return g < grafts_.size() ? &grafts_[g] : nullptr;
}

const Tree& InodeSpace::tree_of(const Graft& gr) const {
  return gr.lazy ? gr.lazy->tree() : *root_;
}

std::optional<InodeRef> InodeSpace::get(uint64_t ino) const {
  uint64_t g = ino >> kShift, local = ino & ((uint64_t{1} << kShift) - 1);
  const Graft* gr = graft(g);
  if (!gr || local == 0) return std::nullopt;
  if (g > 0 && local == Tree::kRootIno) return InodeRef{&gr->stub, ino, gr->parent};
  // Any other number of a graft was handed out from its built tree.
  if (g > 0 && !gr->lazy->built()) return std::nullopt;
  const Tree& t = tree_of(*gr);
  const Node* n = t.get(local);
  if (!n) return std::nullopt;
  uint64_t parent;
  if (g == 0)
    parent = n->parent;
  else
    parent = (g << kShift) | n->parent;  // the root's number is the stub's
  if (n->lazy) return std::nullopt;      // served as its graft's stub, never by this number
  return InodeRef{n, ino, parent};
}

const Node& InodeSpace::contents(uint64_t g, const InodeRef& ref) {
  if (g > 0 && (ref.ino & ((uint64_t{1} << kShift) - 1)) == Tree::kRootIno) {
    const Graft* gr = graft(g);
    const Tree& t = gr->lazy->tree();
    if (!gr->lazy->error().empty()) reported(ref.ino, *gr->lazy);
    return *t.get(Tree::kRootIno);
  }
  return *ref.node;
}

void InodeSpace::reported(uint64_t ino, const LazyDir& lazy) {
  {
    std::lock_guard lock(watch_mu_);
    if (!reported_.insert(ino).second) return;
  }
  if (listener_) listener_->problem(ino, lazy.error());
}

uint64_t InodeSpace::graft_for(uint64_t dir, uint64_t key, const std::string& name,
                               const std::shared_ptr<const LazyDir>& lazy, uint32_t mode) {
  auto k = std::make_tuple(dir, key, name);
  {
    std::shared_lock lock(mu_);
    auto it = graft_of_.find(k);
    if (it != graft_of_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto [it, added] = graft_of_.emplace(std::move(k), grafts_.size());
  if (!added) return it->second;
  Graft g;
  g.lazy = lazy;
  g.parent = dir;
  g.stub.ino = (grafts_.size() << kShift) | Tree::kRootIno;
  g.stub.type = NodeType::Dir;
  g.stub.mode = mode;
  g.stub.mtime = lazy->mtime();
  g.stub.parent = dir;
  g.stub.lazy = lazy;
  grafts_.push_back(std::move(g));
  return it->second;
}

InodeRef InodeSpace::child_ref(uint64_t g, const Tree& t, const Node& child, uint64_t dir) {
  if (child.lazy) {
    // Keyed by the placeholder's own number: one graft however often it is seen.
    uint64_t h = graft_for(dir, (g << kShift) | child.ino, {}, child.lazy, child.mode);
    return *get((h << kShift) | Tree::kRootIno);
  }
  return InodeRef{&child, (g << kShift) | child.ino, dir};
}

void InodeSpace::watch(const InodeRef& ref) {
  const Node& n = *ref.node;
  bool live_dir = n.type == NodeType::Dir && n.dynamic;
  bool live_file = n.type == NodeType::File && n.content;
  if (!live_dir && !live_file) return;
  {
    std::lock_guard lock(watch_mu_);
    if (!watched_.insert(ref.ino).second) return;
  }
  uint64_t ino = ref.ino;
  if (live_file) {
    n.content->observe([this, ino] {
      if (listener_) listener_->changed(ino);
    });
    return;
  }
  n.dynamic->observe(
      [this, ino](const DynamicDir::Entries& before, const DynamicDir::Entries& after) {
        if (!listener_) return;
        for (const auto& [name, e] : before) {
          auto it = after.find(name);
          if (it == after.end() || !(it->second == e)) listener_->entry_gone(ino, name);
        }
        listener_->changed(ino);
      });
}

std::optional<InodeRef> InodeSpace::lookup(uint64_t dir, const std::string& name) {
  std::optional<InodeRef> d = get(dir);
  if (!d || d->node->type != NodeType::Dir) return std::nullopt;
  uint64_t g = dir >> kShift;
  const Node& c = contents(g, *d);
  const Tree& t = tree_of(*graft(g));
  std::optional<InodeRef> found;
  if (const Node* child = t.lookup(c.ino, name); child && name != "." && name != "..") {
    found = child_ref(g, t, *child, dir);
  } else if (c.dynamic) {
    watch(*d);
    auto entries = c.dynamic->entries();
    if (auto it = entries->find(name); it != entries->end()) {
      uint64_t h = graft_for(dir, reinterpret_cast<uintptr_t>(it->second.dir.get()), name,
                             it->second.dir, it->second.mode);
      found = get((h << kShift) | Tree::kRootIno);
    }
  }
  if (found) watch(*found);
  return found;
}

void InodeSpace::list(uint64_t dir, size_t from,
                      const std::function<bool(const std::string&, const InodeRef&)>& fn) {
  std::optional<InodeRef> d = get(dir);
  if (!d || d->node->type != NodeType::Dir) return;
  uint64_t g = dir >> kShift;
  const Node& c = contents(g, *d);
  const Tree& t = tree_of(*graft(g));
  size_t i = from;
  for (; i < c.children.size(); ++i) {
    InodeRef ref = child_ref(g, t, *t.get(c.children[i].second), dir);
    watch(ref);
    if (!fn(c.children[i].first, ref)) return;
  }
  if (!c.dynamic) return;
  watch(*d);
  auto entries = c.dynamic->entries();
  size_t k = c.children.size();
  for (const auto& [name, e] : *entries) {
    if (k++ < i) continue;
    if (t.lookup(c.ino, name)) continue;  // a fixed child of that name wins
    uint64_t h = graft_for(dir, reinterpret_cast<uintptr_t>(e.dir.get()), name, e.dir, e.mode);
    if (!fn(name, *get((h << kShift) | Tree::kRootIno))) return;
  }
}

uint64_t InodeSpace::size() const {
  uint64_t n = root_->size();
  std::shared_lock lock(mu_);
  for (size_t g = 1; g < grafts_.size(); ++g)
    if (grafts_[g].lazy->built()) n += grafts_[g].lazy->tree().size();
  return n;
}

}  // namespace ckptfs
