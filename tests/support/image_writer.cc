#include "support/image_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "ids.pb.h"
#include "images/magic.h"
#include "inventory.pb.h"
#include "mnt.pb.h"
#include "support/paths.h"

namespace ckptfs::test {

std::string le32(uint32_t v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);  // CRIU writes host order; the reader takes little-endian
  return s;
}

std::string entry(const std::string& message) {
  return le32(static_cast<uint32_t>(message.size())) + message;
}

std::string image(uint32_t head_magic, uint32_t type_magic,
                  const std::vector<std::string>& messages) {
  std::string out;
  if (head_magic) out += le32(head_magic);
  out += le32(type_magic);
  for (const std::string& m : messages) out += entry(m);
  return out;
}

std::string pattern(size_t bytes, uint32_t tag) {
  std::string s(bytes, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t{tag} + 1);  // never 0: xorshift would stay 0
  for (size_t i = 0; i < bytes; i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: no two pages alike
    std::memcpy(s.data() + i, &x, std::min<size_t>(8, bytes - i));
  }
  return s;
}

ImageDirWriter::ImageDirWriter(std::string dir) : dir_(std::move(dir)) {}

void ImageDirWriter::inventory(uint32_t img_version) {
  criu::inventory_entry inv;
  inv.set_img_version(img_version);
  inv.set_fdinfo_per_id(true);
  inv.set_ns_per_id(true);
  write_raw("inventory.img", image(0, magic::kInventory, {inv.SerializeAsString()}));
}

void ImageDirWriter::process(uint32_t pid, uint32_t ppid, const std::string& comm,
                             std::vector<uint32_t> threads, uint32_t task_state) {
  if (procs_.count(pid)) throw std::logic_error(fmt::format("process {} added twice", pid));
  if (threads.empty()) threads.push_back(pid);
  Proc& p = procs_[pid];
  order_.push_back(pid);
  p.pstree.set_pid(pid);
  p.pstree.set_ppid(ppid);
  p.pstree.set_pgid(pid);
  p.pstree.set_sid(pid);
  for (uint32_t t : threads) p.pstree.add_threads(t);
  p.has_mm = task_state != 2;
  if (p.has_mm) p.pagemap.pages_id = next_pages_id_++;

  for (uint32_t t : threads) {
    criu::core_entry& c = cores_[t];
    c.set_mtype(1);  // x86_64
    if (p.has_mm) {
      c.mutable_thread_core()->set_futex_rla(0);
      c.mutable_thread_core()->set_futex_rla_len(24);
      c.mutable_thread_core()->set_comm(t == pid ? comm : fmt::format("{}-{}", comm, t));
    }
  }
  criu::task_core_entry* tc = cores_[pid].mutable_tc();
  tc->set_task_state(task_state);
  tc->set_exit_code(task_state == 2 ? 7 : 0);
  tc->set_comm(comm);
}

ImageDirWriter::Proc& ImageDirWriter::proc(uint32_t pid) {
  auto it = procs_.find(pid);
  if (it == procs_.end()) throw std::logic_error(fmt::format("process {} not added", pid));
  return it->second;
}

criu::core_entry& ImageDirWriter::core(uint32_t tid) { return cores_.at(tid); }
criu::mm_entry& ImageDirWriter::mm(uint32_t pid) { return proc(pid).mm; }

void ImageDirWriter::vma(uint32_t pid, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
                         uint32_t status, uint64_t shmid, uint64_t pgoff) {
  criu::vma_entry* v = proc(pid).mm.add_vmas();
  v->set_start(start);
  v->set_end(end);
  v->set_pgoff(pgoff);
  v->set_shmid(shmid);
  v->set_prot(prot);
  v->set_flags(flags);
  v->set_status(status);
  v->set_fd(-1);
}

void ImageDirWriter::add_entry(Pagemap& pm, uint64_t vaddr, uint64_t npages, uint32_t flags,
                               std::string data) {
  pm.entries.push_back({vaddr, npages, flags, std::move(data), nullptr});
}

void ImageDirWriter::pages(uint32_t pid, uint64_t vaddr, const std::string& bytes, uint32_t flags) {
  if (bytes.size() % kPage) throw std::logic_error("pages(): not a multiple of the page size");
  bool present = flags == kNoFlags || (flags & kPePresent);
  add_entry(proc(pid).pagemap, vaddr, bytes.size() / kPage, flags, present ? bytes : "");
}

void ImageDirWriter::generated_pages(uint32_t pid, uint64_t vaddr, uint64_t npages,
                                     std::shared_ptr<const PageSource> source) {
  Pagemap& pm = proc(pid).pagemap;
  pm.entries.push_back({vaddr, npages, kPePresent, "", std::move(source)});
}

