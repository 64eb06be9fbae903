#pragma once
// The checkpoint as an investigator thinks of it: container metadata, the
// process tree, each process's VMAs, files and memory. Built once at mount by
// the loader; immutable afterwards, so every view can share it across threads.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

// glibc's <signal.h> defines a sigmask() macro; when a file includes it first
// (gtest does), the generated signalfd_entry::sigmask() no longer compiles.
#undef sigmask

#include "core.pb.h"
#include "fdinfo.pb.h"
#include "memfd.pb.h"
#include "mm.pb.h"
#include "model/address_space.h"
#include "source/layout.h"
#include "source/source.h"

namespace ckptfs {

// CRIU VMA status bits (criu-image-format.md §7.2).
namespace vma_status {
inline constexpr uint32_t kRegular = 0x1, kStack = 0x2, kVsyscall = 0x4, kVdso = 0x8, kHeap = 0x20,
                          kFilePrivate = 0x40, kFileShared = 0x80, kAnonShared = 0x100,
                          kAnonPrivate = 0x200, kSysvIpc = 0x400, kSocket = 0x800, kVvar = 0x1000,
                          kAioRing = 0x2000, kMemfd = 0x4000, kShstk = 0x8000, kGuard = 0x10000;
}

enum class VmaKind {
  Anon,
  Heap,
  Stack,
  Vdso,
  Vvar,
  Vsyscall,
  File,
  SharedAnon,
  Memfd,
  SysV,
  AioRing,
  Other
};

struct Vma {
  uint64_t start = 0, end = 0;
  uint64_t pgoff = 0;  // bytes
  uint32_t prot = 0, flags = 0, status = 0;
  VmaKind kind = VmaKind::Anon;
  bool shared = false;  // 's' in maps
  std::string path;     // what /proc/pid/maps shows in the last column ("" for anon)
  uint32_t dev_major = 0, dev_minor = 0;
  uint64_t inode = 0;
  std::optional<uint64_t> shmem_id;  // pagemap-shmem-<id>.img holding its shared pages
  std::string perms() const;         // "rw-p"
  uint64_t size() const { return end - start; }
};

enum class TaskState { Alive, Dead, Stopped, Zombie, Unknown };

struct Thread {
  uint32_t tid = 0;
  std::string comm;
  std::shared_ptr<const criu::core_entry> core;  // null when core-<tid>.img is missing
};

struct FdEntry {
  uint32_t fd = 0;
  uint32_t fd_flags = 0;  // FD_CLOEXEC
  uint32_t file_id = 0;
  uint32_t type = 0;
};

struct Process {
  uint32_t pid = 0, ppid = 0, pgid = 0, sid = 0;
  std::string comm;
  TaskState state = TaskState::Unknown;
  uint32_t exit_code = 0;
  std::vector<Thread> threads;  // leader first
  std::vector<uint32_t> children;
  std::shared_ptr<const criu::mm_entry> mm;  // without vmas; null for zombies
  std::vector<Vma> vmas;                     // CRIU's guard VMAs removed
  std::string exe, cwd, root;
  std::optional<uint32_t> umask;
  uint32_t files_id = 0;
  std::vector<FdEntry> fds;
  AddressSpace memory;
  uint64_t pages_unavailable = 0;  // PE_PARENT / lazy pages the checkpoint does not hold
  // Bytes of memory from MAP_SHARED / memfd objects (pagemap-shmem-*.img): stored
  // once per object, so per-process totals must tell them from private pages.
  uint64_t shared_stored_bytes = 0;
};

struct ContainerInfo {
  std::string name;
  std::string engine;  // "Podman", "CRI-O", "containerd", "none"
  std::string image, id, runtime;
  std::string created, checkpointed;
  std::string checkpointed_source;  // where checkpointed came from, if not the metadata
  std::string criu_version;
  std::string pod, namespace_;
  uint64_t checkpoint_size = 0;    // all CRIU image files
  uint64_t memory_pages_size = 0;  // pages-*.img
  uint64_t rootfs_diff_size = 0;   // rootfs-diff.tar
  bool has_rootfs_diff = false;
  // What the OCI spec says PID 1 was started with (spec.dump process.args/env).
  std::vector<std::string> spec_args, spec_env;
};

struct Checkpoint {
  std::string name;  // unique name in the mount
  Layout layout;
  std::shared_ptr<const Source> source;
  ContainerInfo info;
  std::map<uint32_t, Process> procs;  // by namespace pid
  uint32_t root_pid = 0;
  std::map<uint32_t, criu::file_entry> files;                // files.img by file id
  std::map<uint64_t, criu::memfd_inode_entry> memfd_inodes;  // memfd.img by inode_id
  std::set<uint32_t> deleted_files;  // file ids remap-fpath.img says were unlinked
  std::string arch = "x86_64";
  int64_t mtime = 0;  // checkpoint time for the tree's attributes

  const Member* image(const std::string& file) const {
    return source->find(layout.image_dir + file);
  }
  const Member* meta(const std::string& file) const { return source->find(layout.meta_dir + file); }
};

}  // namespace ckptfs
