#include "vfs/tar_tree.h"

#include <algorithm>
#include <climits>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/path.h"
#include "vfs/blob_content.h"

namespace ckptfs {

namespace {

constexpr uint32_t kImpliedDirMode = 0755;

}  // namespace

void graft_tar(Tree& t, uint64_t dir, const TarListing& listing) {
  if (listing.root) t.set_attr(dir, listing.root->mode & 07777, listing.root->mtime);
  // Every node made here by its path below dir ("" is dir itself), so a large
  // archive costs one hash lookup per component, not a scan of siblings.
  struct Made {
    uint64_t ino;
    bool is_dir;
  };
  std::unordered_map<std::string, Made> made{{"", {dir, true}}};

  // Names arrive sorted, so "a" always comes before "a/b": an explicit
  // directory entry is made before anything implies it.
  for (const auto& [name, m] : listing.members) {
    std::vector<std::string_view> parts = path_components(name);
    if (parts.empty()) continue;
    bool usable = true;
    for (std::string_view p : parts)
      usable = usable && p.size() <= NAME_MAX && p != "." && p != "..";
    if (!usable) continue;

    uint64_t parent = dir;
    std::string path;
    for (size_t i = 0; usable && i + 1 < parts.size(); ++i) {
      std::string child = path.empty() ? std::string(parts[i]) : path + "/" + std::string(parts[i]);
      auto it = made.find(child);
      if (it == made.end()) {
        it = made.emplace(child,
                          Made{t.add_dir(parent, std::string(parts[i]), kImpliedDirMode), true})
                 .first;
      } else if (!it->second.is_dir) {
        usable = false;  // below a file or a symlink
      }
      parent = it->second.ino;
      path = std::move(child);
    }
    if (!usable || made.count(name)) continue;

    std::string leaf(parts.back());
    uint32_t mode = m.mode & 07777;
    uint64_t ino = 0;
    switch (m.type) {
      case MemberType::Dir:
        ino = t.add_dir(parent, leaf, mode);
        break;
      case MemberType::File:
        if (!m.blob) continue;
        ino = t.add_file(parent, leaf, std::make_shared<BlobContent>(m.blob), mode);
        break;
      case MemberType::Symlink:
        ino = t.add_symlink(parent, leaf, m.link_target);
        break;
      case MemberType::Other:
        if (m.filetype == 0) continue;  // a hard link to nothing, or a type no file system has
        ino = t.add_special(parent, leaf, m.filetype, m.rdev, mode);
        break;
    }
    t.set_attr(ino, m.type == MemberType::Symlink ? 0777 : mode, m.mtime);
    made.emplace(name, Made{ino, m.type == MemberType::Dir});
  }
}

}  // namespace ckptfs
