#include "model/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "fs.pb.h"
#include "ids.pb.h"
#include "images/image_reader.h"
#include "images/magic.h"
#include "images/pagemap_entry.h"
#include "inventory.pb.h"
#include "memfd.pb.h"
#include "mnt.pb.h"
#include "model/container_meta.h"
#include "model/file_desc.h"
#include "model/ghost_file.h"
#include "model/sysv_shm.h"
#include "model/vma_naming.h"
#include "pagemap.pb.h"
#include "pstree.pb.h"
#include "remap.pb.h"
#include "util/error.h"

namespace ckptfs {

namespace {

constexpr uint32_t kPeParent = 0x1, kPeLazy = 0x2, kPePresent = 0x4;

struct PageRun {
  uint64_t vaddr;  // or offset into a shared object
  uint64_t length;
  uint64_t file_offset;
};

// A decoded pagemap: the runs stored in pages-<id>.img, and how many pages the
// dump delegates elsewhere (parent image, page server).
struct Pagemap {
  std::shared_ptr<Blob> pages;
  std::vector<PageRun> runs;
  uint64_t unavailable_pages = 0;
};

class Loader {
 public:
  Loader(Checkpoint& c) : c_(c) {}
  void load();

 private:
  std::string img_name(const std::string& n) const { return c_.layout.image_dir + n; }
  const Blob* find(const std::string& n) const {
    const Member* m = c_.image(n);
    return m && m->type == MemberType::File ? m->blob.get() : nullptr;
  }
  ImageReader open(const std::string& n, uint32_t magic) const {
    const Blob* b = find(n);
    if (!b) fail(img_name(n), "missing from the checkpoint");
    return ImageReader::from_blob(img_name(n), *b, magic);
  }
  std::optional<ImageReader> open_optional(const std::string& n, uint32_t magic) const {
    if (!find(n)) return std::nullopt;
    return ImageReader::from_blob(img_name(n), *find(n), magic);
  }
  template <typename Msg>
  Msg single(const std::string& n, uint32_t magic) const {
    ImageReader r = open(n, magic);
    Msg m;
    if (!r.next(m)) fail(img_name(n), "holds no entry");
    return m;
  }

  void load_inventory();
  void load_files();
  void load_ghost_inode(uint32_t file_id, uint32_t ghost_id);
  void load_process(const criu::pstree_entry& e);
  Pagemap load_pagemap(const std::string& name, bool shared);
  const Pagemap* shmem(uint64_t id);
  void build_memory(Process& p, const Pagemap& pm, const std::string& pm_name);
  std::string file_path(uint32_t id) const { return reg_file_path(c_, id); }

