#include "model/vma_naming.h"

#include <fmt/format.h>

namespace ckptfs {

std::string Vma::perms() const {
  std::string p = "---p";
  if (prot & 1) p[0] = 'r';
  if (prot & 2) p[1] = 'w';
  if (prot & 4) p[2] = 'x';
  if (shared) p[3] = 's';
  return p;
}

namespace {
constexpr uint32_t kMapShared = 0x1;

const criu::file_entry* file(const FileTables& t, uint64_t id) {
  if (!t.files || id > UINT32_MAX) return nullptr;
  auto it = t.files->find(static_cast<uint32_t>(id));
  return it == t.files->end() ? nullptr : &it->second;
}

void set_dev(Vma& out, uint32_t kdev) {
  out.dev_major = kdev >> 20;
  out.dev_minor = kdev & 0xfffff;
}
}  // namespace

Vma describe_vma(const criu::vma_entry& v, const criu::mm_entry& mm, const FileTables& t) {
  namespace S = vma_status;
  Vma out;
  out.start = v.start();
  out.end = v.end();
  out.prot = v.prot();
  out.flags = v.flags();
  out.status = v.status();
  out.shared = (v.flags() & kMapShared) != 0;
  uint32_t st = v.status();

  // Special areas first: vDSO and vvar also carry REGULAR|ANON_PRIVATE.
  if (st & S::kVsyscall) {
    out.kind = VmaKind::Vsyscall;
    out.path = "[vsyscall]";
  } else if (st & S::kVvar) {
    out.kind = VmaKind::Vvar;
    out.path = "[vvar]";
  } else if (st & S::kVdso) {
    out.kind = VmaKind::Vdso;
    out.path = "[vdso]";
  } else if (st & S::kHeap) {
    out.kind = VmaKind::Heap;
    out.path = "[heap]";
  } else if (st & S::kMemfd) {
    // MEMFD is set together with FILE_SHARED: test it first. CRIU 4.2 dumps
    // MAP_SHARED|MAP_ANONYMOUS this way too, as a memfd named "/dev/zero".
    out.kind = VmaKind::Memfd;
    out.pgoff = v.pgoff();
    out.dev_minor = 1;  // shmem
    const criu::file_entry* f = file(t, v.shmid());
    const criu::memfd_inode_entry* ino = nullptr;
    if (f && f->has_memfd() && t.memfd_inodes) {
      auto it = t.memfd_inodes->find(f->memfd().inode_id());
      if (it != t.memfd_inodes->end()) ino = &it->second;
    }
    if (ino) {
      out.shmem_id = ino->shmid();
      out.inode = ino->shmid();
      if (ino->name() == "/dev/zero") {
        out.kind = VmaKind::SharedAnon;
        out.path = "/dev/zero (deleted)";
      } else {
        out.path = "/memfd:" + ino->name() + " (deleted)";
      }
    } else {
      out.path = "/memfd: (deleted)";
    }
  } else if (st & S::kAnonShared) {
    out.shmem_id = v.shmid();
    out.inode = v.shmid();
    out.dev_minor = 1;
    out.pgoff = v.pgoff();
    if (st & S::kSysvIpc) {
      // newseg() (ipc/shm.c) names the segment's file "SYSV<key>", the key
      // shmget() was called with, and makes the shmid its inode number. The
      // key is only in the IPC namespace's image: 0 without one.
      out.kind = VmaKind::SysV;
      uint32_t key = 0;
      if (t.sysv) {
        auto it = t.sysv->find(static_cast<uint32_t>(v.shmid()));
        if (it != t.sysv->end() && it->first == v.shmid()) key = it->second.key;
      }
      out.path = fmt::format("/SYSV{:08x} (deleted)", key);
    } else {
      out.kind = VmaKind::SharedAnon;
      out.path = "/dev/zero (deleted)";
    }
  } else if (st & (S::kFilePrivate | S::kFileShared)) {
    out.kind = VmaKind::File;
    out.pgoff = v.pgoff();
    if (const criu::file_entry* f = file(t, v.shmid()); f && f->has_reg()) {
      out.path = f->reg().name();
      if (t.deleted && t.deleted->count(f->id())) out.path += " (deleted)";
      if (t.mnt_dev && f->reg().mnt_id() >= 0) {
        auto it = t.mnt_dev->find(static_cast<uint32_t>(f->reg().mnt_id()));
        if (it != t.mnt_dev->end()) set_dev(out, it->second);
      }
      // CRIU records no inode for a file that still has a name (0 here, like
      // the device without a mount table); a deleted file's ghost has both.
      if (t.inodes) {
        auto it = t.inodes->find(f->id());
        if (it != t.inodes->end()) {
          set_dev(out, it->second.dev);
          out.inode = it->second.ino;
        }
      }
    }
  } else if (st & S::kAioRing) {
    out.kind = VmaKind::AioRing;
    out.path = "/[aio] (deleted)";
  } else if (st & S::kAnonPrivate) {
    out.kind = VmaKind::Anon;
  } else {
    out.kind = VmaKind::Other;
  }
  // The kernel labels the VMA holding the initial stack pointer [stack].
  if (out.path.empty() && mm.mm_start_stack() >= out.start && mm.mm_start_stack() < out.end) {
    out.kind = VmaKind::Stack;
    out.path = "[stack]";
  }
  return out;
}

void append_as_listed(std::vector<Vma>& out, Vma v) {
  constexpr uint64_t kVdsoPages = 6, kVclockPages = 2;
  if (v.kind == VmaKind::Vvar && v.size() == kVdsoPages * kPageSize) {
    Vma vclock = v;
    v.end = vclock.start = v.end - kVclockPages * kPageSize;
    vclock.path = "[vvar_vclock]";
    out.push_back(std::move(v));
    out.push_back(std::move(vclock));
    return;
  }
  out.push_back(std::move(v));
}

}  // namespace ckptfs
