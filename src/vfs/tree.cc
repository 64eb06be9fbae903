#include "vfs/tree.h"

#include <algorithm>
#include <stdexcept>

namespace ckptfs {

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

uint64_t Tree::add(uint64_t parent, const std::string& name, Node n) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw std::logic_error("bad node name: " + name);
  n.ino = nodes_.size() + 1;
  n.parent = parent;
  if (n.mtime == 0) n.mtime = mtime_;
  nodes_.push_back(std::move(n));
  nodes_[parent - 1].children.emplace_back(name, nodes_.size());
  return nodes_.size();
}

const Node* Tree::lookup_unsealed(uint64_t parent, const std::string& name) const {
  const Node* p = get(parent);
  if (!p) return nullptr;
  for (const auto& [n, ino] : p->children)
    if (n == name) return get(ino);
  return nullptr;
}

uint64_t Tree::mkdir(uint64_t parent, const std::string& name, uint32_t mode) {
  if (const Node* n = lookup_unsealed(parent, name); n && n->type == NodeType::Dir) return n->ino;
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

void Tree::set_attr(uint64_t ino, uint32_t mode, int64_t mtime) {
  if (ino == 0 || ino > nodes_.size()) throw std::logic_error("set_attr: no such node");
  nodes_[ino - 1].mode = mode;
  nodes_[ino - 1].mtime = mtime;
}

void Tree::seal() {
  for (Node& n : nodes_)
    std::sort(n.children.begin(), n.children.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
}

}  // namespace ckptfs
