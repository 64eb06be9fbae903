#include "vfs/archived_trees.h"

#include <algorithm>
#include <cctype>

#include "source/nested_tar.h"
#include "vfs/tar_tree.h"

namespace ckptfs {

namespace {

void add_tree(Tree& t, uint64_t parent, const std::string& name, const Member* archive) {
  if (!archive || archive->type != MemberType::File) return;
  TarListing listing = read_nested_tar(*archive->blob);
  graft_tar(t, t.mkdir(parent, name), listing);
}

// "tmpfs-dev-44.tar.gz.img" -> "44"; "" for any other name.
std::string tmpfs_dev(std::string_view image) {
  constexpr std::string_view kPrefix = "tmpfs-dev-", kSuffix = ".tar.gz.img";
  if (!image.starts_with(kPrefix) || !image.ends_with(kSuffix)) return "";
  std::string_view dev =
      image.substr(kPrefix.size(), image.size() - kPrefix.size() - kSuffix.size());
  bool digits =
      !dev.empty() && dev.size() <= 10 &&
      std::all_of(dev.begin(), dev.end(), [](unsigned char ch) { return std::isdigit(ch); });
  return digits ? std::string(dev) : "";
}

}  // namespace

void add_archived_trees(Tree& t, uint64_t top, uint64_t container_dir, const Checkpoint& c) {
  add_tree(t, container_dir, "rootfs-diff", c.meta("rootfs-diff.tar"));
  add_tree(t, container_dir, "devshm", c.meta("devshm-checkpoint.tar"));

  uint64_t tmpfs = 0;
  for (const FileInDir& f : files_in(*c.source, c.layout.image_dir)) {
    std::string dev = tmpfs_dev(f.name);
    if (dev.empty()) continue;
    // Owner-only like the rest of files/: a tmpfs may hold /run/secrets.
    if (!tmpfs) tmpfs = t.mkdir(t.mkdir(top, "files", 0500), "tmpfs", 0500);
    add_tree(t, tmpfs, dev, f.member);
  }
}

}  // namespace ckptfs
