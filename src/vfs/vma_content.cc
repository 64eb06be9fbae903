#include "vfs/vma_content.h"

#include <fmt/format.h>

#include <algorithm>

namespace ckptfs {

size_t AddressRangeContent::read(char* buf, size_t len, uint64_t off) const {
  if (off >= size()) return 0;
  size_t n = std::min<uint64_t>(len, size() - off);
  as_.read(start_ + off, buf, n);
  return n;
}

std::optional<uint64_t> AddressRangeContent::seek_data(uint64_t off) const {
  if (off >= size()) return std::nullopt;
  auto d = as_.next_data(start_ + off);
  if (!d || *d >= end_) return std::nullopt;
  return *d - start_;
}

uint64_t AddressRangeContent::seek_hole(uint64_t off) const {
  return std::min(as_.next_hole(start_ + off), end_) - start_;
}

std::string vma_file_name(const Vma& v) {
  std::string name;
  switch (v.kind) {
    case VmaKind::Heap:
      name = "heap";
      break;
    case VmaKind::Stack:
      name = "stack";
      break;
    case VmaKind::Vdso:
      name = "vdso";
      break;
    case VmaKind::Vvar:
      name = v.path == "[vvar_vclock]" ? "vvar_vclock" : "vvar";
      break;
    case VmaKind::Vsyscall:
      name = "vsyscall";
      break;
    case VmaKind::SharedAnon:
    case VmaKind::SysV:
      name = "shmem";
      break;
    case VmaKind::AioRing:
      name = "aio";
      break;
    case VmaKind::Memfd:
    case VmaKind::File: {
      std::string path = v.path;
      static const std::string kDeleted = " (deleted)";
      if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
      auto slash = path.rfind('/');
      name = slash == std::string::npos ? path : path.substr(slash + 1);
      break;
    }
    case VmaKind::Anon:
    case VmaKind::Other:
      name = "anon";
      break;
  }
  if (name.empty() || name == "." || name == "..") name = "anon";
  return fmt::format("{:x}-{:x}.{}.{}", v.start, v.end, v.perms(), name);
}

}  // namespace ckptfs
