#include "source/layout.h"

#include "util/error.h"

namespace ckptfs {

namespace {
bool has_file(const Source& s, const std::string& n) {
  const Member* m = s.find(n);
  return m && m->type == MemberType::File;
}

Layout at(const Source& s, const std::string& meta, const std::string& images) {
  Layout l;
  l.meta_dir = meta;
  l.image_dir = images;
  l.container = has_file(s, meta + "config.dump") || has_file(s, meta + "spec.dump");
  return l;
}
}  // namespace

std::vector<Layout> detect_layouts(const Source& src) {
  std::vector<Layout> out;
  if (has_file(src, "checkpoint/inventory.img")) {
    out.push_back(at(src, "", "checkpoint/"));
  } else if (has_file(src, "inventory.img")) {
    out.push_back(at(src, "", ""));
  } else if (has_file(src, "pre-checkpoint/inventory.img")) {
    out.push_back(at(src, "", "pre-checkpoint/"));
    out.back().pre_dump = true;
  } else {
    // A pod archive: one subdirectory per container, each a full layout.
    for (const auto& [name, m] : src.members) {
      static const std::string kTail = "/checkpoint/inventory.img";
      if (name.size() > kTail.size() && name.ends_with(kTail) &&
          name.find('/') == name.size() - kTail.size() && m.type == MemberType::File) {
        std::string dir = name.substr(0, name.size() - kTail.size() + 1);
        out.push_back(at(src, dir, dir + "checkpoint/"));
      }
    }
  }
  if (out.empty()) {
    if (src.members.empty()) fail(src.path, "not a checkpoint: it is empty");
    fail(src.path,
         "not a checkpoint: no CRIU inventory.img (looked at the top level and in checkpoint/)");
  }
  return out;
}

}  // namespace ckptfs