void ImageDirWriter::absent(uint32_t pid, uint64_t vaddr, uint64_t npages, uint32_t flags) {
  add_entry(proc(pid).pagemap, vaddr, npages, flags, "");
}

void ImageDirWriter::shmem_pages(uint64_t shmid, uint64_t offset, const std::string& bytes,
                                 uint32_t flags) {
  if (bytes.size() % kPage)
    throw std::logic_error("shmem_pages(): not a multiple of the page size");
  Pagemap& pm = shmem_[shmid];
  if (!pm.pages_id) pm.pages_id = next_pages_id_++;
  add_entry(pm, offset, bytes.size() / kPage, flags, (flags & kPePresent) ? bytes : "");
}

std::string ImageDirWriter::pages_file(uint32_t pid) const {
  return fmt::format("pages-{}.img", procs_.at(pid).pagemap.pages_id);
}

std::string ImageDirWriter::shmem_pages_file(uint64_t shmid) const {
  return fmt::format("pages-{}.img", shmem_.at(shmid).pages_id);
}

void ImageDirWriter::file(const criu::file_entry& f) { files_.push_back(f); }

void ImageDirWriter::reg_file(uint32_t id, const std::string& name, int32_t mnt_id) {
  criu::file_entry f;
  f.set_type(1);  // REG
  f.set_id(id);
  criu::reg_file_entry* r = f.mutable_reg();
  r->set_id(id);
  r->set_flags(0);
  r->set_pos(0);
  r->set_name(name);
  if (mnt_id >= 0) r->set_mnt_id(mnt_id);
  files_.push_back(f);
}

void ImageDirWriter::memfd(uint32_t file_id, uint64_t inode_id, uint32_t shmid,
                           const std::string& name, uint64_t size) {
  criu::file_entry f;
  f.set_type(18);  // MEMFD
  f.set_id(file_id);
  f.mutable_memfd()->set_id(file_id);
  f.mutable_memfd()->set_inode_id(static_cast<uint32_t>(inode_id));
  files_.push_back(f);
  criu::memfd_inode_entry m;
  m.set_name(name);
  m.set_size(size);
  m.set_shmid(shmid);
  m.set_inode_id(inode_id);
  memfds_.push_back(m);
}

void ImageDirWriter::remap(uint32_t orig_id, uint32_t remap_id, std::optional<uint32_t> type) {
  criu::remap_file_path_entry r;
  r.set_orig_id(orig_id);
  r.set_remap_id(remap_id);
  if (type) r.set_remap_type(*type);
  remaps_.push_back(r);
}

void ImageDirWriter::ipc_ns(uint32_t pid, uint32_t ns) { proc(pid).ipc_ns = ns; }

void ImageDirWriter::mount(uint32_t mnt_ns, uint32_t mnt_id, uint32_t root_dev) {
  criu::mnt_entry m;
  m.set_fstype(16);
  m.set_mnt_id(mnt_id);
  m.set_root_dev(root_dev);
  m.set_root("/");
  m.set_mountpoint("/");
  mounts_[mnt_ns].push_back(m.SerializeAsString());
}

namespace {

// Large buffered writes: a pages file can be gigabytes of small entries.
class PagesFile {
 public:
  explicit PagesFile(const std::string& path) : path_(path), buf_(new char[kBuffer]) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw std::runtime_error(fmt::format("cannot create {}: {}", path, strerror(errno)));
  }
  ~PagesFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Room for n bytes (n <= kBuffer) at the end of the buffer, counted as written.
  char* reserve(size_t n) {
    if (used_ + n > kBuffer) flush();
    char* p = buf_.get() + used_;
    used_ += n;
    return p;
  }
  void write(const std::string& s) {
    for (size_t i = 0; i < s.size(); i += kBuffer) {
      size_t n = std::min(kBuffer, s.size() - i);
      std::memcpy(reserve(n), s.data() + i, n);
    }
  }
  void flush() {
    for (size_t off = 0; off < used_;) {
      ssize_t n = ::write(fd_, buf_.get() + off, used_ - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw std::runtime_error(fmt::format("cannot write {}: {}", path_, strerror(errno)));
      off += static_cast<size_t>(n);
    }
    used_ = 0;
  }
  static constexpr size_t kBuffer = 4 << 20;

 private:
  std::string path_;
  std::unique_ptr<char[]> buf_;  // uninitialized: a small file touches little of it
  size_t used_ = 0;
  int fd_ = -1;
};

}  // namespace

