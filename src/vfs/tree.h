#pragma once
// The virtual tree: directories, symlinks and files with Content. A Tree is
// built once and never changed afterwards, so inode numbers are simply
// indexes and nothing needs reference counting or locking. What must appear
// later (a comparison computed on first read, a checkpoint of a watched
// directory) is a directory node that holds a LazyDir or a DynamicDir
// instead of children: InodeSpace (inode_space.h) serves those as trees of
// their own.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vfs/content.h"

namespace ckptfs {

class LazyDir;
class DynamicDir;

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
  uint32_t subdirs = 0;                                    // dirs: counted by seal()
  std::shared_ptr<const Content> content;                  // files
  std::string target;                                      // symlinks
  uint32_t special = 0;  // Special: S_IFCHR, S_IFBLK, S_IFIFO or S_IFSOCK
  uint64_t rdev = 0;     // Special: device number
  // Dirs whose contents are not children of this tree: built on first use,
  // or changing while mounted (besides the children, if any).
  std::shared_ptr<const LazyDir> lazy;
  std::shared_ptr<DynamicDir> dynamic;
};

class Tree {
 public:
  static constexpr uint64_t kRootIno = 1;
  explicit Tree(int64_t mtime = 0);

  const Node* get(uint64_t ino) const;
  const Node* lookup(uint64_t parent, const std::string& name) const;
  // Resolves "a/b/c" from the root; nullptr if absent.
  const Node* resolve(const std::string& path) const;

  // Lookup that works while building too (children are sorted only by seal()).
  const Node* lookup_unsealed(uint64_t parent, const std::string& name) const;

  // Names are unique in a directory. mkdir returns the directory of that name
  // when there is one. Any other clash (two files of one name, a directory
  // where a file is) comes from untrusted input, and the newcomer is added as
  // "name~2" (then ~3 …): both stay visible, neither replaces the other.
  uint64_t mkdir(uint64_t parent, const std::string& name, uint32_t mode = 0555);
  uint64_t add_file(uint64_t parent, const std::string& name, std::shared_ptr<const Content> c,
                    uint32_t mode = 0444);
  uint64_t add_symlink(uint64_t parent, const std::string& name, const std::string& target);
  uint64_t add_special(uint64_t parent, const std::string& name, uint32_t filetype, uint64_t rdev,
                       uint32_t mode);
  // A new directory even when one of that name exists (then named "name~2").
  uint64_t add_dir(uint64_t parent, const std::string& name, uint32_t mode);
  // A directory whose contents are another tree, built on first use.
  uint64_t add_lazy_dir(uint64_t parent, const std::string& name,
                        std::shared_ptr<const LazyDir> lazy, uint32_t mode = 0555);
  // Entries that come and go while mounted, listed beside dir's own children.
  void set_dynamic(uint64_t dir, std::shared_ptr<DynamicDir> dynamic);
  // Attributes an archive recorded, taken as they are (mtime 0 is a real date).
  void set_attr(uint64_t ino, uint32_t mode, int64_t mtime);
  // Sorts children for binary-search lookup; call once after building.
  void seal();
  bool sealed() const { return sealed_; }
  size_t size() const { return nodes_.size(); }
  int64_t mtime() const { return mtime_; }

 private:
  uint64_t add(uint64_t parent, const std::string& name, Node n);
  std::string free_name(uint64_t parent, const std::string& name) const;
  std::vector<Node> nodes_;  // nodes_[ino - 1]
  // "<parent ino>/<name>" -> ino while building: lookups and clash checks in
  // constant time, so 100,000 fds cost 100,000 steps, not their square.
  std::unordered_map<std::string, uint64_t> index_;
  bool sealed_ = false;
  int64_t mtime_;
};

}  // namespace ckptfs
