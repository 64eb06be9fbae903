#include "model/mounts.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "images/image_reader.h"
#include "images/magic.h"

namespace ckptfs {

namespace {

// "mountpoints-13.img" names the mount namespace's id.
bool is_mountpoints_image(std::string_view name) {
  constexpr std::string_view kPrefix = "mountpoints-", kSuffix = ".img";
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix) ||
      name.size() == kPrefix.size() + kSuffix.size())
    return false;
  std::string_view id = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  return std::all_of(id.begin(), id.end(), [](unsigned char ch) { return std::isdigit(ch); });
}

std::vector<FileInDir> mountpoints_images(const Checkpoint& c) {
  std::vector<FileInDir> out = files_in(*c.source, c.layout.image_dir);
  std::erase_if(out, [](const FileInDir& f) { return !is_mountpoints_image(f.name); });
  return out;
}

// Parents before children: depth first from the mounts whose parent is not
// in the list (the namespace's root is mounted on a mount of the host).
std::vector<criu::mnt_entry> mount_order(std::vector<criu::mnt_entry> all) {
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.mnt_id() < b.mnt_id(); });
  std::set<uint32_t> ids;
  for (const auto& m : all) ids.insert(m.mnt_id());
  std::multimap<uint32_t, size_t> children;  // parent id -> index, in id order
  for (size_t i = 0; i < all.size(); ++i) children.emplace(all[i].parent_mnt_id(), i);

  std::vector<criu::mnt_entry> out;
  std::vector<bool> done(all.size());
  // An explicit stack: a hostile image may nest a million mounts.
  auto visit = [&](size_t root) {
    std::vector<size_t> stack{root};
    while (!stack.empty()) {
      size_t i = stack.back();
      stack.pop_back();
      if (done[i]) continue;
      done[i] = true;
      out.push_back(all[i]);
      auto [b, e] = children.equal_range(all[i].mnt_id());
      std::vector<size_t> kids;
      for (auto it = b; it != e; ++it)
        if (!done[it->second]) kids.push_back(it->second);
      stack.insert(stack.end(), kids.rbegin(), kids.rend());
    }
  };
  for (size_t i = 0; i < all.size(); ++i)
    if (!done[i] &&
        (!ids.count(all[i].parent_mnt_id()) || all[i].parent_mnt_id() == all[i].mnt_id()))
      visit(i);
  // A corrupt image may link mounts in a cycle: still list every entry once.
  for (size_t i = 0; i < all.size(); ++i)
    if (!done[i]) visit(i);
  return out;
}

std::string json_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool has_mount_info(const Checkpoint& c) {
  const Member* spec = c.meta("spec.dump");
  return !mountpoints_images(c).empty() || (spec && spec->type == MemberType::File);
}

std::vector<criu::mnt_entry> read_criu_mounts(const Checkpoint& c) {
  std::vector<criu::mnt_entry> all;
  for (const FileInDir& image : mountpoints_images(c)) {
    ImageReader r = ImageReader::from_blob(*image.path, *image.member->blob, magic::kMountpoints);
    criu::mnt_entry e;
    while (r.next(e)) all.push_back(e);
  }
  return mount_order(std::move(all));
}

std::vector<SpecMount> read_spec_mounts(const Checkpoint& c) {
  const Member* m = c.meta("spec.dump");
  if (!m || m->type != MemberType::File || m->blob->size() > (64u << 20)) return {};
  nlohmann::json spec;
  try {
    spec = nlohmann::json::parse(m->blob->read_all(64u << 20));
  } catch (const std::exception&) {
    return {};
  }
  std::vector<SpecMount> out;
  if (!spec.is_object() || !spec.contains("mounts") || !spec["mounts"].is_array()) return out;
  for (const auto& j : spec["mounts"]) {
    if (!j.is_object()) continue;
    SpecMount s{
        json_string(j, "destination"), json_string(j, "type"), json_string(j, "source"), {}};
    if (auto it = j.find("options"); it != j.end() && it->is_array())
      for (const auto& o : *it)
        if (o.is_string()) s.options.push_back(o.get<std::string>());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ckptfs
