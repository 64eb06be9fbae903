#include "source/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "source/dir_source.h"
#include "source/oci_source.h"
#include "source/oci_store.h"
#include "source/tar_reader.h"
#include "source/tar_source.h"
#include "util/error.h"
#include "util/path.h"

namespace ckptfs {

const char* packing_name(Packing p) {
  switch (p) {
    case Packing::Directory:
      return "directory";
    case Packing::Tar:
      return "tar";
    case Packing::TarGzip:
      return "tar+gzip";
    case Packing::TarZstd:
      return "tar+zstd";
    case Packing::TarXz:
      return "tar+xz";
    case Packing::TarBzip2:
      return "tar+bzip2";
    case Packing::OciLayout:
      return "OCI image layout";
    case Packing::OciArchive:
      return "OCI archive";
  }
  return "?";
}

const Member* Source::find(const std::string& name) const {
  auto it = members.find(name);
  return it == members.end() ? nullptr : &it->second;
}

std::string normalise_member_name(std::string_view name) {
  std::string out;
  for (std::string_view part : path_components(name)) {
    if (part == "..") return "";
    if (part == ".") continue;
    if (!out.empty()) out += '/';
    out.append(part);
  }
  return out;
}

std::vector<FileInDir> files_in(const Source& src, const std::string& dir) {
  std::vector<FileInDir> out;
  for (auto it = src.members.lower_bound(dir); it != src.members.end(); ++it) {
    const auto& [path, m] = *it;
    if (!path.starts_with(dir)) break;  // sorted: the directory's members are contiguous
    std::string_view name = std::string_view(path).substr(dir.size());
    if (name.empty() || name.find('/') != std::string_view::npos || m.type != MemberType::File)
      continue;
    out.push_back({name, &path, &m});
  }
  return out;
}

// Magic numbers decide, never the file name: Podman writes zstd into ".tar.gz".
Packing sniff_packing(const std::string& path, int fd, uint64_t size) {
  std::array<unsigned char, 512> head{};
  ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  if (n < 0) fail_errno(path, "cannot read");
  if (n == 0) fail(path, "empty file, not a checkpoint");
  if (auto c = compression_of({reinterpret_cast<const char*>(head.data()), static_cast<size_t>(n)}))
    return *c;
  if (n == 512 && std::memcmp(head.data() + 257, "ustar", 5) == 0) return Packing::Tar;
  if (n == 512 && std::all_of(head.begin(), head.end(), [](unsigned char c) { return c == 0; }))
    return Packing::Tar;  // an empty archive
  // A CRIU image handed over on its own rather than its directory.
  static const unsigned char kImgMagic[] = {0x19, 0x43, 0x56, 0x54};
  if (std::memcmp(head.data(), kImgMagic, 4) == 0 || size < 512)
    fail(path,
         "not a checkpoint: a single file that is not a tar archive (give the image directory or "
         "the archive)");
  fail(path,
       "not a checkpoint: neither a directory nor a tar archive (plain, gzip, zstd, xz or bzip2)");
}

std::unique_ptr<Source> open_source(const std::string& path, const SourceLimits& limits) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) fail(path, "no such file or directory");
    fail_errno(path, "cannot access");
  }
  if (S_ISDIR(st.st_mode))
    return is_oci_layout_dir(path) ? open_oci_directory(path, limits)
                                   : open_directory(path, limits);
  if (!S_ISREG(st.st_mode)) fail(path, "not a checkpoint: neither a directory nor a regular file");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno(path, "cannot open");
  auto file = std::make_shared<FileHandle>(path, fd);
  Packing packing = sniff_packing(path, fd, static_cast<uint64_t>(st.st_size));
  auto src = open_tar(path, std::move(file), st, packing, limits);
  if (is_oci_layout_listing(src->members)) open_oci_archive(*src, limits);
  return src;
}

}  // namespace ckptfs
