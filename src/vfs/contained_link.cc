#include "vfs/contained_link.h"

namespace ckptfs {

bool link_stays_inside(std::string_view target) {
  if (target.empty()) return true;  // ENOENT where it is
  if (target.front() == '/') return false;
  // "." is harmless; only a ".." component may climb.
  size_t start = 0;
  while (start <= target.size()) {
    size_t end = target.find('/', start);
    if (end == std::string_view::npos) end = target.size();
    if (target.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string contained_link_target(std::string_view target) {
  if (link_stays_inside(target)) return std::string(target);
  std::string out(kNotFollowed);
  if (target.front() != '/') out += '/';
  out += target;
  return out;
}

}  // namespace ckptfs
