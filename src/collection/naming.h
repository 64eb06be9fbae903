#pragma once
// The directory names of a collection's checkpoints. A checkpoint is named
// after its container; when several share that name, each gets the pod, then
// the namespace, then the checkpoint time, then the archive's file name,
// as many of them as tell it apart from the others of its name (empty ones
// left out), joined with "_":
//   webapp, counter_counters-7d9c_default_2024-02-29T18:28:17Z
// A name thus depends only on the checkpoints that share its container name,
// not on the order the archives were found in: the same archives get the same
// names in every mount, and an archive added later renames only those of its
// container name. Whatever still clashes (reserved names too) gets "~2", "~3"
// in the order of the archives' paths.

#include <set>
#include <string>
#include <vector>

namespace ckptfs {

struct NameFacts {
  std::string container, pod, namespace_, checkpointed;
  std::string archive;  // file name
  std::string key;      // unique and stable: path, and index in a pod archive
};

struct CheckpointNames {
  std::string dir;     // MOUNTPOINT/<dir>
  std::string by_pod;  // "<namespace>/<pod>/<container>/<checkpointed>", "-" for unknowns
};

// One CheckpointNames per NameFacts, in the same order.
std::vector<CheckpointNames> assign_names(const std::vector<NameFacts>& facts,
                                          const std::set<std::string>& reserved);

}  // namespace ckptfs
