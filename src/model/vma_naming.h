#pragma once
// How the kernel would name a VMA in /proc/<pid>/maps, from CRIU's status bits,
// the file it maps and the shared-memory object behind it.

#include <map>
#include <set>
#include <vector>

#include "fdinfo.pb.h"
#include "memfd.pb.h"
#include "mm.pb.h"
#include "model/checkpoint.h"
#include "model/sysv_shm.h"

namespace ckptfs {

// A file's device (kernel encoding, major << 20 | minor) and inode number.
struct FileInode {
  uint32_t dev = 0;
  uint64_t ino = 0;
};

struct FileTables {
  const std::map<uint32_t, criu::file_entry>* files = nullptr;
  const std::map<uint64_t, criu::memfd_inode_entry>* memfd_inodes = nullptr;  // by inode_id
  const std::map<uint32_t, uint32_t>* mnt_dev = nullptr;  // mnt_id -> root_dev (kernel encoding)
  const std::set<uint32_t>* deleted = nullptr;  // file ids remap-fpath.img marks as unlinked
  // File ids whose device and inode an image records: unlinked files (their
  // ghost-file header). reg_file_entry itself has neither.
  const std::map<uint32_t, FileInode>* inodes = nullptr;
  const std::map<uint32_t, SysvShmSegment>* sysv = nullptr;  // the task's IPC namespace, by shmid
};

Vma describe_vma(const criu::vma_entry& v, const criu::mm_entry& mm, const FileTables& t);

// Appends v as the kernel's maps would list it. CRIU stores [vvar] and the
// [vvar_vclock] after it as one VVAR VMA (format doc §7.2); on x86_64 a VVAR
// VMA of exactly 6 pages can only come from the layout of current kernels
// (arch/x86/include/asm/vdso/vsyscall.h: __VDSO_PAGES 6, of which the last
// VDSO_NR_VCLOCK_PAGES 2 are [vvar_vclock]), so it becomes those two lines.
// Any other size stays one [vvar] line: older kernels had a lone 4-page
// [vvar], and nothing in the images says which kernel wrote them.
void append_as_listed(std::vector<Vma>& out, Vma v);

}  // namespace ckptfs