void ImageDirWriter::write_pagemap(const std::string& name, const Pagemap& pm) const {
  std::vector<std::string> msgs;
  criu::pagemap_head head;
  head.set_pages_id(pm.pages_id);
  msgs.push_back(head.SerializeAsString());
  // Streamed: a pages file can be large, no need to hold it twice.
  PagesFile pages(path(fmt::format("pages-{}.img", pm.pages_id)));
  for (const PageEntry& e : pm.entries) {
    criu::pagemap_entry m;
    m.set_vaddr(e.vaddr);
    if (count_field == CountField::kNrPages) {
      m.set_compat_nr_pages(0);  // serialized, as CRIU 4.2 does: a reader must not trust it
      m.set_nr_pages(e.npages);
    } else {
      m.set_compat_nr_pages(static_cast<uint32_t>(e.npages));
    }
    if (e.flags != kNoFlags) m.set_flags(e.flags);
    msgs.push_back(m.SerializeAsString());
    pages.write(e.data);
    constexpr uint64_t kChunk = PagesFile::kBuffer / kPage;
    for (uint64_t done = 0; e.source && done < e.npages;) {
      uint64_t n = std::min(kChunk, e.npages - done);
      (*e.source)(e.vaddr + done * kPage, n, pages.reserve(n * kPage));
      done += n;
    }
  }
  pages.flush();
  write_raw(name, image(magic::kCommon, magic::kPagemap, msgs));
}

void ImageDirWriter::finish() {
  std::vector<std::string> pstree;
  for (uint32_t pid : order_) {
    const Proc& p = procs_.at(pid);
    pstree.push_back(p.pstree.SerializeAsString());
    criu::task_kobj_ids_entry ids;
    if (p.ipc_ns) ids.set_ipc_ns_id(p.ipc_ns);
    if (p.has_mm) {
      ids.set_vm_id(pid);
      ids.set_files_id(pid);
      ids.set_fs_id(pid);
      ids.set_sighand_id(pid);
      write_raw(fmt::format("mm-{}.img", pid),
                image(magic::kCommon, magic::kMm, {p.mm.SerializeAsString()}));
      write_pagemap(fmt::format("pagemap-{}.img", pid), p.pagemap);
    }
    write_raw(fmt::format("ids-{}.img", pid),
              image(magic::kCommon, magic::kIds, {ids.SerializeAsString()}));
  }
  write_raw("pstree.img", image(magic::kCommon, magic::kPstree, pstree));
  for (const auto& [tid, c] : cores_)
    write_raw(fmt::format("core-{}.img", tid),
              image(magic::kCommon, magic::kCore, {c.SerializeAsString()}));
  for (const auto& [shmid, pm] : shmem_)
    write_pagemap(fmt::format("pagemap-shmem-{}.img", shmid), pm);

  auto all = [](const auto& msgs) {
    std::vector<std::string> out;
    for (const auto& m : msgs) out.push_back(m.SerializeAsString());
    return out;
  };
  if (!files_.empty()) write_raw("files.img", image(magic::kCommon, magic::kFiles, all(files_)));
  if (!memfds_.empty())
    write_raw("memfd.img", image(magic::kCommon, magic::kMemfdInode, all(memfds_)));
  if (!remaps_.empty())
    write_raw("remap-fpath.img", image(magic::kCommon, magic::kRemapFpath, all(remaps_)));
  for (const auto& [ns, msgs] : mounts_)
    write_raw(fmt::format("mountpoints-{}.img", ns),
              image(magic::kCommon, magic::kMountpoints, msgs));
}

void ImageDirWriter::write_raw(const std::string& name, const std::string& bytes) const {
  write_file(path(name), bytes);
}

void ImageDirWriter::append_raw(const std::string& name, const std::string& bytes) const {
  std::ofstream out(path(name), std::ios::binary | std::ios::app);
  if (!out) throw std::runtime_error("cannot append to " + path(name));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void ImageDirWriter::append_entry(const std::string& name, const std::string& message) const {
  append_raw(name, entry(message));
}

void ImageDirWriter::remove(const std::string& name) const {
  if (!std::filesystem::remove(path(name)))
    throw std::runtime_error("no " + path(name) + " to remove");
}

std::string ImageDirWriter::read(const std::string& name) const { return read_file(path(name)); }

void pack(const std::string& dir, const std::string& archive, Compression c) {
  std::string tar = "tar -C " + shell_quote(dir) + " -cf - .";
  std::string cmd;
  switch (c) {
    case Compression::kNone:
      cmd = tar + " > " + shell_quote(archive);
      break;
    case Compression::kGzip:
      cmd = tar + " | gzip -1 > " + shell_quote(archive);
      break;
    case Compression::kZstd:
      cmd = tar + " | zstd -q -1 > " + shell_quote(archive);
      break;
  }
  CommandResult r = run("bash -o pipefail -c " + shell_quote(cmd));
  if (r.status != 0) throw std::runtime_error("packing failed: " + cmd + ": " + r.err);
}

}  // namespace ckptfs::test
