#include "vfs/views/maps.h"

#include <fmt/format.h>

namespace ckptfs {

std::string render_maps(const Process& p) {
  std::string out;
  for (const Vma& v : p.vmas) {
    std::string line = fmt::format("{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ", v.start, v.end, v.perms(),
                                   v.pgoff, v.dev_major, v.dev_minor, v.inode);
    if (!v.path.empty()) {
      // seq_pad(): pad to 25 + 6 * sizeof(void*) - 1 = 73 columns, then one space.
      if (line.size() < 73) line.append(73 - line.size(), ' ');
      line += ' ';
      line += v.path;
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace ckptfs
