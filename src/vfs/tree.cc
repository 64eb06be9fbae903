#include "vfs/tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace ckptfs {

namespace {

std::string index_key(uint64_t parent, const std::string& name) {
  return fmt::format("{}/{}", parent, name);
}

}  // namespace

Tree::Tree(int64_t mtime) : mtime_(mtime) {
  Node root;
  root.ino = kRootIno;
  root.type = NodeType::Dir;
  root.mode = 0555;
  root.parent = kRootIno;
  root.mtime = mtime;
  nodes_.push_back(std::move(root));
}

const Node* Tree::get(uint64_t ino) const {
  if (ino == 0 || ino > nodes_.size()) return nullptr;
  return &nodes_[ino - 1];
}

const Node* Tree::lookup(uint64_t parent, const std::string& name) const {
  const Node* p = get(parent);
  if (!p || p->type != NodeType::Dir) return nullptr;
  if (name == ".") return p;
  if (name == "..") return get(p->parent);
  auto it = std::lower_bound(p->children.begin(), p->children.end(), name,
                             [](const auto& c, const std::string& n) { return c.first < n; });
  if (it == p->children.end() || it->first != name) return nullptr;
  return get(it->second);
}

const Node* Tree::resolve(const std::string& path) const {
  const Node* n = get(kRootIno);
  size_t i = 0;
  while (n && i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) n = lookup(n->ino, path.substr(i, j - i));
    i = j + 1;
  }
  return n;
}

std::string Tree::free_name(uint64_t parent, const std::string& name) const {
  if (!index_.count(index_key(parent, name))) return name;
  for (uint64_t k = 2;; ++k) {
    std::string alt = fmt::format("{}~{}", name, k);
    if (!index_.count(index_key(parent, alt))) return alt;
  }
}

uint64_t Tree::add(uint64_t parent, const std::string& name, Node n) {
  if (sealed_) throw std::logic_error("add: the tree is sealed");
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw std::logic_error("bad node name: " + name);
  if (parent == 0 || parent > nodes_.size() || nodes_[parent - 1].type != NodeType::Dir)
    throw std::logic_error("add: parent is not a directory");
  std::string unique = free_name(parent, name);
  n.ino = nodes_.size() + 1;
  n.parent = parent;
  if (n.mtime == 0) n.mtime = mtime_;
  nodes_.push_back(std::move(n));
  index_.emplace(index_key(parent, unique), nodes_.size());
  nodes_[parent - 1].children.emplace_back(std::move(unique), nodes_.size());
  return nodes_.size();
}

const Node* Tree::lookup_unsealed(uint64_t parent, const std::string& name) const {
  if (sealed_) return lookup(parent, name);
  auto it = index_.find(index_key(parent, name));
  return it == index_.end() ? nullptr : get(it->second);
}

uint64_t Tree::mkdir(uint64_t parent, const std::string& name, uint32_t mode) {
  if (const Node* n = lookup_unsealed(parent, name);
      n && n->type == NodeType::Dir && !n->lazy && !n->dynamic)
    return n->ino;
  return add_dir(parent, name, mode);
}

uint64_t Tree::add_file(uint64_t parent, const std::string& name, std::shared_ptr<const Content> c,
                        uint32_t mode) {
  Node n;
  n.type = NodeType::File;
  n.mode = mode;
  n.content = std::move(c);
  return add(parent, name, std::move(n));
}

uint64_t Tree::add_symlink(uint64_t parent, const std::string& name, const std::string& target) {
  Node n;
  n.type = NodeType::Symlink;
  n.mode = 0777;
  n.target = target;
  return add(parent, name, std::move(n));
}

uint64_t Tree::add_special(uint64_t parent, const std::string& name, uint32_t filetype,
                           uint64_t rdev, uint32_t mode) {
  Node n;
  n.type = NodeType::Special;
  n.mode = mode;
  n.special = filetype;
  n.rdev = rdev;
  return add(parent, name, std::move(n));
}

uint64_t Tree::add_dir(uint64_t parent, const std::string& name, uint32_t mode) {
  Node n;
  n.type = NodeType::Dir;
  n.mode = mode;
  return add(parent, name, std::move(n));
}

uint64_t Tree::add_lazy_dir(uint64_t parent, const std::string& name,
                            std::shared_ptr<const LazyDir> lazy, uint32_t mode) {
  Node n;
  n.type = NodeType::Dir;
  n.mode = mode;
  n.lazy = std::move(lazy);
  return add(parent, name, std::move(n));
}

void Tree::set_dynamic(uint64_t dir, std::shared_ptr<DynamicDir> dynamic) {
  if (dir == 0 || dir > nodes_.size() || nodes_[dir - 1].type != NodeType::Dir)
    throw std::logic_error("set_dynamic: not a directory");
  nodes_[dir - 1].dynamic = std::move(dynamic);
}

void Tree::set_attr(uint64_t ino, uint32_t mode, int64_t mtime) {
  if (ino == 0 || ino > nodes_.size()) throw std::logic_error("set_attr: no such node");
  nodes_[ino - 1].mode = mode;
  nodes_[ino - 1].mtime = mtime;
}

void Tree::seal() {
  for (Node& n : nodes_) {
    std::sort(n.children.begin(), n.children.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    n.subdirs = 0;
    for (const auto& [name, ino] : n.children)
      if (nodes_[ino - 1].type == NodeType::Dir) ++n.subdirs;
  }
  index_ = {};
  sealed_ = true;
}

}  // namespace ckptfs