  Checkpoint& c_;
  std::map<uint32_t, uint32_t> mnt_dev_;
  std::map<uint32_t, FileInode> inodes_;  // file id -> device and inode, from ghost files
  SysvShmTable sysv_;
  std::map<uint64_t, std::optional<Pagemap>> shmem_;
};

void Loader::load_inventory() {
  auto inv = single<criu::inventory_entry>("inventory.img", magic::kInventory);
  if (inv.img_version() != 2)
    fail(img_name("inventory.img"),
         "image format version {} is not supported (only 2, CRIU >= 1.6)", inv.img_version());
}

void Loader::load_files() {
  if (auto r = open_optional("files.img", magic::kFiles)) {
    criu::file_entry f;
    while (r->next(f)) c_.files[f.id()] = f;
  }
  if (auto r = open_optional("memfd.img", magic::kMemfdInode)) {
    criu::memfd_inode_entry m;
    while (r->next(m)) c_.memfd_inodes[m.inode_id()] = m;
  }
  if (auto r = open_optional("remap-fpath.img", magic::kRemapFpath)) {
    criu::remap_file_path_entry m;
    while (r->next(m)) {
      // LINKED (0) and GHOST (1) both mean the original path was unlinked.
      uint32_t type = m.has_remap_type() ? m.remap_type() : ((m.remap_id() >> 31) ? 1 : 0);
      if (type == 0 || type == 1) c_.deleted_files.insert(m.orig_id());
      if (type == 1)
        load_ghost_inode(m.orig_id(),
                         m.has_remap_type() ? m.remap_id() : (m.remap_id() & 0x7fffffffu));
    }
  }
  sysv_ = load_sysv_shm(*c_.source, c_.layout);
  for (const FileInDir& f : files_in(*c_.source, c_.layout.image_dir)) {
    if (!f.name.starts_with("mountpoints-")) continue;
    ImageReader r = ImageReader::from_blob(*f.path, *f.member->blob, magic::kMountpoints);
    criu::mnt_entry e;
    while (r.next(e)) mnt_dev_[e.mnt_id()] = e.root_dev();
  }
}

// A ghost file's header records the unlinked file's device and inode, which
// its maps lines show. Only a label: an unreadable ghost image leaves them
// unknown here, and files/deleted/ reports it.
void Loader::load_ghost_inode(uint32_t file_id, uint32_t ghost_id) {
  std::string name = fmt::format("ghost-file-{:x}.img", ghost_id);
  const Blob* b = find(name);
  if (!b) return;
  try {
    criu::ghost_file_entry g = read_ghost_header(img_name(name), *b);
    if (g.has_dev() && g.has_ino()) inodes_[file_id] = {g.dev(), g.ino()};
  } catch (const InputError&) {
  }
}

Pagemap Loader::load_pagemap(const std::string& name, bool shared) {
  Pagemap pm;
  ImageReader r = open(name, magic::kPagemap);
  criu::pagemap_head head;
  if (!r.next(head)) fail(img_name(name), "holds no pagemap head");
  std::string pages_name = fmt::format("pages-{}.img", head.pages_id());
  uint64_t off = 0;
  std::string_view bytes;
  uint64_t prev_end = 0;
  PagemapEntry e;
  while (r.next(bytes)) {
    if (!decode_pagemap_entry(bytes, e)) r.bad_message("pagemap_entry");
    // criu-image-format.md §8.2: CRIU >= 4.2 leaves field 2 at 0.
    uint64_t count = e.has_nr_pages ? e.nr_pages : e.compat_nr_pages;
    uint32_t flags = e.flags;
    if (e.in_parent)
      flags |= kPeParent;
    else if (!e.has_flags)
      flags = kPePresent;
    uint64_t limit = shared ? (1ull << 52) : kUserAddressEnd;
    if (e.vaddr % kPageSize)
      fail(img_name(name), "entry {}: address 0x{:x} is not page aligned", r.entry_index(),
           e.vaddr);
    if (count > limit / kPageSize || e.vaddr > limit - count * kPageSize)
      fail(img_name(name), "entry {}: {} pages at 0x{:x} exceed the address space", r.entry_index(),
           count, e.vaddr);
    if (e.vaddr < prev_end)
      fail(img_name(name), "entry {}: pages at 0x{:x} overlap the previous entry", r.entry_index(),
           e.vaddr);
    prev_end = e.vaddr + count * kPageSize;
    if (flags & kPePresent) {
      // Entries that continue each other in memory and in pages-N.img are one
      // run (a dump splits runs at VMA and pipe-buffer boundaries): keep one.
      if (!pm.runs.empty() && pm.runs.back().vaddr + pm.runs.back().length == e.vaddr &&
          pm.runs.back().file_offset + pm.runs.back().length == off)
        pm.runs.back().length += count * kPageSize;
      else
        pm.runs.push_back({e.vaddr, count * kPageSize, off});
      off += count * kPageSize;
    } else if (flags & (kPeParent | kPeLazy)) {
      pm.unavailable_pages += count;
    }
  }
  if (off > 0) {
    const Member* m = c_.image(pages_name);
    if (!m || m->type != MemberType::File)
      fail(img_name(pages_name), "missing, but {} stores {} bytes of pages in it", name, off);
    if (m->blob->size() < off)
      fail(img_name(pages_name), "{} bytes, but {} stores {} bytes of pages in it (truncated?)",
           m->blob->size(), name, off);
    pm.pages = m->blob;
  }
  return pm;
}

const Pagemap* Loader::shmem(uint64_t id) {
  auto it = shmem_.find(id);
  if (it == shmem_.end()) {
    std::string name = fmt::format("pagemap-shmem-{}.img", id);
    // A missing shmem pagemap means no page of the object was ever touched.
    std::optional<Pagemap> pm;
    if (find(name)) pm = load_pagemap(name, true);
    it = shmem_.emplace(id, std::move(pm)).first;
  }
  return it->second ? &*it->second : nullptr;
}

void Loader::build_memory(Process& p, const Pagemap& pm, const std::string& pm_name) {
  AddressSpace& as = p.memory;
  if (pm.pages) {
    uint32_t b = as.add_blob(pm.pages);
    as.reserve(pm.runs.size());
    for (const PageRun& r : pm.runs) as.add(r.vaddr, r.length, b, r.file_offset);
  }
  p.pages_unavailable = pm.unavailable_pages;
  for (const Vma& v : p.vmas) {
    if (!v.shmem_id) continue;
    const Pagemap* sm = shmem(*v.shmem_id);
    if (!sm || !sm->pages) continue;
    uint32_t b = as.add_blob(sm->pages);
    uint64_t lo = v.pgoff, hi = v.pgoff + v.size();
    // Runs are sorted by offset: start at the first one ending after lo.
    auto it = std::upper_bound(sm->runs.begin(), sm->runs.end(), lo,
                               [](uint64_t a, const PageRun& r) { return a < r.vaddr + r.length; });
    for (; it != sm->runs.end() && it->vaddr < hi; ++it) {
      uint64_t s = std::max(lo, it->vaddr), e = std::min(hi, it->vaddr + it->length);
      uint64_t addr = v.start + (s - lo), end = v.start + (e - lo);
      uint64_t off = it->file_offset + (s - it->vaddr);
      auto add_to = [&](uint64_t to) {
        if (to <= addr) return;
        as.add(addr, to - addr, b, off);
        p.shared_stored_bytes += to - addr;
      };
      // A MAP_PRIVATE memfd mapping: the pages the process wrote are in its
      // own pagemap (VMA_FILE_PRIVATE) and hide the object's there.
      if (!v.shared) {
        auto own =
            std::upper_bound(pm.runs.begin(), pm.runs.end(), addr,
                             [](uint64_t a, const PageRun& r) { return a < r.vaddr + r.length; });
        for (; own != pm.runs.end() && own->vaddr < end; ++own) {
          add_to(own->vaddr);
          uint64_t next = std::min(end, own->vaddr + own->length);
          off += next - addr;
          addr = next;
        }
      }
      add_to(end);
    }
  }
  std::string problem = as.finish();
  if (!problem.empty()) fail(img_name(pm_name), "{}", problem);
}

TaskState task_state(uint32_t s) {
  switch (s) {
    case 1:
      return TaskState::Alive;
    case 2:
      return TaskState::Zombie;  // CRIU stores zombies as TASK_DEAD (§20.9)
    case 3:
      return TaskState::Stopped;
    case 6:
      return TaskState::Zombie;
    default:
      return TaskState::Unknown;
  }
}

void Loader::load_process(const criu::pstree_entry& e) {
  Process p;
  p.pid = e.pid();
  p.ppid = e.ppid();
  p.pgid = e.pgid();
  p.sid = e.sid();
  if (c_.procs.count(p.pid)) fail(img_name("pstree.img"), "process {} is listed twice", p.pid);
  // A process's images are found by the pid pstree.img gives; when one is
  // missing, a corrupt pid there is as likely as a lost image: name both.
  auto needed = [&](std::string n) {
    if (!find(n))
      fail(img_name(n), "missing from the checkpoint (pstree.img lists process {})", p.pid);
    return n;
  };

  auto core = std::make_shared<criu::core_entry>(
      single<criu::core_entry>(needed(fmt::format("core-{}.img", p.pid)), magic::kCore));
  if (core->has_mtype() && core->mtype() != 1)
    fail(img_name(fmt::format("core-{}.img", p.pid)),
         "architecture {} is not supported (only x86_64)", core->mtype());
  p.comm = core->tc().comm();
  p.state = task_state(core->tc().task_state());
  p.exit_code = core->tc().exit_code();

  std::vector<uint32_t> tids(e.threads().begin(), e.threads().end());
  if (std::find(tids.begin(), tids.end(), p.pid) == tids.end()) tids.insert(tids.begin(), p.pid);
  std::stable_partition(tids.begin(), tids.end(), [&](uint32_t t) { return t == p.pid; });
  for (uint32_t tid : tids) {
    Thread t;
    t.tid = tid;
    if (tid == p.pid) {
      t.core = core;
    } else if (find(fmt::format("core-{}.img", tid))) {
      t.core = std::make_shared<criu::core_entry>(
          single<criu::core_entry>(fmt::format("core-{}.img", tid), magic::kCore));
    }
    t.comm = t.core && t.core->thread_core().has_comm() ? t.core->thread_core().comm() : p.comm;
    p.threads.push_back(std::move(t));
  }

  if (p.state != TaskState::Zombie) {
    uint32_t ipc_ns_id = 0;
    if (auto ids = open_optional(fmt::format("ids-{}.img", p.pid), magic::kIds)) {
      criu::task_kobj_ids_entry k;
      if (ids->next(k)) {
        p.files_id = k.files_id();
        ipc_ns_id = k.ipc_ns_id();
      }
    }
    auto mm = single<criu::mm_entry>(needed(fmt::format("mm-{}.img", p.pid)), magic::kMm);
    FileTables tables{&c_.files,         &c_.memfd_inodes, &mnt_dev_,
                      &c_.deleted_files, &inodes_,         sysv_segments(sysv_, ipc_ns_id)};
    uint64_t prev_end = 0;
    for (int i = 0; i < mm.vmas_size(); ++i) {
      const criu::vma_entry& v = mm.vmas(i);
      if (v.status() == vma_status::kGuard) continue;  // CRIU 4.2's fake guard VMAs
      if (v.end() <= v.start() || v.start() % kPageSize || v.end() % kPageSize)
        fail(img_name(fmt::format("mm-{}.img", p.pid)), "VMA {}: bad range 0x{:x}-0x{:x}", i,
             v.start(), v.end());
      if (v.start() < prev_end)
        fail(img_name(fmt::format("mm-{}.img", p.pid)), "VMA {}: 0x{:x} overlaps the previous VMA",
             i, v.start());
      prev_end = v.end();
      append_as_listed(p.vmas, describe_vma(v, mm, tables));
    }
    p.exe = file_path(mm.exe_file_id());
    mm.clear_vmas();
    p.mm = std::make_shared<criu::mm_entry>(std::move(mm));

    if (auto fs = open_optional(fmt::format("fs-{}.img", p.pid), magic::kFs)) {
      criu::fs_entry f;
      if (fs->next(f)) {
        p.cwd = file_path(f.cwd_id());
        p.root = file_path(f.root_id());
        if (f.has_umask()) p.umask = f.umask();
      }
    }
    if (auto fd = open_optional(fmt::format("fdinfo-{}.img", p.files_id), magic::kFdinfo)) {
      criu::fdinfo_entry f;
      while (fd->next(f)) p.fds.push_back({f.fd(), f.flags(), f.id(), f.type()});
      std::sort(p.fds.begin(), p.fds.end(),
                [](const FdEntry& a, const FdEntry& b) { return a.fd < b.fd; });
    }
    std::string pm_name = needed(fmt::format("pagemap-{}.img", p.pid));
    Pagemap pm = load_pagemap(pm_name, false);
    build_memory(p, pm, pm_name);
  }
  c_.procs.emplace(p.pid, std::move(p));
}

void Loader::load() {
  load_inventory();
  load_files();
  ImageReader r = open("pstree.img", magic::kPstree);
  criu::pstree_entry e;
  bool first = true;
  while (r.next(e)) {
    if (first) c_.root_pid = e.pid();
    first = false;
    load_process(e);
  }
  if (c_.procs.empty()) fail(img_name("pstree.img"), "holds no process");
  for (auto& [pid, p] : c_.procs) {
    auto parent = c_.procs.find(p.ppid);
    if (parent != c_.procs.end() && p.ppid != pid) parent->second.children.push_back(pid);
  }
  if (const Member* inv = c_.image("inventory.img")) c_.mtime = inv->mtime;
}

}  // namespace

std::string checkpoint_base_name(const std::string& path) {
  std::string s = path;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (auto slash = s.rfind('/'); slash != std::string::npos) s = s.substr(slash + 1);
  static const char* kExts[] = {".gz", ".tgz", ".zst", ".tzst", ".xz", ".bz2", ".tar"};
  for (bool again = true; again;) {
    again = false;
    for (const char* ext : kExts) {
      std::string_view x = ext;
      if (s.size() > x.size() && s.ends_with(x)) {
        s.resize(s.size() - x.size());
        again = true;
      }
    }
  }
  return s.empty() ? "checkpoint" : s;
}

std::vector<std::unique_ptr<Checkpoint>> load_checkpoints(std::shared_ptr<const Source> src,
                                                          const std::string& base_name) {
  std::vector<std::unique_ptr<Checkpoint>> out;
  std::vector<Layout> layouts = detect_layouts(*src);
  for (const Layout& l : layouts) {
    auto c = std::make_unique<Checkpoint>();
    c->layout = l;
    c->source = src;
    Loader(*c).load();
    std::string fallback = base_name;
    if (layouts.size() > 1) fallback = l.meta_dir.substr(0, l.meta_dir.size() - 1);
    c->info = read_container_info(*c, fallback);
    c->name = c->info.name;
    out.push_back(std::move(c));
  }
  make_names_unique(out);
  return out;
}

void make_names_unique(std::vector<std::unique_ptr<Checkpoint>>& checkpoints) {
  std::set<std::string> seen;
  for (auto& c : checkpoints) {
    std::string n = c->name;
    for (int i = 2; seen.count(n); ++i) n = fmt::format("{}-{}", c->name, i);
    c->name = n;
    seen.insert(n);
  }
}

}  // namespace ckptfs
