#pragma once
// Builds synthetic CRIU image directories for unit tests: the inverse of
// src/images/image_reader. Each image is written exactly as CRIU lays it out
// (criu-image-format.md §1.3, §8), so the loader sees what a real dump gives
// it, and tests can then break single files with the raw helpers.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// glibc's <signal.h> (pulled in by gtest) defines a sigmask() macro that
// breaks the generated signalfd_entry::sigmask() accessor.
#undef sigmask

#include "core.pb.h"
#include "fdinfo.pb.h"
#include "memfd.pb.h"
#include "mm.pb.h"
#include "pagemap.pb.h"
#include "pstree.pb.h"
#include "remap.pb.h"

namespace ckptfs::test {

inline constexpr uint32_t kPeParent = 0x1, kPeLazy = 0x2, kPePresent = 0x4;
// Passed as pagemap flags: leave field 4 out, as CRIU < 3.5 did.
inline constexpr uint32_t kNoFlags = 0xffffffff;
inline constexpr uint64_t kPage = 4096;

// Where a pagemap entry keeps its page count (criu-image-format.md §8.5).
enum class CountField {
  kNrPages,  // CRIU >= 4.2: field 5 nr_pages, field 2 serialized as 0
  kCompat,   // CRIU <= 4.1: field 2 only
};

// Framing primitives, for images the writer has no method for.
std::string le32(uint32_t v);
std::string entry(const std::string& message);  // u32 length + message
// head_magic 0 writes no head magic (inventory.img, ancient images).
std::string image(uint32_t head_magic, uint32_t type_magic,
                  const std::vector<std::string>& messages);

// `bytes` filled with a pattern that differs per page and per tag, so a read
// from the wrong page or the wrong pages file cannot pass for the right one.
std::string pattern(size_t bytes, uint32_t tag);

class ImageDirWriter {
 public:
  explicit ImageDirWriter(std::string dir);  // dir must exist
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  CountField count_field = CountField::kNrPages;

  // inventory.img, written at once.
  void inventory(uint32_t img_version = 2);

  // A process (threads include the leader; empty means just the leader).
  // task_state 2 is how CRIU stores a zombie: core only, no mm/pagemap.
  void process(uint32_t pid, uint32_t ppid, const std::string& comm,
               std::vector<uint32_t> threads = {}, uint32_t task_state = 1);
  // The entries finish() will write, for tweaks no method covers.
  criu::core_entry& core(uint32_t tid);
  criu::mm_entry& mm(uint32_t pid);

  void vma(uint32_t pid, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
           uint32_t status, uint64_t shmid = 0, uint64_t pgoff = 0);
  // One pagemap entry; bytes (a multiple of 4096) go to the pages file only
  // if flags has PE_PRESENT. Entries are written in call order.
  void pages(uint32_t pid, uint64_t vaddr, const std::string& bytes, uint32_t flags = kPePresent);
  // Fills out with npages pages (npages * kPage bytes) starting at vaddr.
  using PageSource = std::function<void(uint64_t vaddr, size_t npages, char* out)>;
  // A PE_PRESENT entry of npages pages whose bytes source generates at
  // finish(), streamed to the pages file in chunks: for images too large to
  // hold in memory. One source can serve many entries.
  void generated_pages(uint32_t pid, uint64_t vaddr, uint64_t npages,
                       std::shared_ptr<const PageSource> source);
  // A pagemap entry that adds nothing to the pages file: PE_PARENT, PE_LAZY,
  // or, for corrupt images, a PE_PRESENT entry whose bytes are missing.
  void absent(uint32_t pid, uint64_t vaddr, uint64_t npages, uint32_t flags);
  // pagemap-shmem-<shmid>.img; offset is into the shared object.
  void shmem_pages(uint64_t shmid, uint64_t offset, const std::string& bytes,
                   uint32_t flags = kPePresent);
  // "pages-<id>.img" of a process / shared object (ids are handed out in call order).
  std::string pages_file(uint32_t pid) const;
  std::string shmem_pages_file(uint64_t shmid) const;

  void file(const criu::file_entry& f);
  void reg_file(uint32_t id, const std::string& name, int32_t mnt_id = -1);
  // A memfd open file (files.img) and its inode (memfd.img).
  void memfd(uint32_t file_id, uint64_t inode_id, uint32_t shmid, const std::string& name,
             uint64_t size);
  void remap(uint32_t orig_id, uint32_t remap_id, std::optional<uint32_t> type);
  void mount(uint32_t mnt_ns, uint32_t mnt_id, uint32_t root_dev);
  // The IPC namespace id ids-<pid>.img gives the process (0 when not set).
  void ipc_ns(uint32_t pid, uint32_t ns);

  // Writes every collected image. Call once, after everything is added.
  void finish();

  // Raw helpers for corrupt images.
  void write_raw(const std::string& name, const std::string& bytes) const;
  void append_raw(const std::string& name, const std::string& bytes) const;
  void append_entry(const std::string& name, const std::string& message) const;
  void remove(const std::string& name) const;
  std::string read(const std::string& name) const;

 private:
  struct PageEntry {
    uint64_t vaddr;
    uint64_t npages;
    uint32_t flags;
    std::string data;                          // PE_PRESENT only
    std::shared_ptr<const PageSource> source;  // generated_pages(): data is empty
  };
  struct Pagemap {
    uint32_t pages_id = 0;
    std::vector<PageEntry> entries;
  };
  struct Proc {
    criu::pstree_entry pstree;
    bool has_mm = true;
    uint32_t ipc_ns = 0;
    criu::mm_entry mm;
    Pagemap pagemap;
  };
  Proc& proc(uint32_t pid);
  void add_entry(Pagemap& pm, uint64_t vaddr, uint64_t npages, uint32_t flags, std::string data);
  void write_pagemap(const std::string& name, const Pagemap& pm) const;

  std::string dir_;
  uint32_t next_pages_id_ = 1;
  std::vector<uint32_t> order_;  // pstree order
  std::map<uint32_t, Proc> procs_;
  std::map<uint32_t, criu::core_entry> cores_;
  std::map<uint64_t, Pagemap> shmem_;
  std::vector<criu::file_entry> files_;
  std::vector<criu::memfd_inode_entry> memfds_;
  std::vector<criu::remap_file_path_entry> remaps_;
  std::map<uint32_t, std::vector<std::string>> mounts_;  // by mnt ns: serialized mnt_entry
};

// Packs dir's content into an archive with the system tar (names "./…").
enum class Compression { kNone, kGzip, kZstd };
void pack(const std::string& dir, const std::string& archive, Compression c);

}  // namespace ckptfs::test
