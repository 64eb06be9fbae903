#include "vfs/views/maps.h"

#include <fmt/format.h>

namespace ckptfs {

std::string render_maps(const Process& p) {
  std::string out;
  for (const Vma& v : p.vmas) {
    std::string line = fmt::format("{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ", v.start, v.end,
                                   v.perms(), v.pgoff, v.dev_major, v.dev_minor, v.inode);
    if (!v.path.empty()) {
      // seq_pad(): pad to 25 + 6 * sizeof(void*) - 1 = 72 columns, then one space.
      if (line.size() < 72) line.append(72 - line.size(), ' ');
      line += ' ';
      line += v.path;
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace ckptfs
