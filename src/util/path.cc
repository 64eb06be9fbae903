#include "util/path.h"

#include <algorithm>

namespace ckptfs {

std::vector<std::string_view> path_components(std::string_view path) {
  std::vector<std::string_view> parts;
  for (size_t i = 0; i <= path.size();) {
    size_t j = std::min(path.find('/', i), path.size());
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace ckptfs
