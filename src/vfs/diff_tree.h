#pragma once
// MNT/diff/: one directory "<A>..<B>" per consecutive pair of the mounted
// checkpoints, holding what differs between them:
//   summary, summary.json             container, processes, files
//   procs/<pid>/pages                 "<start>-<end> <kind> <bytes> <mapping>" per run
//   procs/<pid>/changed               sparse like mem: B's added and changed pages
//   procs/<pid>/changed-regions/      one dense file per run of them, named like vmas/
//   procs/<pid>/hexdump.diff          the rows that differ, both sides
//   procs/<pid>/maps.diff             diff -u of the two maps
// Nothing is compared until something is read: each pair is a LazyDir whose
// tree is built on first look inside, and building it compares nothing.

#include <memory>
#include <string>
#include <vector>

#include "compare/comparison.h"
#include "model/checkpoint.h"
#include "vfs/tree.h"

namespace ckptfs {

// names[i]: checkpoints[i]'s directory name in the mount.
void add_diff_dirs(Tree& t, uint64_t diff_dir,
                   const std::vector<std::unique_ptr<Checkpoint>>& checkpoints,
                   const std::vector<std::string>& names);

// The tree of one pair, as its LazyDir builds it.
std::unique_ptr<Tree> build_comparison_tree(std::shared_ptr<const Comparison> cmp, int64_t mtime);

}  // namespace ckptfs
