#pragma once
// A collection: every checkpoint in some directories (the kubelet's
// /var/lib/kubelet/checkpoints, a folder of exports) and any checkpoints
// named beside them, mounted as one tree that follows those directories:
//
//   MOUNTPOINT/<name>/           a checkpoint's usual tree, built on first look
//   MOUNTPOINT/checkpoints       the table (collection/table.h)
//   MOUNTPOINT/checkpoints.json
//   MOUNTPOINT/by-pod/<namespace>/<pod>/<container>/<checkpointed>/
//                                the same trees, reached by what Kubernetes calls them
//
// Mounting probes each file (collection/probe.h) and keeps none open; a
// checkpoint is opened (decompressed, or served from its cache entry) only
// when someone looks into its directory, and opening one opens no other.
// While mounted, archives written or renamed into a directory appear once
// complete, and removed ones disappear; files already open keep working,
// because nothing the kernel was given is ever freed.
//
// Where this sits: above vfs (it builds trees of LazyDirs and DynamicDirs and
// loads checkpoints through model and source), beside fuse, which serves its
// tree without knowing it is one; the CLI runs its follow() and
// save_caches() as the daemon's background tasks. Data flows one way: the
// collection sets the vfs's dynamic entries and live texts, whose observers
// (InodeSpace, then fuse) tell the kernel.
//
// Comparisons of two checkpoints (a diff/ directory) are not offered here:
// a collection's checkpoints come and go. If they are wanted, publish() is
// where the pairs would be computed, as one more DynamicDir.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "collection/checkpoint_file.h"
#include "collection/dir_watcher.h"
#include "source/source.h"
#include "util/log.h"
#include "vfs/content.h"
#include "vfs/dynamic_dir.h"
#include "vfs/tree.h"

namespace ckptfs {

struct CollectionOptions {
  // Directories whose entries are the checkpoints (is_collection_directory),
  // and checkpoints of their own (archives, image directories).
  std::vector<std::string> inputs;
  CacheSettings cache;
  // Never looked at, even inside a directory: the mount point (walking it
  // would ask this very mount) and the cache directory.
  std::vector<std::string> ignore;
};

class Collection {
 public:
  // Probes every entry of every directory, and each checkpoint given. What
  // is wrong with one file is its row's error; throws InputError only when a
  // directory cannot be listed at all.
  explicit Collection(CollectionOptions options);
  ~Collection();
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;

  std::shared_ptr<const Tree> tree() const { return tree_; }
  // Why the directories are not followed ("" when they are): inotify failed.
  const std::string& not_live() const { return not_live_; }
  // Where problems found while mounted go: a new file that is not a
  // checkpoint, a directory that went away. Set before follow() runs.
  void set_log(LogSink log) { log_ = std::move(log); }

  // The daemon's background tasks: follow the directories and keep the
  // listings and the table current; save the cache entries of the archives
  // opened. Each returns soon after stopping turns true.
  void follow(const std::atomic<bool>& stopping);
  void save_caches(const std::atomic<bool>& stopping);

  // One round of follow(): waits up to timeout_ms for changes and applies
  // them, so tests can step it.
  void follow_once(int timeout_ms);

 private:
  using Clock = std::chrono::steady_clock;
  // What tells a directory being filled from one that is complete.
  struct DirSignature {
    uint64_t entries = 0, bytes = 0;
    int64_t newest_ns = 0;
    bool operator==(const DirSignature&) const = default;
  };
  struct Input {
    std::string given;  // as on the command line
    std::string path;   // absolute: the daemon works from /
    bool watched = false;
    int wd = -1;
  };
  struct Slot {
    size_t input = 0;
    std::string archive;  // as the table shows it
    std::shared_ptr<CheckpointFile> file;
    DirSignature sig;  // directories only
    bool is_dir = false;
  };
  struct Pending {  // a new directory (or a file after lost events): shown once quiet
    size_t input = 0;
    std::string name;
    DirSignature sig;
    Clock::time_point since;
  };

  // Of a directory's tree, or of a file.
  DirSignature signature(const std::string& path) const;
  // Lists DIR again; with settle_recent, files changed in the last seconds
  // wait in pending_ (they may be being written).
  void scan(size_t input, bool settle_recent = false);
  // (Re)probes DIR/name unless it is the version already listed.
  void look_at(size_t input, const std::string& name, bool force = false);
  void add_slot(size_t input, const std::string& archive, const std::string& path);
  void forget(const std::string& path);
  void handle(const std::vector<DirWatcher::Event>& events);
  void tick();
  void publish();
  void changed();

  std::vector<Input> inputs_;
  std::set<std::string> ignore_;  // absolute paths
  size_t watched_inputs_ = 0;
  LoadSettings load_;
  std::map<std::string, Slot> slots_;  // by path: the table's order
  std::map<std::string, Pending> pending_;
  Clock::time_point last_recheck_{};
  // Every file ever probed: the trees built from them point into them, and
  // the kernel may hold those for as long as the mount lives.
  std::vector<std::shared_ptr<CheckpointFile>> all_;
  std::unique_ptr<DirWatcher> watcher_;
  std::string not_live_;
  std::atomic<bool> dirty_ = false;
  std::atomic<bool> live_ = false;
  LogSink log_;

  std::shared_ptr<Tree> tree_;
  std::shared_ptr<DynamicDir> root_, by_pod_;
  std::shared_ptr<LiveTextContent> table_, json_;
  // by-pod/<namespace>: what it lists, and the directory listing it, reused
  // while that does not change (the kernel keeps its inode numbers).
  std::map<std::string, std::pair<std::string, std::shared_ptr<const LazyDir>>> namespaces_;

  std::mutex save_mu_;
  std::condition_variable save_cv_;
  std::deque<SaveTask> saves_;
};

// A directory that is not itself a checkpoint: no inventory.img,
// checkpoint/, pre-checkpoint/, pod.options or oci-layout (an OCI image
// layout) in it, and no CRIU image at
// its top (that would be an image directory missing its inventory).
bool is_collection_directory(const std::string& path);

}  // namespace ckptfs
