#pragma once
// The virtual tree: directories, symlinks and files with Content. Built once
// at mount and never changed, so inode numbers are simply indexes and nothing
// needs reference counting or locking.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vfs/content.h"

namespace ckptfs {

enum class NodeType { Dir, File, Symlink };

struct Node {
  uint64_t ino = 0;
  NodeType type = NodeType::Dir;
  uint32_t mode = 0;  // permission bits
  int64_t mtime = 0;
  uint64_t parent = 0;
  std::vector<std::pair<std::string, uint64_t>> children;  // dirs, sorted by name
  std::shared_ptr<const Content> content;                  // files
  std::string target;                                      // symlinks
};

class Tree {
 public:
  static constexpr uint64_t kRootIno = 1;
  explicit Tree(int64_t mtime = 0);

  const Node* get(uint64_t ino) const;
  const Node* lookup(uint64_t parent, const std::string& name) const;
  // Resolves "a/b/c" from the root; nullptr if absent.
  const Node* resolve(const std::string& path) const;

  // Lookup that works while building (children are sorted only by seal()).
  const Node* lookup_unsealed(uint64_t parent, const std::string& name) const;

  uint64_t mkdir(uint64_t parent, const std::string& name, uint32_t mode = 0555);
  uint64_t add_file(uint64_t parent, const std::string& name, std::shared_ptr<const Content> c,
                    uint32_t mode = 0444);
  uint64_t add_symlink(uint64_t parent, const std::string& name, const std::string& target);
  // Sorts children for binary-search lookup; call once after building.
  void seal();
  size_t size() const { return nodes_.size(); }

 private:
  uint64_t add(uint64_t parent, const std::string& name, Node n);
  std::vector<Node> nodes_;  // nodes_[ino - 1]
  int64_t mtime_;
};

}  // namespace ckptfs
