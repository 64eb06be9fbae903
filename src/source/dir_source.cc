#include "source/dir_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "util/error.h"

namespace ckptfs {

namespace {

void walk(const std::string& root, const std::string& rel, int depth, Source& src,
          const SourceLimits& limits) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (!d) fail_errno(dir, "cannot read directory");
  std::vector<std::string> subdirs;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string child_rel = rel.empty() ? name : rel + "/" + name;
    std::string child = root + "/" + child_rel;
    struct stat st {};
    if (::lstat(child.c_str(), &st) != 0) continue;
    if (src.members.size() >= limits.max_members) {
      ::closedir(d);
      fail(root, "more than {} files: not a checkpoint directory", limits.max_members);
    }
    Member m;
    m.mode = st.st_mode & 07777;
    m.mtime = st.st_mtim.tv_sec;
    if (S_ISREG(st.st_mode)) {
      m.type = MemberType::File;
      // Opened on first read: it must then still be the file seen here.
      auto file = std::make_shared<FileHandle>(child, static_cast<uint64_t>(st.st_dev),
                                               static_cast<uint64_t>(st.st_ino));
      m.blob =
          std::make_shared<FileBlob>(std::move(file), 0, static_cast<uint64_t>(st.st_size), child);
    } else if (S_ISDIR(st.st_mode)) {
      m.type = MemberType::Dir;
      subdirs.push_back(child_rel);
    } else if (S_ISLNK(st.st_mode)) {
      m.type = MemberType::Symlink;
      std::string target(PATH_MAX, '\0');
      ssize_t n = ::readlink(child.c_str(), target.data(), target.size());
      target.resize(n > 0 ? static_cast<size_t>(n) : 0);
      m.link_target = target;
    } else {
      m.type = MemberType::Other;
    }
    src.members.emplace(child_rel, std::move(m));
  }
  ::closedir(d);
  // The layouts are at most three levels deep (pod/<ctr>/checkpoint/x); deeper
  // trees are not checkpoints and walking them would only cost time.
  if (depth >= 4) return;
  for (const auto& s : subdirs) walk(root, s, depth + 1, src, limits);
}

}  // namespace

std::unique_ptr<Source> open_directory(const std::string& path, const SourceLimits& limits) {
  // Absolute, because the daemon changes to / when it detaches.
  char* real = ::realpath(path.c_str(), nullptr);
  if (!real) fail_errno(path, "cannot resolve");
  std::string root = real;
  std::free(real);
  auto src = std::make_unique<Source>();
  src->path = path;
  src->packing = Packing::Directory;
  walk(root, "", 0, *src, limits);
  return src;
}

}  // namespace ckptfs
