#pragma once
// The low-level FUSE operations over an InodeSpace, and the state they share.

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>

#include "util/log.h"
#include "vfs/inode_space.h"

namespace ckptfs {

// The session's userdata. Also the InodeSpace's listener: what changes in a
// watched collection reaches the kernel from here.
struct Context : InodeListener {
  InodeSpace* space = nullptr;
  // Set while mounted: notifications need it, and may come from any thread.
  std::atomic<fuse_session*> se = nullptr;
  uid_t uid = 0;
  gid_t gid = 0;
  // The kernel can open files and directories without asking us (with
  // keep_cache and cached readdir, the defaults it then uses): saves two
  // round trips per file for cat, grep -r and yara -r over many small files.
  bool zero_message_open = false;
  bool zero_message_opendir = false;
  unsigned max_read = 0;  // as -o max_read set it (0: none)
  // The mount follows links (fusermount3 could not make it nosymfollow):
  // targets that would lead out are shown contained (vfs/contained_link.h).
  bool contain_links = false;
  LogSink log;

  // A broken file is reported once, keyed by the file itself.
  void report(uint64_t ino, const std::string& what);

  void entry_gone(uint64_t dir, const std::string& name) override;
  void changed(uint64_t ino) override;
  void problem(uint64_t ino, const std::string& what) override { report(ino, what); }

 private:
  std::mutex log_mu_;
  std::set<uint64_t> logged_;
};

fuse_lowlevel_ops make_ops();

}  // namespace ckptfs
