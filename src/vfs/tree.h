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

// Special: a device node, FIFO or socket an archive recorded (a tmpfs dump of
// /dev). Shown with its type and device number; the mount is nodev, so opening
// one never reaches a real device.
enum class NodeType { Dir, File, Symlink, Special };

struct Node {
  uint64_t ino = 0;
  NodeType type = NodeType::Dir;
  uint32_t mode = 0;  // permission bits
  int64_t mtime = 0;
  uint64_t parent = 0;
  std::vector<std::pair<std::string, uint64_t>> children;  // dirs, sorted by name
  std::shared_ptr<const Content> content;                  // files
  std::string target;                                      // symlinks
  uint32_t special = 0;  // Special: S_IFCHR, S_IFBLK, S_IFIFO or S_IFSOCK
  uint64_t rdev = 0;     // Special: device number
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
  uint64_t add_special(uint64_t parent, const std::string& name, uint32_t filetype, uint64_t rdev,
                       uint32_t mode);
  // mkdir without its duplicate check, which is linear in the parent's
  // children: for grafting large archives whose names are known to be new.
  uint64_t add_dir(uint64_t parent, const std::string& name, uint32_t mode);
  // Attributes an archive recorded, taken as they are (mtime 0 is a real date).
  void set_attr(uint64_t ino, uint32_t mode, int64_t mtime);
  // Sorts children for binary-search lookup; call once after building.
  void seal();
  size_t size() const { return nodes_.size(); }

 private:
  uint64_t add(uint64_t parent, const std::string& name, Node n);
  std::vector<Node> nodes_;  // nodes_[ino - 1]
  int64_t mtime_;
};

}  // namespace ckptfs
