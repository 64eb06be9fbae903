#pragma once
// Source -> Checkpoint model. Decodes every image the views need, validates
// every number it will later index with, and builds each AddressSpace once.

#include <memory>
#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace ckptfs {

// One Checkpoint per container in the source (a pod archive holds several).
// base_name names bare-image checkpoints ("proc-tree" for proc-tree.tar).
std::vector<std::unique_ptr<Checkpoint>> load_checkpoints(std::shared_ptr<const Source> src,
                                                          const std::string& base_name);

// Names become directory names in the tree: "x", "x-2", "x-3" … in order.
void make_names_unique(std::vector<std::unique_ptr<Checkpoint>>& checkpoints);

// "proc-tree.tar.zst" -> "proc-tree", "/x/dump/" -> "dump".
std::string checkpoint_base_name(const std::string& path);

}  // namespace ckptfs
