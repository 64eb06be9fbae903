#pragma once
// Checkpoint models -> the virtual tree every user tool sees.

#include <memory>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "vfs/tree.h"

namespace ckptfs {

// One checkpoint: /containers/<name>/…, /procs/<pid>/…
// Several: the same layout under /<name>/ for each, and /diff/<A>..<B>/
// comparing each with the next (vfs/diff_tree.h).
std::unique_ptr<Tree> build_tree(const std::vector<std::unique_ptr<Checkpoint>>& checkpoints);

// One checkpoint's layout at the root of its own tree (a collection's
// MOUNTPOINT/<name>/). c must outlive the tree.
std::unique_ptr<Tree> build_checkpoint_tree(const Checkpoint& c);

// A directory name from metadata an attacker may control: no "/", no NUL,
// never "", "." or "..".
std::string safe_name(std::string s);

// Files that hold what a process held in memory are readable by the owner only.
inline constexpr uint32_t kSecretMode = 0400;

}  // namespace ckptfs
