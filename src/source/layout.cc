#include "source/layout.h"

#include "util/error.h"

namespace ckptfs {

namespace {

using Members = std::map<std::string, Member>;

bool has_file(const Members& s, const std::string& n) {
  auto it = s.find(n);
  return it != s.end() && it->second.type == MemberType::File;
}

Layout at(const Members& s, const std::string& meta, const std::string& images) {
  Layout l;
  l.meta_dir = meta;
  l.image_dir = images;
  l.container = has_file(s, meta + "config.dump") || has_file(s, meta + "spec.dump");
  return l;
}

// The layouts of the members named prefix + …: an OCI image's layers are
// under a prefix of their own when one mount holds several images.
std::vector<Layout> layouts_in(const Members& members, const std::string& prefix) {
  std::vector<Layout> out;
  if (has_file(members, prefix + "checkpoint/inventory.img")) {
    out.push_back(at(members, prefix, prefix + "checkpoint/"));
  } else if (has_file(members, prefix + "inventory.img")) {
    out.push_back(at(members, prefix, prefix));
  } else if (has_file(members, prefix + "pre-checkpoint/inventory.img")) {
    out.push_back(at(members, prefix, prefix + "pre-checkpoint/"));
    out.back().pre_dump = true;
  } else {
    // A pod archive: one subdirectory per container, each a full layout.
    static const std::string kTail = "/checkpoint/inventory.img";
    for (auto it = members.lower_bound(prefix);
         it != members.end() && it->first.starts_with(prefix); ++it) {
      std::string_view name = std::string_view(it->first).substr(prefix.size());
      if (name.size() > kTail.size() && name.ends_with(kTail) &&
          name.find('/') == name.size() - kTail.size() && it->second.type == MemberType::File) {
        std::string dir = prefix + std::string(name.substr(0, name.size() - kTail.size() + 1));
        out.push_back(at(members, dir, dir + "checkpoint/"));
      }
    }
  }
  return out;
}

}  // namespace

bool holds_checkpoint(const std::map<std::string, Member>& members) {
  return !layouts_in(members, "").empty();
}

std::vector<Layout> detect_layouts(const Source& src) {
  std::vector<Layout> out;
  if (src.oci_images.empty()) {
    out = layouts_in(src.members, "");
  } else {
    for (size_t i = 0; i < src.oci_images.size(); ++i)
      for (Layout l : layouts_in(src.members, src.oci_images[i].member_prefix)) {
        l.oci_image = static_cast<int>(i);
        out.push_back(std::move(l));
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
