#include "support/tar_writer.h"

#include <archive.h>

#include <cstring>
#include <stdexcept>

namespace ckptfs::test {

std::string make_tar(const std::vector<TarEntry>& entries, TarFilter filter) {
  archive* a = archive_write_new();
  archive_write_set_format_gnutar(a);
  if (filter == TarFilter::kGzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  std::string out;
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* client, const void* buf, size_t len) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
      },
      nullptr);
  for (const TarEntry& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, e.perm);
    archive_entry_set_mtime(ae, e.mtime, 0);
    archive_entry_set_uname(ae, "root");
    if (!e.symlink.empty()) archive_entry_set_symlink(ae, e.symlink.c_str());
    if (!e.hardlink.empty()) archive_entry_set_hardlink(ae, e.hardlink.c_str());
    if (e.rdev) archive_entry_set_rdev(ae, e.rdev);
    bool has_data = e.type == AE_IFREG && e.hardlink.empty();
    archive_entry_set_size(ae, has_data ? static_cast<la_int64_t>(e.data.size()) : 0);
    if (archive_write_header(a, ae) != ARCHIVE_OK) {
      std::string err = archive_error_string(a);
      archive_entry_free(ae);
      archive_write_free(a);
      throw std::runtime_error(err);
    }
    if (has_data && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::map<std::string, TarMember> tar_members(const std::string& bytes) {
  std::map<std::string, TarMember> out;
  for (uint64_t off = 0; off + 512 <= bytes.size();) {
    std::string name(bytes.data() + off, strnlen(bytes.data() + off, 100));
    if (name.empty()) break;
    uint64_t size = std::stoull(std::string(bytes.data() + off + 124, 12), nullptr, 8);
    out[name] = {off, off + 512, size};
    off += 512 + (size + 511) / 512 * 512;
  }
  return out;
}

}  // namespace ckptfs::test
